"""JSON Schemas of the stored result files, and one strict reader for them.

Every file in ``labhelpers/results`` is read by :func:`read_results`: the bytes must be UTF-8 JSON, every
number finite, and the document must match the schema of its kind (`JSON Schema 2020-12
<https://json-schema.org/draft/2020-12>`_, checked by ``jsonschema``). The schemas say what each entry is
and its range (times and losses never negative, accuracies in [0, 1]); the loaders in
:mod:`labhelpers.collapse` and :mod:`labhelpers.grokking` add the checks a schema cannot state: lengths
that must agree with each other, and settings that must agree with the recorded data. Every error is a
:class:`ResultsFileError` (a ``ValueError``) whose message starts with the file's path; a missing file or
a folder is named as the argument ``path`` (a missing one is also a ``FileNotFoundError``).

Book: chapters 3 and 5, which load the stored ResNet18 and MNIST runs.
"""

from __future__ import annotations

import json
import math
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

MAX_BYTES = 64 * 2**20  # the stored files are ~100 kB; refuse to read anything absurdly large

_TIME = {"type": "number", "minimum": 0, "description": "a time in seconds, never negative"}
_POSITIVE_TIME = {"type": "number", "exclusiveMinimum": 0, "description": "a time in seconds, positive"}
_LOSS = {"type": "number", "minimum": 0, "description": "a loss, never negative"}
_FRACTION = {"type": "number", "minimum": 0, "maximum": 1, "description": "a fraction"}
_COUNT = {"type": "integer", "minimum": 1}
_OPTIONAL_COUNT = {"type": ["integer", "null"], "minimum": 1}
_SEED = {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}


def _list_of(item: dict) -> dict:
    return {"type": "array", "minItems": 1, "items": item}


PROVENANCE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["device", "date", "command", "wall_time_s", "versions", "platform"],
    "properties": {
        "device": {"type": "string", "minLength": 1},
        "date": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}", "description": "an ISO 8601 date"},
        "command": {"type": "string"},
        "wall_time_s": _TIME,
        "versions": {
            "type": "object",
            "required": ["python", "numpy", "torch", "labhelpers"],
            "additionalProperties": {"type": ["string", "null"]},
        },
        "platform": {"type": "string"},
        "torch_threads": _COUNT,
        "data": {"type": "string"},
        "data_message": {"type": "string"},
    },
}

_RESNET_CONFIG = {
    "type": "object",
    "required": ["dataset", "epochs", "batch_size", "lr", "lr_decay_epochs", "lr_decay", "n_train", "n_test"],
    "properties": {
        "dataset": {"enum": ["cifar10", "mnist", "random"]},
        "data_root": {"type": "string"},
        "download": {"type": "boolean"},
        "epochs": _COUNT,
        "batch_size": _COUNT,
        "lr": {"type": "number", "exclusiveMinimum": 0},
        "momentum": {"type": "number", "minimum": 0, "exclusiveMaximum": 1},
        "weight_decay": {"type": "number", "minimum": 0},
        "lr_decay_epochs": {"type": ["array", "null"], "items": _COUNT},
        "lr_decay": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
        "loss": {"enum": ["cross_entropy", "mse"]},
        "width": _COUNT,
        "n_train": _OPTIONAL_COUNT,
        "n_test": _OPTIONAL_COUNT,
        "n_metric": _OPTIONAL_COUNT,
        "max_batches": _OPTIONAL_COUNT,
        "eval_batch_size": _COUNT,
        "seed": _SEED,
        "device": {"type": "string"},
        "amp": {"type": "boolean"},
        "channels_last": {"type": "boolean"},
    },
}

_RESNET_HISTORY_ITEMS = {
    "epoch": {"type": "integer", "minimum": 1},
    "lr": {"type": "number", "exclusiveMinimum": 0},
    "train_loss": _LOSS,
    "train_accuracy": _FRACTION,
    "test_accuracy": _FRACTION,
    "nc1": {"type": "number", "minimum": 0},
    "equinorm": {"type": "number", "minimum": 0},
    "angle_std": {"type": "number", "minimum": 0},
    "angle_shift": {"type": "number", "minimum": 0},
    "etf_distance": {"type": "number", "minimum": 0},
    "self_duality": {"type": "number", "minimum": 0},
    "ncc_mismatch": _FRACTION,
    "epoch_seconds": _TIME,
}

