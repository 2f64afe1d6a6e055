PYTHON ?= python3

.PHONY: generate check-generated test install

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
