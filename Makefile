# The two set-up commands of the README. Both create (or reuse) .venv and install pinned
# dependencies from PyPI only.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: demo test

$(INSTALLED): requirements.txt requirements-nodeps.txt setup.py setup.cfg package.xml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -r requirements.txt
	$(PY) -m pip install --no-deps -r requirements-nodeps.txt
	$(PY) -m pip install --no-deps --no-build-isolation -e .
	touch $(VENV)/COLCON_IGNORE $@

demo: $(INSTALLED)
	$(VENV)/bin/lmd_demo

test: $(INSTALLED)
	$(PY) -m pytest test
