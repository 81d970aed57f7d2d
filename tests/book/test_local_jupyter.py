"""The README's local route works: the course environment provides JupyterLab (``make lab``) and nbconvert."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("module", ["jupyterlab", "nbconvert"])
def test_the_environment_provides(module):
    result = subprocess.run([sys.executable, "-m", module, "--version"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip()[:1].isdigit(), result.stdout


def test_make_lab_starts_jupyterlab_from_the_venv():
    makefile = (ROOT / "Makefile").read_text()
    assert "\nlab: venv\n\t.venv/bin/jupyter lab\n" in makefile
    assert "make lab" in (ROOT / "README.md").read_text()
