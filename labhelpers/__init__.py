"""labhelpers: models, exact solutions, simulators and plots for the layerwise linear models course.

One subpackage per chapter of the book, on top of a shared core:

- :mod:`labhelpers.core`: models (Eq. 3-5), the feedback principle (Sec. 3), closed-form modes (Eq. 7-10),
  gradient flow and descent, data moments and MNIST. Its public names are also available here, as
  ``labhelpers.gradient_flow`` and so on.
- :mod:`labhelpers.emergence` (chapter 2), :mod:`labhelpers.collapse` (chapter 3),
  :mod:`labhelpers.regimes` (chapter 4), :mod:`labhelpers.grokking` (chapter 5),
  :mod:`labhelpers.limits` (chapter 6).
- :mod:`labhelpers.runs`: provenance, result files and the stored runs; :mod:`labhelpers.widgets`:
  the interactive explorers; :mod:`labhelpers.plotting`: the course's figure style;
  :mod:`labhelpers.checks`: the lessons' self-checks.

Chapters and lessons use one style: ``import labhelpers as lh``, then ``lh.gradient_flow`` for the core,
``from labhelpers import collapse as co`` and ``co.saxe_modes`` for a chapter's own package, and
``lh.collapse.saxe_modes`` for another chapter's (see the book's appendix "How the code is organised").
"""

from . import checks, collapse, core, emergence, grokking, limits, plotting, regimes, runs, widgets
from .core import *  # noqa: F403  (the core's public names, listed in core.__all__)
from .core import __all__ as _core_names

__version__ = "0.1.0"

__all__ = [
    "checks",
    "collapse",
    "core",
    "emergence",
    "grokking",
    "limits",
    "plotting",
    "regimes",
    "runs",
    "widgets",
    *_core_names,
]
