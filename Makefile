# robotframework-agentcom: every target bootstraps .venv itself (only Python 3.10+ needed).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
ROBOT_ARGS ?=

STANDIN := tests/sidecar_standin

.PHONY: pytest pytest-fast test-fast suite sidecar standin smoke smoke-parallel screenshots load atest test lint format docs docs-check fault-matrix bench clean help network network-deps explore-network

help:
	@echo "make smoke         run all suites against the embedded hub (results/log.html)"
	@echo "make smoke JOBS=2  the same with pabot, 2 suite files at a time (= make smoke-parallel)"
	@echo "make suite FILE=suites/01_basic_pipeline.robot   one suite file (results/log.html)"
	@echo "make load          the load and capacity suite (500 agents, 10,000 tasks; results/load)"
	@echo "make screenshots   report/log screenshots of a passing, failing, setup-error run"
	@echo "make atest         the library's own acceptance tests (atest/, results/atest)"
	@echo "make test          lint, keyword docs check, atest, pytest (units + suites end to end)"
	@echo "make test-fast     the inner loop: lint, docs check, atest, pytest without the e2e tests"
	@echo "make fault-matrix  run the suites once per hub fault and print what caught each"
	@echo "make explore       generated scenarios against a hub, a failure shrunk to a .robot file (results/explore)"
	@echo "make network       run the network fault suite in a two-namespace lab (root)"
	@echo "make explore-network  the explorer in that lab: partitions and heals drawn too (root)"
	@echo "make sidecar       run the real-sidecar suite with the stand-in sidecar (needs node)"
	@echo "make docs          write docs/AgentComLibrary.html and regenerate its libspec (libdoc)"
	@echo "make format        format Python (ruff) and Robot files (robocop)"
	@echo "make bench         run the hub throughput benchmark"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python 3.10+ is needed, found " + sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@# pip compiles what it installs, but not an editable tree: compile it too, so that each
	@# robot and hub process starts from bytecode also where PYTHONDONTWRITEBYTECODE is set.
	$(BIN)/python -m compileall -q keywords hub > /dev/null
	@touch $(STAMP)

# The load suite (tag `load`, about 40 s) is left out of smoke; `make load` runs it, and
# `make test` runs it with every suite (tests/suites).
# JOBS=N runs the suite files in N parallel processes with pabot (from .venv, PATH not
# needed); pabot's own files (.pabotsuitenames, pabot_results/, pabot.args) stay in results/.
# Paths in ROBOT_ARGS are then relative to results/ (pabot runs there).
smoke: $(STAMP)
ifeq ($(strip $(JOBS)),)
	$(BIN)/robot --argumentfile robot.args --exclude load $(ROBOT_ARGS) suites
