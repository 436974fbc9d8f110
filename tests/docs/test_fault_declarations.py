"""The faults' declarations (agentcom_hub/faults.toml) name rules and clauses that exist."""

from __future__ import annotations

import re
from pathlib import Path

from agentcom_hub.faults import DECLARED, Fault
from AgentComLibrary.checker.rules import RULES
from AgentComLibrary.contract_map.clauses import CLAUSES_FILE, load
from AgentComLibrary.contract_map.scan import scan

ROOT = Path(__file__).resolve().parents[2]
CLAUSES = {clause.id for clause in load(ROOT / CLAUSES_FILE)}


def test_each_declared_rule_is_a_checker_rule() -> None:
    names = {r.name for r in RULES}
    for fault in Fault:
        rule = DECLARED[fault].rule
        assert not rule or rule in names, f"{fault.value}: no checker rule {rule!r} in RULES"


def test_each_declared_clause_is_in_the_clause_file() -> None:
    for fault in Fault:
        unknown = set(DECLARED[fault].clauses) - CLAUSES
        assert not unknown, f"{fault.value}: no such clause in clauses.toml: {sorted(unknown)}"


SCENARIO_ID = re.compile(r"\b(?:TEST|CONTRACT|NET|LOAD)-\d+[a-z]?\b")


def test_each_test_a_fault_names_as_its_catcher_exists() -> None:
    """``caught_by`` names tests by their ids: each must be a tag of a test in suites/, so a
    renumbered or removed test shows here instead of leaving the declaration stale."""
    ids = {tag for test in scan(ROOT / "suites") for tag in test.tags}
    for fault in Fault:
        named = set(SCENARIO_ID.findall(DECLARED[fault].caught_by or ""))
        missing = named - ids
        assert not missing, f"{fault.value}: caught_by names no such test: {sorted(missing)}"