# What runs.loop.Throughput.as_dict() records; optional, since runs stored before the scaffold lack it.
THROUGHPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["train_seconds", "samples", "samples_per_second", "gflops_per_second"],
    "additionalProperties": False,
    "properties": {
        "train_seconds": _TIME,
        "samples": {"type": "integer", "minimum": 0},
        "samples_per_second": {"type": "number", "minimum": 0},
        "gflops_per_second": {"type": ["number", "null"], "minimum": 0},
    },
}

RESNET_RUN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["format", "config", "history", "provenance"],
    "properties": {
        "format": {"const": "labhelpers.resnet/collapse-run/1"},
        "config": _RESNET_CONFIG,
        "history": {
            "type": "object",
            "required": list(_RESNET_HISTORY_ITEMS),
            "properties": {key: _list_of(item) for key, item in _RESNET_HISTORY_ITEMS.items()},
        },
        "throughput": THROUGHPUT_SCHEMA,
        "provenance": PROVENANCE_SCHEMA,
    },
}

_GROKKING_SETTINGS = {
    "type": "object",
    "required": ["epochs", "width", "depth", "lr", "weight_decay", "batch_size", "seed", "eval_every"],
    "properties": {
        "epochs": _COUNT,
        "width": _COUNT,
        "depth": {"type": "integer", "minimum": 2},
        "lr": {"type": "number", "exclusiveMinimum": 0},
        "weight_decay": {"type": "number", "minimum": 0},
        "batch_size": _COUNT,
        "seed": _SEED,
        "eval_every": _COUNT,
        "n_train": _COUNT,
        "n_test": _COUNT,
    },
}

_GROKKING_CONFIG = {
    "type": "object",
    "required": ["name", "weight_scale", "target_scale", "input_scale", "output_scale"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1},
        **{
            scale: {"type": "number", "exclusiveMinimum": 0}
            for scale in ("weight_scale", "target_scale", "input_scale", "output_scale")
        },
    },
}

GROKKING_RUN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "format",
        "configs",
        "settings",
        "data",
        "method",
        "train_seconds",
        "epochs",
        "initial_ratio",
        "history",
        "provenance",
    ],
    "properties": {
        "format": {"const": "labhelpers.grokking_mnist/run/1"},
        "configs": _list_of(_GROKKING_CONFIG),
        "settings": {**_GROKKING_SETTINGS, "required": [*_GROKKING_SETTINGS["required"], "n_train", "n_test"]},
        "data": {
            "type": "object",
            "required": ["source", "message"],
            "properties": {"source": {"type": "string"}, "message": {"type": "string"}},
        },
        "method": {"enum": ["batched", "loop"]},
        "train_seconds": _TIME,
        "epochs": {"type": "array", "minItems": 2, "items": {"type": "integer", "minimum": 0}},
        "initial_ratio": _list_of({"type": "number", "minimum": 0}),
        "history": {
            "type": "object",
            "required": ["train_accuracy", "test_accuracy", "train_loss"],
            "properties": {
                "train_accuracy": _list_of(_list_of(_FRACTION)),
                "test_accuracy": _list_of(_list_of(_FRACTION)),
                "train_loss": _list_of(_list_of(_LOSS)),
            },
        },
        "throughput": THROUGHPUT_SCHEMA,
        "provenance": PROVENANCE_SCHEMA,
    },
}

GROKKING_BENCHMARK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["format", "batched_s", "loop_s", "ratio", "max_loss_difference", "settings", "provenance"],
    "properties": {
        "format": {"const": "labhelpers.grokking_mnist/benchmark/1"},
        "batched_s": _POSITIVE_TIME,
        "loop_s": _POSITIVE_TIME,
        "ratio": {"type": "number", "exclusiveMinimum": 0, "description": "batched_s / loop_s"},
        "max_loss_difference": {"type": "number", "minimum": 0},
        "settings": _GROKKING_SETTINGS,
        "provenance": PROVENANCE_SCHEMA,
    },
}

