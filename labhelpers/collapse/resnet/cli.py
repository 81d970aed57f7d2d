"""``python -m labhelpers.collapse.resnet``: train ResNet18 past zero error and store the run (:func:`main`).

Book: chapter 3, "Neural collapse in ResNet18" (Sec. nc-resnet): the stored run the chapter reads was made
with this command (its provenance records the exact line).
"""

from __future__ import annotations

import sys

from .config import DATASETS, TrainConfig
from .results import run_and_save
from .train import CollapseHistory


def main(argv: list[str] | None = None) -> CollapseHistory:
    """Command line: ``python -m labhelpers.collapse.resnet --out FILE [settings]`` runs :func:`run_and_save`."""
    import argparse

    defaults = TrainConfig()
    parser = argparse.ArgumentParser(
        prog="python -m labhelpers.collapse.resnet",
        description="ResNet18 neural-collapse run (Papyan et al. 2020 setting)",
    )
    parser.add_argument("--out", required=True, help="output JSON file")
    parser.add_argument("--dataset", default=defaults.dataset, choices=DATASETS)
    parser.add_argument("--data-root", default=defaults.data_root)
    parser.add_argument("--download", action="store_true")
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--lr", type=float, default=defaults.lr)
    parser.add_argument("--momentum", type=float, default=defaults.momentum)
    parser.add_argument("--weight-decay", type=float, default=defaults.weight_decay)
    parser.add_argument(
        "--lr-decay-epochs", type=int, nargs="+", default=None, help="epochs after which lr is multiplied by --lr-decay"
    )
    parser.add_argument("--lr-decay", type=float, default=defaults.lr_decay)
    parser.add_argument("--loss", default=defaults.loss, choices=("cross_entropy", "mse"))
    parser.add_argument("--width", type=int, default=defaults.width)
    parser.add_argument("--n-train", type=int, default=None)
    parser.add_argument("--n-test", type=int, default=None)
    parser.add_argument("--n-metric", type=int, default=None)
    parser.add_argument("--max-batches", type=int, default=None)
    parser.add_argument("--eval-batch-size", type=int, default=defaults.eval_batch_size)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--no-amp", action="store_true")
    args = parser.parse_args(argv)
    config = TrainConfig(
        dataset=args.dataset,
        data_root=args.data_root,
        download=args.download,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        momentum=args.momentum,
        weight_decay=args.weight_decay,
        lr_decay_epochs=args.lr_decay_epochs,
        lr_decay=args.lr_decay,
        loss=args.loss,
        width=args.width,
        n_train=args.n_train,
        n_test=args.n_test,
        n_metric=args.n_metric,
        max_batches=args.max_batches,
        eval_batch_size=args.eval_batch_size,
        seed=args.seed,
        device=args.device,
        amp=not args.no_amp,
    )
    command = " ".join(["python -m labhelpers.collapse.resnet", *(sys.argv[1:] if argv is None else argv)])
    return run_and_save(config, args.out, command=command, progress=True, pin_threads=False)
