# Two entry points, both working on a fresh machine:
#   make bench  - set up .venv and run the benchmark on its default extractors
#   make test   - set up .venv and run the tests
VENV ?= .venv

.PHONY: setup bench test lint clean

setup:
	bash scripts/setup.sh

bench: setup
	$(VENV)/bin/factbench run

test: setup
	$(VENV)/bin/python -m pytest -q

lint: setup
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache
