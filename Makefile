# The course's verbs. `make demo` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup assignments lab test clean

setup: $(STAMP)
	@command -v dot >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Graphviz (the 'dot' program that draws the graph pictures)..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; \
	  else \
	    echo "Graphviz's 'dot' program is missing: the graph pictures need it."; \
	    echo "Install it with:  sudo apt-get install graphviz   (macOS: brew install graphviz)"; \
	  fi; }

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3" >/dev/null
	@touch $@

# solutions/ -> assignments/ (stubs, public checks only, outputs cleared) and the
# grader's copy of the reference code.
assignments: setup
	$(PY) -m course.generate solutions assignments

lab: setup
	$(VENV)/bin/jupyter lab --notebook-dir=assignments

test: setup
	$(PY) -m pytest -n 2 -q

clean:
	rm -rf $(VENV) .pytest_cache build dist *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
