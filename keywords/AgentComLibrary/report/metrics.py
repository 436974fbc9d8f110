"""``metrics.json``: per test and per run figures for trending across runs (CI).

Pure functions from hub task records to JSON-ready dicts; the shape is documented in
``docs/metrics.schema.json`` and docs/results.md. The listener writes the file at close.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..defects.run import summarize
from ..hubapi.task_record import TaskRecord

SCHEMA = "agentcom-metrics/1"
FILE_NAME = "metrics.json"
MESSAGE_CHARS = 300


def percentile(values: list[int], share: float) -> int | None:
    """Nearest-rank percentile (``share`` in 0..1) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def spread(values: list[int]) -> dict[str, Any]:
    """``{"count", "p50", "p95", "max"}`` of ms values (None when there are none)."""
    return {
        "count": len(values),
        "p50": percentile(values, 0.5),
        "p95": percentile(values, 0.95),
        "max": max(values) if values else None,
    }


def task_metrics(tasks: Iterable[TaskRecord], names: Mapping[str, str]) -> dict[str, Any]:
    """The task figures of one test: counts, first-assignment latency, recovery times,
    completed tasks per agent (short names where the test knows them)."""
    facts = list(tasks)
    statuses = Counter(t.status for t in facts)
    first = [t.first_latency_ms for t in facts if t.first_latency_ms is not None]
    recoveries = [ms for t in facts for ms in t.recoveries_ms]
    per_agent = Counter(
        names.get(t.completed_by or "", t.completed_by or "") for t in facts if t.completed
    )
    return {
        "tasks": len(facts),
        "completed": statuses.get("completed", 0),
        "completions": sum(t.count("completed") for t in facts),
        "statuses": dict(sorted(statuses.items())),
        "reclaims": sum(t.count("reclaimed") for t in facts),
        "assignment_latency_ms": spread(first),
        "recovery_ms": {**spread(recoveries), "values": recoveries},
        "tasks_per_agent": dict(sorted(per_agent.items())),
    }


def entry_of_test(
    result: Any, tasks: list[TaskRecord] | None, names: Mapping[str, str], contract: dict[str, Any]
) -> dict[str, Any]:
    """One test's entry, from Robot's result object of the test and its tasks."""
    message = str(result.message or "")
    entry: dict[str, Any] = {
        "name": result.name,
        "full_name": result.full_name,
        "ids": [t for t in result.tags if "-" in t and t.split("-", 1)[0].isupper()],
        "tags": list(result.tags),
        "status": result.status,
        "message": message if len(message) <= MESSAGE_CHARS else message[:MESSAGE_CHARS] + "...",
        "wall_time_s": round(result.elapsed_time.total_seconds(), 3),
        "contract": contract,
    }
    entry.update(task_metrics(tasks or [], names))
    return entry


def run_document(
    run: dict[str, Any], sessions: list[dict[str, Any]], tests: list[dict[str, Any]]
) -> dict[str, Any]:
    """The whole file: run-level metadata, the hub sessions, totals and the tests."""
    statuses = Counter(t["status"] for t in tests)
    known = [t for t in tests if (t.get("known_defects") or {}).get("verdict") == "known"]
    totals = {
        "tests": len(tests),
        "passed": statuses.get("PASS", 0),
        "failed": statuses.get("FAIL", 0),
        "skipped": statuses.get("SKIP", 0),
        "tasks": sum(t["tasks"] for t in tests),
        "known_failures": sum(1 for t in known if t["status"] == "SKIP"),
        "new_failures": statuses.get("FAIL", 0),
    }
    if run.get("known_defects"):  # counted here, so a merge of pabot's files counts again
        run = {**run, "known_defects": summarize(run["known_defects"], tests)}
    return {"schema": SCHEMA, **run, "sessions": sessions, "totals": totals, "tests": tests}


def write(path: Path, document: dict[str, Any]) -> Path:
    """Write ``document`` as JSON (atomically: a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    partial.replace(path)
    return path


def merge(documents: list[dict[str, Any]]) -> dict[str, Any]:
    """One document from those of parallel processes (pabot): their sessions and tests
    together, the run fields of the earliest, the wall time of the longest."""
    if not documents:
        raise ValueError("no metrics documents to merge")
    ordered = sorted(documents, key=lambda d: str(d.get("started_at", "")))
    first = ordered[0]
    run = {k: v for k, v in first.items() if k not in ("schema", "sessions", "totals", "tests")}
    run["wall_time_s"] = max(float(d.get("wall_time_s", 0)) for d in ordered)
    run["processes"] = len(ordered)
    sessions = [s for d in ordered for s in d.get("sessions", [])]
    tests = [t for d in ordered for t in d.get("tests", [])]
    return run_document(run, sessions, tests)


def main(argv: list[str] | None = None) -> int:
    """``python -m AgentComLibrary.report.metrics merge OUT IN...`` (used by make smoke JOBS=N)."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if len(args) < 3 or args[0] != "merge":
        print("usage: python -m AgentComLibrary.report.metrics merge OUT.json IN.json...")
        return 2
    inputs = [json.loads(Path(p).read_text(encoding="utf-8")) for p in args[2:]]
    write(Path(args[1]), merge(inputs))
    merge_coverage_beside(Path(args[1]).parent, [Path(p) for p in args[2:]])
    return 0


def merge_coverage_beside(outdir: Path, inputs: list[Path]) -> None:
    """The contract coverage pages of parallel processes, written beside their
    metrics.json, merged into one in ``outdir`` (nothing when there are none)."""
    from ..contract_map import page

    parts = [p.parent / page.JSON_NAME for p in inputs if (p.parent / page.JSON_NAME).is_file()]
    if parts:
        documents = [json.loads(p.read_text(encoding="utf-8")) for p in parts]
        table = page.merge(outdir, documents)
        print(f"Contract coverage: {page.summary_text(table)} ({outdir / page.HTML_NAME})")


if __name__ == "__main__":
    raise SystemExit(main())
