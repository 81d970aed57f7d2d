"""Binder's environment.yml agrees with requirements/lock.txt (what CI and local builds install)."""

import re
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[2]


def _pins(lines):
    pins = {}
    for line in lines:
        match = re.match(r"^\s*(?:-\s+)?([A-Za-z0-9_.\-]+)==([^\s#]+)", line)
        if match:
            pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


def _environment_pins():
    return _pins((ROOT / "environment.yml").read_text().splitlines())


def _lock_pins():
    return _pins((ROOT / "requirements" / "lock.txt").read_text().splitlines())


def test_pins_parse_both_files():
    assert _pins(["      - torch==2.13.0", "numpy==2.4.6  # x", "-e ."]) == {"torch": "2.13.0", "numpy": "2.4.6"}


def test_binder_and_the_lock_agree_on_every_shared_package():
    env, lock = _environment_pins(), _lock_pins()
    assert env, "environment.yml pins nothing"
    differ = {name: (env[name], lock.get(name)) for name in env if lock.get(name) != env[name]}
    assert not differ, f"environment.yml vs requirements/lock.txt (name: (binder, lock)): {differ}"


def test_binder_installs_every_runtime_dependency_of_the_package():
    """Binder runs the notebooks: every package labhelpers depends on must be pinned there too."""
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {re.split(r"[<>=!~ ]", d, maxsplit=1)[0].lower() for d in dependencies}
    missing = sorted(names - set(_environment_pins()))
    assert not missing, f"environment.yml lacks runtime dependencies of labhelpers: {missing}"
