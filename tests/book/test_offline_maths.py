"""The book serves its own MathJax (scripts/fetch_mathjax.py), so its maths is typeset offline."""

import base64
import hashlib
import io
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import fetch_mathjax  # noqa: E402


def _tgz(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_the_config_loads_mathjax_from_the_site_not_a_cdn():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]["config"]
    assert config["mathjax_path"] == "mathjax/tex-mml-chtml.js"  # relative: under the site's _static
    assert "_assets" in config["html_static_path"]
    assert fetch_mathjax.TARGET == ROOT / "_assets" / "mathjax"
    # Jupyter Book adds a <script> tag for every .js file under a root _static folder (MathJax has ~90).
    assert not (ROOT / "_static").exists()


def test_the_build_fetches_mathjax_before_building():
    book = (ROOT / "scripts" / "book.sh").read_text()
    assert book.index("fetch_mathjax.py") < book.index('jupyter-book" build')


def test_only_the_browser_build_is_unpacked(tmp_path, monkeypatch):
    monkeypatch.setattr(fetch_mathjax, "TARGET", tmp_path / "_assets" / "mathjax")
    (tmp_path / "_assets").mkdir()
    fetch_mathjax.unpack(_tgz({"package/es5/tex-mml-chtml.js": b"js", "package/es5/output/f.woff": b"f",
                               "package/package.json": b"{}", "package/ts/x.ts": b"ts"}))  # fmt: skip
    unpacked = sorted(p.relative_to(fetch_mathjax.TARGET).as_posix() for p in fetch_mathjax.TARGET.rglob("*"))
    assert unpacked == [".version", "output", "output/f.woff", "tex-mml-chtml.js"]
    assert (fetch_mathjax.TARGET / ".version").read_text().strip() == fetch_mathjax.VERSION


def test_a_tarball_that_does_not_match_its_integrity_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(fetch_mathjax, "CACHE", tmp_path)
    (tmp_path / f"mathjax-{fetch_mathjax.VERSION}.tgz").write_bytes(b"not the release")
    with pytest.raises(SystemExit, match="does not match its published sha512 integrity"):
        fetch_mathjax.tarball()


def test_the_cached_release_is_accepted(tmp_path, monkeypatch):
    data = _tgz({"package/es5/tex-mml-chtml.js": b"js"})
    digest = base64.b64encode(hashlib.sha512(data).digest()).decode()
    monkeypatch.setattr(fetch_mathjax, "CACHE", tmp_path)
    monkeypatch.setattr(fetch_mathjax, "INTEGRITY", f"sha512-{digest}")
    (tmp_path / f"mathjax-{fetch_mathjax.VERSION}.tgz").write_bytes(data)
    assert fetch_mathjax.tarball() == data


def test_long_display_equations_scroll_inside_their_box():
    """Issue 13, item 2 (last resort at 400 px): a display equation wider than the column scrolls sideways."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]["config"]
    assert "course.css" in config["html_css_files"]
    css = (ROOT / "_assets" / "course.css").read_text()
    rule = css[css.index('mjx-container[display="true"]') :]
    assert "overflow-x: auto" in rule[: rule.index("}")]
