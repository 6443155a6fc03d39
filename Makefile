# wirewatch developer commands; `make help` lists them. Each target sets up what it needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: help run test lint fmt bench clean

help:  ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

run: $(STAMP)  ## everything on the embedded default: local Kafka, sample feeds, worker, poller, alerts
	bash deploy/kafka/kafka.sh fetch
	$(VENV)/bin/wirewatch run

test: $(STAMP)  ## unit and integration tests (starts its own Kafka broker)
	bash deploy/kafka/kafka.sh fetch
	bash deploy/prometheus/fetch.sh
	$(PY) -m pytest -v

lint: $(STAMP)  ## ruff check, ruff format --check, mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy streams agents

fmt: $(STAMP)  ## format and autofix
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP)  ## benchmarks that print ratios against a baseline run in the same script
	$(PY) bench/language_bench.py
	$(PY) bench/enrich_bench.py
	$(PY) bench/tagging_bench.py
	$(PY) bench/story_bench.py
	$(PY) bench/pipeline_bench.py --items 5000
	$(PY) bench/chain_bench.py --items 5000 --workers 1,2
	$(PY) bench/poller_bench.py bench --feeds 1000 --concurrency 8 --per-host 8

clean:  ## remove the virtualenv, caches and local broker data (keeps the Kafka jar cache)
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
