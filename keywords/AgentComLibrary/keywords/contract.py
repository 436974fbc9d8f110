"""The contract checker's keyword: judges the test's whole history at teardown."""

from __future__ import annotations

from typing import Literal

from robotlibcore import keyword

from ..checker.settle import owed_assignments
from ..checker.verdict import check, failure_message, with_hub_log
from ..checker.view import build
from ..observe.collect import collect, task_ids_in, wait_for_arrivals
from ..observe.hublog import hub_lines_for, hub_log_path, read_log
from ..report.contract_panel import render_checks_off, render_contract_panel
from ..util.errors import AgentComAssertion, AgentComError
from .base import LibraryComponent


class ContractViolation(AgentComAssertion):
    """The hub broke a rule of the contract during the test."""


class ContractKeywords(LibraryComponent):
    @keyword(tags=["Contract", "Check"])
    def contract_should_hold(self, checks: Literal["on", "off"] = "on") -> None:
        """Judges everything this test observed against the hub contract's rules and fails
        with the first broken rule, its task and agent, and the events that prove it.

        The history holds every frame each agent and probe sent and received, connection
        events, every HTTP request of the library, and, read now, the hub's record of each
        of the test's tasks and its agent states. The rules, in the order they are checked:

        | =Rule= | =What holds= |
        | ``history-well-formed`` | task histories newest first, capped, in lifecycle order |
        | ``one-task-per-agent`` | no task_assign to an agent still holding a task |
        | ``assignment-delivered`` | every recorded assignment reaches its agent |
        | ``assignment-recorded`` | every task_assign received is in the hub's history |
        | ``generation-increases`` | each new assignment has a higher generation |
        | ``ack-current-generation`` | completions/failures acked only for the current generation |
        | ``completed-once`` | no task completed twice |
        | ``completion-to-holder`` | completions acked only for a generation the hub handed out |
        | ``capabilities`` | tasks only go to agents with every needed capability |
        | ``no-assign-after-disconnect`` | no task for a closed connection until it re-identifies |
        | ``agent-states-agree`` | the hub's agent states match what agents know |
        | ``continue-honoured`` | a task an agent was told to continue is not handed out meanwhile |
        | ``priority-order`` | no lower priority in a pass begun after a higher one was queued |
        | ``recovering-answer`` | task_recovering: task_continue only while the task is assigned |
        | ``tokens-recorded`` | acked completions' tokens_used recorded (top level, else result) |
        | ``accepted-task-kept`` | an accepted task is kept while its agent refreshes it |
        | ``stuck-sweep-acts`` | a task not refreshed for the stuck threshold is taken back |
        | ``overdue-sweep-acts`` | a task past its complete_by is taken back |

        A "Contract checks" panel with the rules, the events read and any violations is
        logged (shown at the top of the test). The failure message starts with
        ``Contract rule '<name>' broken:``; times are seconds since the test started.

        `Finish AgentCom Test` calls it, so no test needs to. Does nothing but log when no
        session is open.

        Args:
            checks: ``off`` skips the checks (the suite's ``${CONTRACT_CHECKS}``).

        Example:
        | [Teardown] | `Contract Should Hold` | checks=${CONTRACT_CHECKS} |
        """
        test = self.ctx.test
        test.judged = True
        if checks == "off":
            test.verdict = {"state": "off"}
            self.info(render_checks_off(), html=True)
            return
        history = test.history
        notes = self._flush_agent_histories()
        session = self.ctx.session
        if session is not None:
            ids = task_ids_in(history, test.submitted)
            notes.append(collect(history, session.client, ids, read=self.ctx.tasks))
        note = "; ".join(n for n in notes if n)
        names = self.ctx.agent_names()
        timers = session.timers if session is not None else None
        view = build(history, names=names, timers=timers)
        # assignments the hub recorded that may still be on their way: wait a moment for
        # them, and judge a view with them if any event came meanwhile
        owed = owed_assignments(view) if session is not None else set()
        if wait_for_arrivals(history, owed, refresh=self._flush_agent_histories):
            view = build(history, names=names, timers=timers)
        verdict = check(view)
        log_path = hub_log_path(session) if session is not None else None
        if log_path is not None and verdict.violations:
            log = read_log(log_path)
            verdict = with_hub_log(verdict, lambda v: hub_lines_for(view, v, log))
        verdict.note = note
        broken = sorted({v.rule for v in verdict.violations} | set(verdict.errors))
        test.verdict = {
            "state": "held" if verdict.ok else "broken",
            "rules": len(verdict.rules),
            "violations": len(verdict.violations),
            "broken_rules": broken,
        }
        tasks = test.final_tasks or []
        self.info(render_contract_panel(verdict, names, tasks), html=True)
        if not verdict.ok:
            raise ContractViolation(failure_message(verdict, names))

    def _flush_agent_histories(self) -> list[str]:
        """Fetch what agents in pools saw into the history; notes for pools that could
        not be read (their agents are then judged through the hub's records only)."""
        notes = []
        for agent in self.ctx.agents.all():
            try:
                agent.flush_history()
            except AgentComError as error:
                notes.append(f"frames of agent {agent.name} unavailable: {error}")
        return notes
