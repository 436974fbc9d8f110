"""Check that every clause of the wire contract is covered by a tagged test or listed as
deliberately untested with a reason (docs/contract-coverage.md).

Usage: python tools/check_coverage.py [PROJECT_ROOT]

Reads docs/contract/clauses.toml and parses suites/ with robot.api (no test runs); exits 1
with a list when a clause has no test and no `untested` reason, when a `contract:<id>` tag
names no clause, or when a clause marked untested is tagged on a test.
"""

from __future__ import annotations

import sys
from pathlib import Path

from AgentComLibrary.contract_map.check import main

ROOT = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or [str(ROOT)]))