_MODULAR_SCALES = ("embedding_scale", "readout_scale", "target_scale", "output_scale")
_ROWS_OF_FRACTIONS = {"type": "array", "minItems": 1, "items": {"type": "array", "minItems": 1, "items": _FRACTION}}
MODULAR_RUN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["format", "configs", "settings", "steps", "initial_ratio", "history", "train_seconds", "provenance"],
    "properties": {
        "format": {"const": "labhelpers.grokking_modular/run/1"},
        "configs": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["name", *_MODULAR_SCALES],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "minLength": 1},
                    **{s: {"type": "number", "exclusiveMinimum": 0} for s in _MODULAR_SCALES},
                },
            },
        },
        "settings": {
            "type": "object",
            "required": [
                "p",
                "train_fraction",
                "steps",
                "width",
                "lr",
                "weight_decay",
                "seed",
                "eval_every",
                "n_train",
                "n_test",
            ],  # fmt: skip
            "properties": {
                "p": {"type": "integer", "minimum": 2, "maximum": 2**12},
                "train_fraction": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
                "steps": {"type": "integer", "minimum": 1},
                "width": {"type": "integer", "minimum": 1},
                "lr": {"type": "number", "exclusiveMinimum": 0},
                "weight_decay": {"type": "number", "minimum": 0},
                "seed": {"type": "integer", "minimum": 0},
                "eval_every": {"type": "integer", "minimum": 1},
                "n_train": {"type": "integer", "minimum": 1},
                "n_test": {"type": "integer", "minimum": 1},
            },
        },
        "steps": {"type": "array", "minItems": 2, "items": {"type": "integer", "minimum": 0}},
        "initial_ratio": {"type": "array", "minItems": 1, "items": {"type": "number", "minimum": 0}},
        "history": {
            "type": "object",
            "required": ["train_accuracy", "test_accuracy", "train_loss"],
            "properties": {
                "train_accuracy": _ROWS_OF_FRACTIONS,
                "test_accuracy": _ROWS_OF_FRACTIONS,
                "train_loss": {"type": "array", "minItems": 1, "items": {"type": "array", "items": _LOSS}},
            },
        },
        "train_seconds": {"type": "number", "minimum": 0},
        "throughput": THROUGHPUT_SCHEMA,
        "provenance": PROVENANCE_SCHEMA,
    },
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "provenance record": PROVENANCE_SCHEMA,
    "collapse-run": RESNET_RUN_SCHEMA,
    "grokking run": GROKKING_RUN_SCHEMA,
    "grokking benchmark": GROKKING_BENCHMARK_SCHEMA,
    "grokking modular run": MODULAR_RUN_SCHEMA,
}