else
	@mkdir -p results
	grep -v '^--outputdir' robot.args > results/pabot.args
	cd results && PATH="$(CURDIR)/$(BIN):$$PATH" "$(CURDIR)/$(BIN)/pabot" --no-pabotlib \
	  --processes $(JOBS) --command "$(CURDIR)/$(BIN)/python" -m robot --end-command \
	  --argumentfile pabot.args --outputdir . --exclude load $(ROBOT_ARGS) ../suites; status=$$?; \
	  ../$(BIN)/python -m AgentComLibrary.report.metrics merge metrics.json \
	    pabot_results/*/metrics.json; exit $$status
endif

smoke-parallel:
	$(MAKE) smoke JOBS=$(or $(JOBS),2)

# One suite file with the run's set-up (suites/__init__.robot) and robot.args: its output
# stays under results/ (`robot suites/FILE` alone writes into the current directory).
# A file outside suites/ runs with robot.args alone: it brings its own set-up (see
# docs/scenarios.md, "A scenario file elsewhere").
suite: $(STAMP)
	@test -n "$(FILE)" || { echo "usage: make suite FILE=suites/01_basic_pipeline.robot"; exit 2; }
	@test -e "$(FILE)" || { echo "make suite: no such file: $(FILE)"; exit 2; }
	@case "$$(realpath "$(FILE)")" in \
	  "$(CURDIR)/suites/"*) set -x; $(BIN)/robot --argumentfile robot.args $(ROBOT_ARGS) --parse-include $(FILE) suites;; \
	  *) set -x; $(BIN)/robot --argumentfile robot.args --pythonpath . $(ROBOT_ARGS) $(FILE);; \
	esac

load: $(STAMP)
	$(BIN)/robot --argumentfile robot.args --outputdir results/load --variable LOAD:yes $(ROBOT_ARGS) \
	  --parse-include suites/13_load_and_capacity.robot suites

# Generated scenarios (suites/15_explore.robot, left out of smoke): EXPLORE_SEED and
# EXPLORE_DURATION go through ROBOT_ARGS, e.g. ROBOT_ARGS="--variable EXPLORE_SEED:7".
explore: $(STAMP)
	$(BIN)/robot --argumentfile robot.args --outputdir results/explore --include explore $(ROBOT_ARGS) \
	  --parse-include suites/15_explore.robot suites

# Screenshots (headless Chromium) of report.html and log.html of a passing, a failing and
# a setup-error run of TEST-01, into results/screenshots/.
screenshots: $(STAMP)
	$(BIN)/python tools/screenshots.py --outputdir results/screenshots

# The stand-in sidecar's npm dependencies (ws), from its package-lock.json; skipped with a
# message when node or npm is missing (the sidecar tests then skip too).
standin:
	@if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then \
		echo "node/npm not found: the sidecar stand-in is not installed and its tests will be skipped"; \
	elif [ ! $(STANDIN)/node_modules/.package-lock.json -nt $(STANDIN)/package-lock.json ]; then \
		npm ci --prefix $(STANDIN) --no-audit --no-fund --loglevel=error; \
	fi

atest: $(STAMP) standin
	$(BIN)/robot --outputdir results/atest --console dotted $(ROBOT_ARGS) atest

sidecar: $(STAMP) standin
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
	$(BIN)/python tools/libspec.py docs/AgentComLibrary.libspec

docs-check: $(STAMP)
	$(BIN)/python tools/check_docs.py docs/AgentComLibrary.libspec
	$(BIN)/python tools/check_coverage.py
	$(BIN)/python tools/check_rule_docs.py
	@$(BIN)/python -m robot.libdoc --name AgentComLibrary AgentComLibrary docs/AgentComLibrary.html >/dev/null

fault-matrix: $(STAMP)
	$(BIN)/python tools/fault_matrix.py

bench: $(STAMP)
	$(BIN)/python benchmarks/hub_throughput.py

# The network lab needs root, iproute2 and nftables; as root, install what is missing (waiting
# for another apt to finish); otherwise say what to install (the lab's tests then skip).
network-deps:
	@command -v ip >/dev/null && command -v nft >/dev/null || \
	  sh tools/install_debs.sh "network lab" iproute2 nftables

network: $(STAMP) network-deps
	$(BIN)/python -m AgentComLibrary.network.lab --workdir results/network-lab -- \
	  --argumentfile robot.args --outputdir results/network $(ROBOT_ARGS) suites/12_network_faults.robot

# The explorer inside the network lab (root): half of its talkative agents run on the far
# host, and partitions and heals of that host are drawn too (docs/explore.md).
explore-network: $(STAMP) network-deps
	$(BIN)/python -m AgentComLibrary.network.lab --workdir results/explore-network-lab -- \
	  --argumentfile robot.args --outputdir results/explore-network --include explore $(ROBOT_ARGS) \
	  --parse-include suites/15_explore.robot suites

# pytest runs the test files on PYTEST_JOBS workers (pytest-xdist): most tests wait on hub
# timers, so 4 workers suit 2 cores; each file stays on one worker (its fixtures run once). Tests
# marked `exclusive` (the load suite: its bars measure capacity) run alone afterwards.
PYTEST_JOBS ?= 4

# atest runs beside pytest (each target's output is printed whole when it ends).
test: lint docs-check standin network-deps
	@$(MAKE) --no-print-directory -j2 --output-sync=target atest pytest

# The inner loop: lint, the docs check, then atest beside the pytest tests not marked e2e
# (whole robot suites, labs) or exclusive.
test-fast: lint docs-check standin
	@$(MAKE) --no-print-directory -j2 --output-sync=target atest pytest-fast

pytest-fast: $(STAMP)
	$(BIN)/python -m pytest -n $(PYTEST_JOBS) --dist loadfile -m "not e2e and not exclusive" $(PYTEST_ARGS)

pytest: $(STAMP)
	$(BIN)/python -m pytest -n $(PYTEST_JOBS) --dist loadfile -m "not exclusive" $(PYTEST_ARGS)
	$(BIN)/python -m pytest -m exclusive $(PYTEST_ARGS)

clean:
	rm -rf results .pytest_cache .ruff_cache
