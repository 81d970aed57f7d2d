"""Put MathJax 3 into ``_assets/mathjax`` so that the built book typesets its maths without internet.

    python scripts/fetch_mathjax.py          # scripts/book.sh runs it before every build

The book's pages load ``_static/mathjax/tex-mml-chtml.js`` (``mathjax_path`` in ``_config.yml``) instead
of a CDN, so a reader offline, or behind a firewall, still sees typeset formulas. The package comes from
the npm registry (the one ``npm config get registry`` would name: ``$NPM_CONFIG_REGISTRY``, else
registry.npmjs.org) as the pinned release below, checked against its published sha512 integrity before
anything is unpacked; npm itself is not needed. The tarball is kept in ``~/.cache/course-mathjax`` and
the unpacked folder is stamped with the version, so later builds do nothing. ``_assets/mathjax`` is
not committed (.gitignore): the build installs it, as the issue for the reader's book asks.

Why ``_assets`` and not ``_static``: ``_config.yml`` lists ``_assets`` in ``html_static_path``, so Sphinx
copies it to the site's ``_static/``. A folder named ``_static`` at the book's root would be walked by
Jupyter Book, which adds a ``<script>`` tag for every ``.js`` file in it, and MathJax has 90 of them.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import sys
import tarfile
import urllib.request
from pathlib import Path

VERSION = "3.2.2"
# From `npm view mathjax@3.2.2 dist.integrity`.
INTEGRITY = "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw=="
ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "_assets" / "mathjax"
STAMP = TARGET / ".version"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "course-mathjax"


def registry() -> str:
    url = (
        os.environ.get("NPM_CONFIG_REGISTRY") or os.environ.get("npm_config_registry") or "https://registry.npmjs.org/"
    )
    return url if url.endswith("/") else url + "/"


def tarball() -> bytes:
    """The release tarball, from the cache or the registry, checked against :data:`INTEGRITY`."""
    cached = CACHE / f"mathjax-{VERSION}.tgz"
    if cached.is_file():
        data = cached.read_bytes()
    else:
        url = f"{registry()}mathjax/-/mathjax-{VERSION}.tgz"
        try:
            with urllib.request.urlopen(url, timeout=120) as response:
                data = response.read()
        except OSError as error:
            raise SystemExit(
                f"fetch_mathjax: could not download {url} ({error}). The book serves MathJax itself so that its "
                "maths works offline; connect once (later builds use the cache in ~/.cache/course-mathjax), or "
                "set NPM_CONFIG_REGISTRY to a registry mirror."
            ) from None
    algorithm, expected = INTEGRITY.split("-", 1)
    actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if actual != expected:
        raise SystemExit(f"fetch_mathjax: mathjax-{VERSION}.tgz does not match its published {algorithm} integrity")
    CACHE.mkdir(parents=True, exist_ok=True)
    cached.write_bytes(data)
    return data


def unpack(data: bytes) -> None:
    """Unpack the package's ``es5/`` folder (the browser build) into :data:`TARGET`."""
    staging = TARGET.with_name("mathjax.partial")
    shutil.rmtree(staging, ignore_errors=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        members = [m for m in archive.getmembers() if m.name.startswith("package/es5/") and m.isfile()]
        for member in members:
            member.name = member.name[len("package/es5/") :]
        archive.extractall(staging, members=members, filter="data")
    (staging / ".version").write_text(VERSION + "\n")
    shutil.rmtree(TARGET, ignore_errors=True)
    staging.rename(TARGET)


def main() -> None:
    if STAMP.is_file() and STAMP.read_text().strip() == VERSION:
        return
    unpack(tarball())
    files = sum(1 for p in TARGET.rglob("*") if p.is_file())
    print(f"fetch_mathjax: MathJax {VERSION} in {TARGET.relative_to(ROOT)} ({files} files)", file=sys.stderr)


if __name__ == "__main__":
    main()