@cache
def _validator(kind: str):
    """The schema checker of ``kind``, built on first use (``import labhelpers`` does not load jsonschema)."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(SCHEMAS[kind])


class ResultsFileError(ValueError):
    """A stored result file that cannot be read or does not hold what its kind promises."""


class MissingResultsFile(ResultsFileError, FileNotFoundError):
    """A result file that does not exist: a ``ValueError`` like every other reading error, and still the
    ``FileNotFoundError`` that callers which look for an optional file catch."""


def invalid(path, kind: str, problem: str) -> ResultsFileError:
    """The error for ``path`` (a file of ``kind``, a key of ``SCHEMAS``) with ``problem`` in words."""
    return ResultsFileError(f"{path} is not a valid {kind} file: {problem}")


def location(parts) -> str:
    """A JSON path as Python indexing, e.g. ``history['nc1'][3]``; ``"the file"`` for the top level."""
    parts = list(parts)
    if not parts:
        return "the file"
    text = str(parts[0])
    for part in parts[1:]:
        text += f"[{part!r}]"
    return text


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_TYPE_WORDS = {
    "number": "a number",
    "integer": "an integer",
    "array": "a list",
    "object": "an object",
    "string": "a string",
    "boolean": "true or false",
    "null": "null",
}


def _bounds(schema: dict) -> str:
    """The range a schema allows, in words: ``in [0, 1]``, ``>= 0``, ``> 0``."""
    low = ("[", schema["minimum"]) if "minimum" in schema else ("(", schema.get("exclusiveMinimum"))
    high = ("]", schema["maximum"]) if "maximum" in schema else (")", schema.get("exclusiveMaximum"))
    if low[1] is not None and high[1] is not None:
        return f"lie in {low[0]}{low[1]}, {high[1]}{high[0]}"
    if low[1] is not None:
        return f"be {'>=' if low[0] == '[' else '>'} {low[1]}"
    return f"be {'<=' if high[0] == ']' else '<'} {high[1]}"


def describe(error) -> str:
    """One ``jsonschema`` validation error in words, starting with where in the document it is."""
    where, value, schema = location(error.absolute_path), error.instance, error.schema
    why = f" ({schema['description']})" if "description" in schema else ""
    if error.validator == "required":
        missing = [key for key in error.validator_value if key not in value]
        return f"{where} is missing {missing}"
    if error.validator == "additionalProperties" and isinstance(value, dict):
        allowed = set(schema.get("properties", {}))
        return f"{where} has unknown entries {sorted(set(value) - allowed)}"
    if error.validator == "type":
        types = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        return f"{where} must be {' or '.join(_TYPE_WORDS.get(t, t) for t in types)}; got {_short(value)}"
    if error.validator == "const":
        return f"{where} is {_short(value)}, expected {error.validator_value!r}"
    if error.validator == "enum":
        return f"{where} must be one of {error.validator_value}; got {_short(value)}"
    if error.validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"{where} must {_bounds(schema)}{why}; got {_short(value)}"
    if error.validator in ("minItems", "minLength"):
        return f"{where} must not be empty (at least {error.validator_value} needed); got {_short(value)}"
    if error.validator == "pattern":
        return f"{where} must be {schema.get('description', 'text matching ' + schema['pattern'])}; got {_short(value)}"
    return f"{where}: {error.message}"


def validate(document: Any, kind: str, path) -> None:
    """Raise :class:`ResultsFileError` naming ``path`` when ``document`` does not match the schema of ``kind``."""
    from jsonschema.exceptions import best_match

    error = best_match(_validator(kind).iter_errors(document))
    if error is not None:
        raise invalid(path, kind, describe(error))


def _first_non_finite(document: Any) -> tuple[list, float] | None:
    """Where the first NaN or infinity sits in a parsed document (an iterative walk: no recursion limit)."""
    stack = [([], document)]
    while stack:
        parts, value = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            return parts, value
        if isinstance(value, dict):
            stack.extend((parts + [key], item) for key, item in reversed(list(value.items())))
        elif isinstance(value, list):
            stack.extend((parts + [k], item) for k, item in reversed(list(enumerate(value))))
    return None


def _text(path: Path, kind: str) -> str:
    """The file's contents as text; refuses a missing path, a folder, and an empty, oversized or binary file."""
    if not path.exists():
        raise MissingResultsFile(f"path {str(path)!r} does not exist: there is no {kind} file to read there")
    if path.is_dir():
        raise ResultsFileError(f"path {str(path)!r} is a folder; give the {kind} file inside it")
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise invalid(path, kind, f"it holds {size} bytes, more than the {MAX_BYTES} a result file may have")
        raw = path.read_bytes()
    except OSError as error:  # unreadable: no permission, a device, a file gone since the check above
        raise ResultsFileError(f"path {str(path)!r} cannot be read as a {kind} file: {error.strerror}") from error
    if not raw.strip():
        raise invalid(path, kind, "the file is empty")
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise invalid(path, kind, f"it is binary, not JSON text (a NUL byte at offset {nul})")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise invalid(path, kind, f"it is binary, not UTF-8 JSON text (byte {error.start})") from error


def parse(path, kind: str) -> Any:
    """The JSON document in ``path``, all numbers finite; clear errors for truncated or broken JSON."""
    if not isinstance(path, (str, os.PathLike)):
        raise ValueError(f"path must be a file path; got {path!r}")
    path = Path(path)
    text = _text(path, kind)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        if error.pos >= len(text.rstrip()) or error.msg.startswith("Unterminated string"):
            raise invalid(path, kind, f"the JSON stops before it is complete ({where}): truncated?") from error
        raise invalid(path, kind, f"not valid JSON: {error.msg} at {where}") from error
    except RecursionError as error:
        raise invalid(path, kind, "the JSON nests too deeply to be a result file") from error
    found = _first_non_finite(document)
    if found is not None:
        parts, value = found
        raise invalid(path, kind, f"{location(parts)} is {value} (NaN and infinity are not stored values)")
    return document


def read_results(path, kind: str) -> dict[str, Any]:
    """Read ``path`` as a result file of ``kind`` (a key of ``SCHEMAS``): parse, then check its schema."""
    document = parse(path, kind)
    validate(document, kind, Path(path))
    return document


def agree(path, kind: str, condition: bool, problem: str) -> None:
    """Raise :class:`ResultsFileError` with ``problem`` unless ``condition``; for checks a schema cannot state."""
    if not condition:
        raise invalid(path, kind, problem)


RECORDED_SIZES = re.compile(r"(\d+) train / (\d+) test")


def recorded_sizes(message: str) -> tuple[int, int] | None:
    """The train and test sizes a data message records (``"Using 1000 train / 4000 test digits ..."``)."""
    found = RECORDED_SIZES.search(message)
    return (int(found.group(1)), int(found.group(2))) if found else None
