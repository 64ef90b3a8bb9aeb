# Everything runs from the project's own .venv, created on first use: a fresh machine needs only
# Python 3.11+ (Java and the Kafka/registry jars are fetched by `orderflow stack up`).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: venv test demo stack-up stack-down stack-status bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

venv: $(INSTALLED)

test: venv
	$(BIN)/pytest

demo: venv
	$(BIN)/orderflow demo

stack-up: venv
	$(BIN)/orderflow stack up

stack-down: venv
	$(BIN)/orderflow stack down

stack-status: venv
	$(BIN)/orderflow stack status

bench: venv
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/orderflow bench all
