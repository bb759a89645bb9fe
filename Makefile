# Two commands for a fresh machine:
#   make lab    set up, then open JupyterLab on the first notebook
#   make test   set up, then run every test
.PHONY: setup setup-test lab test release bench

setup:
	@bash scripts/setup.sh

# the same, plus what the kit's own tests need (playwright, and Chromium where it can be installed)
setup-test:
	@bash scripts/setup.sh --test

# JupyterLab refuses to run as root unless asked (containers often run as root)
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

# Rooted at the kit (so solutions/ is one click away), opening the first notebook
lab: setup
	.venv/bin/jupyter lab $(ROOT_FLAG) --ServerApp.root_dir=. \
		--LabApp.default_url=/lab/tree/notebooks/00-start-here.ipynb

# three workers on two cores: notebook replays and browser tests spend most of their time waiting
# on kernels, JVMs and pages, so a third worker fills the gaps; loadgroup keeps each group of tests
# that share a server (the browser tests' JupyterLabs) on one worker
test: setup-test
	.venv/bin/python -m pytest -n 3 --dist loadgroup

release: setup
	.venv/bin/python -m grader release

bench: setup
	.venv/bin/python benchmarks/run_all.py
