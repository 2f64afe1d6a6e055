PYTHON ?= python3

.PHONY: generate check-generated test install docs

## Regenerate every artifact in src/modelcard_spec/generated from schema/ (needs ".[build]").
generate:
	$(PYTHON) tools/generate.py

## Fail if the committed artifacts differ from what schema/ generates.
check-generated:
	$(PYTHON) tools/generate.py --check

## Run the test suite (needs ".[test]").
test:
	$(PYTHON) -m pytest -q

install:
	$(PYTHON) -m pip install -e ".[test]"

## Build the specification site into site/ (needs ".[docs]"): generated pages, then a strict MkDocs build.
docs:
	$(PYTHON) tools/build_docs.py
	NO_MKDOCS_2_WARNING=1 $(PYTHON) -m mkdocs build --strict
