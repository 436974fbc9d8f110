"""Robot listener of the fault matrix's quick mode: once a test has caught the hub's fault,
the rest of the run is skipped, as it cannot change the verdict.

Usage: robot --listener tools/stop_when_caught.py:<fault> ...   (``any``: any failure catches)

A test catches the fault when it fails and, for a fault with its own contract rule (declared
beside the fault, ``agentcom_hub.faults``), its failure message names that rule ("Contract
rule '<rule>' broken: ..."). A setup error (the hub was never tested) catches nothing. Later
tests are reported as SKIP with the name of the test that caught it; later suites run no
set-up at all.
"""

from __future__ import annotations

import re

from agentcom_hub.faults import Fault

# a violation's headline, or a rule in the count line ("3 more violation(s): 'a' x2, ...")
RULE_NAME = re.compile(r"Contract rule '([a-z0-9-]+)' broken|'([a-z0-9-]+)' x\d+")
SETUP_ERROR = "Setup error, the product was not tested"  # suites/__init__.robot's stop
ANY_RULE = "any"


def rules_named(message: str) -> list[str]:
    """The contract rules a failure message names, in order, each once."""
    return list(dict.fromkeys(a or b for a, b in RULE_NAME.findall(message)))


class stop_when_caught:  # Robot wants the class named as its module
    ROBOT_LISTENER_API_VERSION = 3

    def __init__(self, fault: str = ANY_RULE) -> None:
        self.rule = (fault != ANY_RULE and Fault.parse(fault).rule) or ANY_RULE
        self.caught_by = ""

    def _catches(self, message: str) -> bool:
        if SETUP_ERROR in message:
            return False
        return self.rule == ANY_RULE or self.rule in rules_named(message)

    def start_suite(self, data, result) -> None:  # data, result: Robot's model objects
        if self.caught_by:
            data.tests.clear()
            data.suites.clear()
            data.setup.config(name=None)
            data.teardown.config(name=None)

    def start_test(self, data, result) -> None:
        if self.caught_by:
            data.body.clear()
            data.setup.config(name=None)
            data.teardown.config(name=None)
            data.body.create_keyword(
                "Skip", args=[f"Not run: the fault was caught by {self.caught_by}."]
            )

    def end_test(self, data, result) -> None:
        if not self.caught_by and result.failed and self._catches(result.message):
            self.caught_by = f"'{result.name}'"
