"""A test's final outcome against the known defects, set on Robot's result object at the
end of the test (the library's listener calls :func:`finish_test`).

Robot's ``--skiponfailure known-defect`` turns a failed test that ``Tag Known Defects``
tagged in its teardown into SKIP. Here, after the teardown, the whole message is judged
again (a teardown step may have failed after the tagging), the message says which known
defect explains the failure (or which part is new), and a test that turns out to have a
new part goes back to FAIL. Robot-free: works on the result object's attributes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .judge import (
    ALSO_TEARDOWN,
    KNOWN_TAG,
    ORIGINAL,
    Judgement,
    failure_of,
    judge,
    original_message,
)
from .run import DefectRun, Judged

TEARDOWN_FAILED = "Teardown failed:\n"


def finish_test(run: DefectRun, result: Any, verdict: Mapping[str, Any], reported: str) -> None:
    """Judge ``result`` (a Robot test result) once more and set its status, message and
    tags; remember the judgement for metrics.json. Tests that passed or were skipped for
    another reason are left alone."""
    if not run.active or run.catalog is None:
        return
    name = result.full_name
    earlier = run.judged.get(name)
    tagged = result.status == "SKIP" and KNOWN_TAG in result.tags
    if result.status != "FAIL" and not tagged:
        run.judged.pop(name, None)
        return
    original = original_message(str(result.message or ""))
    if tagged and earlier is not None and earlier.body and not original.startswith(earlier.body):
        original = earlier.body + ALSO_TEARDOWN + original.removeprefix(TEARDOWN_FAILED)
    version = earlier.judgement.version if earlier else run.version_for(reported)
    failure = failure_of([original], verdict.get("broken_rules", []))
    final = judge(run.catalog, failure, list(result.tags), version)
    run.judged[name] = Judged(final, original)
    _apply(result, final, original, tagged)


def _apply(result: Any, final: Judgement, original: str, tagged: bool) -> None:
    for tag in final.tags:
        if tag != KNOWN_TAG:
            result.tags.add(tag)
    if tagged and final.verdict == "known":
        first = str(result.message).split("\n\n", 1)[0]
        result.message = f"{first}\n\n{final.note()}\n\n{ORIGINAL}{original}"
        return
    if tagged:  # a part appeared after the teardown tagged the test: it is new
        result.status = "FAIL"
        result.tags.remove(KNOWN_TAG)
        result.message = original
    if final.matched:
        result.message = f"{result.message}\n\n{final.note()}"
