# The course's verbs. `make demo` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup assignments lab test clean demo grade check

# grade this folder with `make grade SUBMISSIONS=path/to/folder` (or one file)
SUBMISSIONS ?=
OUT ?= grades/$(notdir $(abspath $(SUBMISSIONS)))

# One line per step; an installer's output shows only when its step fails.
STEP := sh course/setup_step.sh

setup: $(STAMP)
	@$(STEP) --program dot graphviz "Graphviz's 'dot' program (it draws the graph pictures)" \
	  "the pictures print as text" "macOS: brew install graphviz"
	@$(STEP) --program chromium chromium "Chromium (the browser that tests the class report)" \
	  "the report's browser tests are skipped"
	@$(STEP) --program bwrap bubblewrap "bubblewrap (the grader's strongest sandbox)" \
	  "the grader uses a weaker sandbox for students' code"

$(STAMP): pyproject.toml
	@$(STEP) "Creating $(VENV)/ with $$($(PYTHON) --version 2>&1)..." $(PYTHON) -m venv $(VENV)
	@$(STEP) "Installing the pinned packages into $(VENV)/ (a few minutes the first time)..." \
	  $(PY) -m pip install --disable-pip-version-check -e .
	@$(STEP) "Registering the notebooks' Python kernel..." \
	  $(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3"
	@touch $@

# solutions/ -> assignments/ (stubs, public checks only, outputs cleared) and the
# grader's copy of the reference code.
assignments: setup
	$(PY) -m course.generate solutions assignments

# JupyterLab on assignments/, without nbgrader's instructor tools; as root or not, with a
# display or without (then it prints the address to open). Options for `jupyter lab`:
# make lab LAB_OPTIONS=--port=8890
LAB_OPTIONS ?=
lab: setup
	$(PY) -m course.lab student assignments $(LAB_OPTIONS)

test: setup
	$(PY) -m pytest -n 2 -q

# The main job: grade the bundled example class, print the gradebook, say where the
# feedback files and the class report are. The class holds the assignment notebooks as
# handed out (examples/make_class.py copies them under their own names): say which rows they are.
DEMO_OUT ?= grades/demo
UNTOUCHED = $(notdir $(basename $(wildcard assignments/stage*.ipynb)))
demo: setup
	$(PY) -m autograder grade examples/class --out $(DEMO_OUT)
	@echo
	@echo "The rows $$(echo $(UNTOUCHED) | sed 's/ /, /g') are the assignment notebooks handed in untouched: nothing written yet, so no points."
	@echo "Open the class report in a browser: $(DEMO_OUT)/report.html"

grade: setup
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=path/to/folder-or-file"; exit 2; }
	@if [ -d "$(SUBMISSIONS)" ]; then \
	  $(PY) -m autograder grade "$(SUBMISSIONS)" --out "$(OUT)"; \
	else \
	  $(PY) -m autograder grade "$(SUBMISSIONS)"; \
	fi

# A learner's self-check of one stage notebook: `make check NB=assignments/stage1_local_derivatives.ipynb`
check: setup
	@test -n "$(NB)" || { echo "usage: make check NB=path/to/stageN_notebook.ipynb"; exit 2; }
	$(PY) -m autograder check "$(NB)"

clean:
	rm -rf $(VENV) .pytest_cache build dist *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

# How fast the grader is on this machine: prints figures (latency, throughput, nbgrader
# side by side), asserts nothing. Takes a few minutes.
.PHONY: bench
bench: setup
	$(PY) bench/run.py

# Where the course runs: an nbgrader course folder, a Gradescope autograder, a student download.
# `make nbgrader [NBGRADER_COURSE=dir]` lays out the nbgrader course from solutions/;
# `make nbgrader-crosscheck` grades its submitted/ with the judge and flags nbgrader scores
# that are higher; `make gradescope STAGE=N` builds dist/gradescope-autograder-stageN.zip
# (graded on stage N whatever a file says; no STAGE: all five); `make release STAGE=N` builds
# dist/student-release-stageN.zip for stage N (default 1). See docs/nbgrader.md, docs/gradescope.md.
NBGRADER_COURSE ?= nbgrader-course
.PHONY: nbgrader nbgrader-crosscheck nbgrader-lab gradescope release
nbgrader: setup
	$(PY) -m course.nbgrader_course build "$(NBGRADER_COURSE)"

nbgrader-crosscheck: setup
	$(PY) -m course.nbgrader_course crosscheck "$(NBGRADER_COURSE)"

# The instructor's JupyterLab on the nbgrader course folder, with nbgrader's tools
# (formgrader, Create Assignment, the course list).
nbgrader-lab: setup
	$(PY) -m course.lab instructor "$(NBGRADER_COURSE)" $(LAB_OPTIONS)

gradescope: setup
	$(PY) -m course.gradescope $(if $(STAGE),--stage $(STAGE) --out dist/gradescope-autograder-stage$(STAGE).zip)

release: setup
	$(PY) -m course.release --stage $(or $(STAGE),1)

# The picture of docs/architecture.md, from its text diagram (Graphviz's dot).
.PHONY: docs
docs:
	dot -Tsvg docs/architecture.dot -o docs/architecture.svg
