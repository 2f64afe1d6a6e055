PYTHON ?= python3

.PHONY: generate check-generated test install docs constraints golden

## Regenerate every artifact in src/modelcard_spec/generated from schema/ (needs ".[build]").
generate:
	$(PYTHON) tools/generate.py

## Fail if the committed artifacts differ from what schema/ generates.
check-generated:
	$(PYTHON) tools/generate.py --check

## Run the test suite (needs ".[test]").
test:
	$(PYTHON) -m pytest -q

## Record what every command prints for the shipped examples into tests/golden/ (review the diff).
golden:
	$(PYTHON) tools/golden.py

install:
	$(PYTHON) -m pip install -c constraints.txt -e ".[test]"

## Pin the versions of the current environment (after a green test run) into constraints.txt.
constraints:
	{ echo "# Versions the test suite was last run with (CPython 3.11, Linux): written by 'make constraints'."; \
	  echo "# Used by the README's Quick start and CI: pip install -c constraints.txt ..."; \
	  $(PYTHON) -m pip freeze --exclude-editable | grep -iv '^modelcard.spec'; } > constraints.txt

## Build the specification site into site/ (needs ".[docs]"): generated pages, then a strict MkDocs build.
docs:
	$(PYTHON) tools/build_docs.py
	NO_MKDOCS_2_WARNING=1 $(PYTHON) -m mkdocs build --strict
