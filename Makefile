# robotframework-agentcom: every target bootstraps .venv itself (only Python 3.10+ needed).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
ROBOT_ARGS ?=

.PHONY: sidecar smoke atest test lint format docs docs-check fault-matrix bench clean help

help:
	@echo "make smoke         run all suites against the embedded hub (results/log.html)"
	@echo "make atest         the library's own acceptance tests (atest/, results/atest)"
	@echo "make test          lint, keyword docs check, atest, pytest (units + suites end to end)"
	@echo "make fault-matrix  run the suites once per hub fault and print what caught each"
	@echo "make sidecar       run the real-sidecar suite with the stand-in sidecar (needs node)"
	@echo "make docs          regenerate docs/AgentComLibrary.html (libdoc)"
	@echo "make format        format Python (ruff) and Robot files (robocop)"
	@echo "make bench         run the hub throughput benchmark"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python 3.10+ is needed, found " + sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

smoke: $(STAMP)
	$(BIN)/robot --argumentfile robot.args $(ROBOT_ARGS) suites

atest: $(STAMP)
	$(BIN)/robot --outputdir results/atest --console dotted $(ROBOT_ARGS) atest

sidecar: $(STAMP)
	$(BIN)/robot --argumentfile robot.args --variable SIDECAR_DIR:tests/sidecar_standin $(ROBOT_ARGS) suites/05_real_sidecars.robot

lint: $(STAMP)
	$(BIN)/ruff check hub keywords tests benchmarks tools
	$(BIN)/ruff format --check hub keywords tests benchmarks tools
	$(BIN)/robocop check suites resources atest
	$(BIN)/robocop format --check suites resources atest

format: $(STAMP)
	$(BIN)/ruff format hub keywords tests benchmarks tools
	$(BIN)/ruff check --fix hub keywords tests benchmarks tools
	$(BIN)/robocop format suites resources atest

docs: $(STAMP)
	$(BIN)/python -m robot.libdoc --name AgentComLibrary AgentComLibrary docs/AgentComLibrary.html
	$(BIN)/python -m robot.libdoc --name AgentComLibrary --specdocformat RAW AgentComLibrary docs/AgentComLibrary.libspec

docs-check: $(STAMP)
	$(BIN)/python tools/check_docs.py docs/AgentComLibrary.libspec

fault-matrix: $(STAMP)
	$(BIN)/python tools/fault_matrix.py

bench: $(STAMP)
	$(BIN)/python benchmarks/hub_throughput.py

test: lint docs-check atest
	$(BIN)/python -m pytest

clean:
	rm -rf results .pytest_cache .ruff_cache
