# Two commands for a fresh machine:
#   make lab    set up, then open JupyterLab on the first notebook
#   make test   set up, then run every test
.PHONY: setup lab test release bench

setup:
	@bash scripts/setup.sh

lab: setup
	.venv/bin/jupyter lab notebooks/00-start-here.ipynb

test: setup
	.venv/bin/python -m pytest

release: setup
	.venv/bin/python -m grader release

bench: setup
	.venv/bin/python benchmarks/run_all.py
