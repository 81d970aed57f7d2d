"""What the MNIST and the modular-arithmetic trainers share: named configurations of positive scales, and
histories with one row per configuration.

Book: chapter 5, "Grokking on MNIST" and "Modular arithmetic" (Sec. gk-mnist and gk-modular).
"""

from __future__ import annotations

from ..core import validation as check


def check_scaled_config(config, scales: tuple[str, ...]) -> None:
    """Refuse an empty name; turn each of ``scales`` into a positive float (for frozen dataclasses)."""
    if not isinstance(config.name, str) or not config.name:
        raise ValueError(f"name must be a non-empty string; got {config.name!r}")
    for scale in scales:
        object.__setattr__(config, scale, check.positive_scalar(scale, getattr(config, scale)))


class ConfigRows:
    """A history whose arrays have one row per entry of its ``configs`` (each with a ``name``)."""

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.configs)

    def index(self, name: str) -> int:
        """Row of the configuration called ``name``."""
        if name not in self.names:
            raise ValueError(f"name must be one of {list(self.names)}; got {name!r}")
        return self.names.index(name)
