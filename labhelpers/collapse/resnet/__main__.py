"""``python -m labhelpers.collapse.resnet``: train ResNet18 past zero error and store the run.

Book: chapter 3, the ResNet18 run.
"""

from .cli import main

if __name__ == "__main__":
    main()
