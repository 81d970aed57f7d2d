"""List every image in executed notebooks with the size its smallest text shows at in the book.

    python scripts/figure_report.py _build/jupyter_execute/book/collapse.ipynb [more.ipynb ...]

For each PNG output (and each explorer frame embedded as a data URI in an HTML output) it prints the
natural size, the smallest text in image pixels (the ``Smallest text px`` chunk that
``lh.plotting.use_style`` writes; "missing" when absent) and the CSS pixels that text has when the
image is shown in the book's column at a 1280-px window (688 px wide at most). Exits 1 if any image
lacks the chunk or shows text below 9 CSS px.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import re
import sys
from pathlib import Path

from PIL import Image

COLUMN_PX = 688  # the widest an image is shown in the article at a 1280-px window
MIN_CSS_PX = 9.0
KEY = "Smallest text px"  # labhelpers.plotting.SMALLEST_TEXT_KEY (not imported: no package needed)
DATA_URI = re.compile(r"data:image/png;base64,([A-Za-z0-9+/=]+)")


def images(notebook: Path):
    """(cell number, PNG bytes) for every PNG in the notebook's outputs."""
    cells = json.loads(notebook.read_text())["cells"]
    for number, cell in enumerate(cells):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/png" in data:
                yield number, base64.b64decode(data["image/png"])
            html = data.get("text/html", "")
            html = "".join(html) if isinstance(html, list) else html
            for match in DATA_URI.finditer(html):
                yield number, base64.b64decode(match.group(1))


def report(notebook: Path) -> int:
    bad = 0
    for number, png in images(notebook):
        image = Image.open(io.BytesIO(png))
        width, height = image.size
        text = image.text.get(KEY) if hasattr(image, "text") else None
        if text is None:
            shown, verdict = "missing", "NO CHUNK"
        else:
            css = float(text) * min(1.0, COLUMN_PX / width)
            shown, verdict = f"{float(text):6.2f} px -> {css:5.2f} CSS px", "ok" if css >= MIN_CSS_PX else "TOO SMALL"
        bad += verdict != "ok"
        print(f"{notebook.name} cell {number:3d}: {width:5d}x{height:<5d} {shown}  {verdict}")
    return bad


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    bad = sum(report(path) for path in parser.parse_args().notebooks)
    print(f"{bad} image(s) missing the chunk or below {MIN_CSS_PX:g} CSS px at 1280 px")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
