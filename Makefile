# The two commands: `make demo` and `make test`. Each sets up .venv on its first run.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast docs install clean

demo: $(STAMP)
	$(BIN)/zoo list
	$(BIN)/zoo demo all

# Two workers: most of a test's time is single-threaded Python (graph building, start-up), so two
# processes on two cores. A file's tests go to one worker (--dist loadfile), so a module's costly
# fixture (a core-only venv, a trained sample run) is made once, not once per worker.
test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

# The inner loop while changing code: every test but the end-to-end and seconds-long ones (marked
# `slow`: runs of the `zoo` command, training through it, the registry-wide round trip).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile -m "not slow"

# The documentation site, into site/ (open site/index.html): offline, and strict, so that a broken
# link, a missing reference or a docstring warning fails it. Its API pages are generated from the
# installed package's docstrings, hence the install first.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

install: $(STAMP)

# A regular (not editable) install, as users get it: the tests run the installed `zoo` command,
# so reinstall whenever the package's files change.
SOURCES := Makefile pyproject.toml $(shell find zoo applications pretrained -type f ! -name '*.pyc' 2>/dev/null)

$(STAMP): $(SOURCES)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	rm -rf build  # setuptools reuses build/lib: files deleted from the source would still ship
	$(BIN)/python -m pip install --quiet ".[dev]"
	rm -rf build *.egg-info  # the build's leftovers; an egg-info here would shadow the installed metadata
	touch $(STAMP)

clean:
	rm -rf $(VENV) build *.egg-info runs site
