"""``python -m labhelpers.grade SUBMISSIONS_DIR --lesson NN --out scores.csv`` (see :mod:`labhelpers.grade`).

Book: book/instructors (Grading).
"""

import sys

from .table import main

if __name__ == "__main__":
    sys.exit(main())
