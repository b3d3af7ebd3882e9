# Content targets (included by the top-level Makefile).
PY ?= .venv/bin/python

.PHONY: content-check content-test
## content-check: validate content/ (translations, references, SMS segment budgets)
content-check:
	$(PY) -m content.validate

## content-test: the content package's tests
content-test:
	$(PY) -m pytest -q tests/content
