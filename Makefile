# Two commands matter (see README.md): `make book` and `make test`.
# Both set up .venv from requirements/lock.txt on first use and reuse it afterwards.
.PHONY: book test browser lab venv sync lint clean lock

book:
	bash scripts/book.sh

test:
	bash scripts/test.sh

venv:
	bash scripts/venv.sh

# JupyterLab from the course's environment, opened on the repository (book/, lessons/, lessons/student/).
lab: venv
	.venv/bin/jupyter lab

# Only the browser suite (part of `make test`), on the existing _build/html.
browser: venv
	.venv/bin/python -m pytest -p no:xdist -q -rs tests/browser

# Refresh the paired .ipynb files from their MyST sources, regenerate the student copies and the paper-to-code index.
sync: venv
	.venv/bin/jupytext --quiet --to ipynb --update $$(grep -l '^jupytext:' book/*.md lessons/*.md)
	.venv/bin/python scripts/make_student_copies.py
	.venv/bin/python scripts/paper_index.py

lint: venv
	.venv/bin/ruff check labhelpers tests scripts
	.venv/bin/ruff format --check labhelpers tests scripts

clean:
	rm -rf _build .pytest_cache

# Re-pin every dependency from the current .venv (after changing pyproject.toml).
lock: venv
	.venv/bin/pip freeze --exclude-editable | grep -v -E '^(pip|setuptools|wheel)==' | sed 's/+cpu//' > requirements/lock.txt
