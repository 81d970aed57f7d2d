"""The notebooks' Colab cell (scripts/colab_cell.py) installs labhelpers where Colab would, and nowhere else.

The cell runs, through IPython as in a notebook, in a fresh virtual environment where ``google.colab`` exists
as a stub package. ``LABHELPERS_SOURCE`` points it at a copy of this checkout instead of the repository
(``file://`` instead of ``git+https://``), so the test needs no network; everything else is the cell's own
logic: ``%pip install "labhelpers @ <source>"`` with pip's default resolution of the dependencies.

Dependencies: the fresh environment has no pip and no packages of its own; one ``.pth`` file puts this
interpreter's site-packages (numpy, torch, IPython, pip, setuptools, ...) after its own. Nothing is copied
or downloaded, yet pip still resolves labhelpers' dependency list against installed versions, so a
dependency missing from the environment fails the install (``--no-deps`` would have skipped that check).
Folders named in a ``.pth`` file are added to ``sys.path`` without reading the ``.pth`` files inside them,
so the checkout's editable install (a ``.pth`` hook in this site-packages) stays inactive there: ``import
labhelpers`` finds the freshly installed copy or nothing. pip leaves that editable install alone, since it
lies outside the fresh environment.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from colab_cell import SOURCE_VARIABLE, colab_cell_source, repository_url  # noqa: E402

# Runs one cell as a notebook would: IPython expands {source} in the %pip line and runs pip as a shell command.
RUN_CELL = """
import json, sys
if sys.argv[1] == "colab":
    import google.colab  # Colab imports it at start-up
from IPython.core.interactiveshell import InteractiveShell

shell = InteractiveShell.instance()
result = shell.run_cell(open(sys.argv[2]).read())
result.raise_error()
print(json.dumps({"pip_exit_code": shell.user_ns.get("_exit_code")}))
"""

WHERE_FROM = """
import json, sys
import labhelpers
print(json.dumps({
    "files": sorted({getattr(m, "__file__", None) or "" for n, m in sys.modules.items() if n.startswith("labhelpers")}),
    "results": str(labhelpers.runs.results_file("grokking_mnist_cpu.json")),
}))
"""


def _checkout_copy(destination: Path) -> Path:
    """What pip needs to build labhelpers from this checkout (pip builds in place; the checkout stays clean)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    shutil.copytree(ROOT / "labhelpers", destination / "labhelpers", ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, destination / name)
    return destination


def _fresh_environment(folder: Path) -> tuple[Path, Path]:
    """A virtual environment without pip or packages; this interpreter's site-packages comes after its own."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=60)
    python = folder / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (site / "base_environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    stub = site / "google" / "colab"  # a regular package, so it wins over any `google` namespace further on
    stub.mkdir(parents=True)
    (site / "google" / "__init__.py").write_text("")
    (stub / "__init__.py").write_text('"""A stand-in for Colab\'s own module: only its presence matters."""\n')
    return python, site


def _run(python: Path, *args: str, env: dict[str, str], cwd: Path) -> dict:
    done = subprocess.run([str(python), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, f"{args[:2]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(sys.platform == "win32", reason="the virtual environment's layout is POSIX's")
def test_the_colab_cell_installs_labhelpers_from_the_checkout_in_a_fresh_environment(tmp_path):
    source = _checkout_copy(tmp_path / "checkout")
    python, site = _fresh_environment(tmp_path / "venv")
    cell = tmp_path / "cell.py"
    cell.write_text(colab_cell_source())
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        SOURCE_VARIABLE: source.as_uri(),
        "PIP_NO_INDEX": "1",  # nothing from the network: every dependency must already be there
        "PIP_NO_BUILD_ISOLATION": "0",  # build with the setuptools at hand, not one fetched for the build
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_CACHE_DIR": "1",
        "PYTHONNOUSERSITE": "1",
    }
    workdir = tmp_path / "work"  # not the checkout: the current folder is on sys.path for `python -c`
    workdir.mkdir()
    runner = ["-c", RUN_CELL]

    # Outside Colab the cell does nothing at all.
    assert _run(python, *runner, "jupyter", str(cell), env=env, cwd=workdir) == {"pip_exit_code": None}
    assert not list(site.glob("labhelpers*"))

    # In "Colab" it installs labhelpers from the source it is given.
    assert _run(python, *runner, "colab", str(cell), env=env, cwd=workdir) == {"pip_exit_code": 0}
    found = _run(python, "-c", WHERE_FROM, env=env, cwd=workdir)
    elsewhere = [f for f in found["files"] if not Path(f).is_relative_to(site / "labhelpers")]
    assert len(found["files"]) > 10 and not elsewhere, f"labhelpers modules not from the fresh install: {elsewhere}"
    assert Path(found["results"]).is_relative_to(site / "labhelpers"), "the stored runs must ship in the package"
    recorded = json.loads(next(site.glob("labhelpers-*.dist-info")).joinpath("direct_url.json").read_text())
    assert recorded["url"] == source.as_uri()


def test_the_cell_installs_from_the_repository_by_default():
    cell = colab_cell_source()
    assert f'os.environ.get("{SOURCE_VARIABLE}", "git+{repository_url()}")' in cell
    assert '%pip install --quiet "labhelpers @ {source}"' in cell
    assert cell.splitlines()[4] == 'if "google.colab" in sys.modules:'
