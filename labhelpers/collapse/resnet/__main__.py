"""``python -m labhelpers.collapse.resnet``: train ResNet18 past zero error and store the run."""

from .train import main

if __name__ == "__main__":
    main()
