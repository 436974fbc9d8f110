"""Operations as plain-language Robot lines, and the reproduction file around them.

Robot-free text building: every function returns keyword lines (cells separated by four
spaces) of the library's ordinary keywords; :func:`robot_file` wraps the lines of one
scenario in a suite that runs alone (``make suite FILE=...``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from .ops import BATCH_TOLERANCE, Batch, Submit

SEP = "    "
GPU_VARIABLE = "${GPU}"  # the list variable @{GPU} of the reproduction: ['gpu']


def line(*cells: object) -> str:
    """One keyword line: cells separated by four spaces (empty cells left out)."""
    return SEP.join(str(c) for c in cells if c != "")


def duration(seconds: float) -> str:
    """A Robot time string: ``250ms``, ``1s``, ``7.25s``."""
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    return f"{round(seconds, 3):g}s"


def start_agent(
    name: str,
    behaviour: str,
    gpu: bool,
    ping_interval: float | None,
    delay: float | None,
    capabilities: str = "",
    pool: str = "",
) -> list[str]:
    capabilities = capabilities or ("gpu" if gpu else "")
    return [
        line(
            "Start Agent",
            name,
            f"behaviour={behaviour}" if behaviour != "complete" else "",
            f"capabilities={capabilities}" if capabilities else "",
            f"delay={duration(delay)}" if delay is not None and behaviour == "slow" else "",
            f"ping_interval={duration(ping_interval)}" if ping_interval is not None else "",
            f"pool={pool}" if pool else "",
        )
    ]


WATCHER = "watcher"  # the probe that hears of an agent joining
JOIN_WAIT = 2.0  # seconds the watcher waits for agent_joined


def watch(lines: list[str]) -> list[str]:
    """``lines`` (an agent starting) with a probe identified before, that must hear of it."""
    return [
        line("Open Probe Connection", WATCHER),
        line("Send Identify", WATCHER, f"agent={WATCHER}"),
        line("Next Reply Should Be", WATCHER, "identified"),
        *lines,
        line(
            "Wait Until Probe Receives Message",
            WATCHER,
            "agent_joined",
            f"timeout={duration(JOIN_WAIT)}",
        ),
        line("Close Probe Connection", WATCHER),
    ]


def submit(variables: Sequence[str], op: Submit, batch: int) -> list[str]:
    options = [
        f"max_retries={op.max_retries}" if op.max_retries != 3 else "",
        f"capabilities={GPU_VARIABLE}" if op.gpu else "",
    ]
    if len(variables) == 1 or op.rising:
        return [
            line(
                variable,
                "Submit Task",
                f"Explore task {variable.strip('${}').lstrip('t')}",
                f"priority={priority}" if priority != "normal" else "",
                *options,
            )
            for variable, priority in zip(variables, op.priorities(), strict=True)
        ]
    options.insert(0, f"priority={op.priority}" if op.priority != "normal" else "")
    return [
        line(
            *variables,
            "Submit Tasks",
            len(variables),
            f"Explore batch {batch} task {{n}}",
            f"concurrency={op.concurrency}" if op.concurrency > 1 else "",
            *options,
        )
    ]


UNKNOWN_PRIORITY = "critical"  # a priority word the contract does not name
NOBODY = "explore-nobody"  # a capability no agent has


def unknown_priority_task() -> dict:
    """The body of a task with an unknown priority word that no agent can take."""
    return {
        "description": f"Explore task of priority {UNKNOWN_PRIORITY}",
        "priority": UNKNOWN_PRIORITY,
        "needed_capabilities": [NOBODY],
    }


def submit_unknown_priority() -> list[str]:
    """Post a task with an unknown priority word; the answer must say priority 2 (normal)."""
    body = json.dumps(unknown_priority_task())
    return [
        line("${answer}", "Send Hub Request", "POST", "/api/tasks", body, "status=201"),
        line(
            "Should Be Equal As Integers",
            "${answer}[priority]",
            2,
            "An unknown priority word counts as normal (2)",
        ),
    ]


def holder(number: int) -> str:
    """The agent of the ``number``-th held task: ``h1`` ..."""
    return f"h{number}"


def _held_start(
    name: str, variable: str, due_ms: int, ping_interval: float | None, pool: str
) -> list[str]:
    """A held task's agent starts and its task is submitted (see ``ops.HeldTask``)."""
    number = variable.strip("${}").lstrip("t")
    return [
        *start_agent(name, "hold", False, ping_interval, None, capabilities=name, pool=pool),
        line(
            variable,
            "Submit Task",
            f"Explore task {number}",
            f"capabilities=['{name}']",
            f"complete_by={duration(due_ms / 1000)}" if due_ms else "",
        ),
    ]


def held_task(
    name: str,
    variable: str,
    due_ms: int,
    ping_interval: float | None,
    wait: float,
    judge_pause: float,
    pause: float,
    pool: str = "",
) -> list[str]:
    """A task held past a hub timer by a talkative agent of its own, the contract judged
    while it holds the task (see ``ops.HeldTask``)."""
    return [
        *_held_start(name, variable, due_ms, ping_interval, pool),
        line("Wait Until Agent Receives Task", name, f"timeout={duration(wait)}"),
        line("Sleep", duration(judge_pause), "Its accept is answered"),
        line("Contract Should Hold"),
        line(
            "Sleep",
            duration(pause),
            "Past the hub's " + ("overdue" if due_ms else "stuck") + " sweep: it must act",
        ),
        line("Stop Agent", name),
    ]


def silent_held_task(
    name: str, variable: str, wait: float, window: float, pool: str = ""
) -> list[str]:
    """A silent agent of its own holds a task: the hub must evict it and take the task
    back within ``window`` seconds of the assignment (see ``ops.HeldTask``)."""
    held, record = f"${{{name}_task}}", f"${{{name}_record}}"
    return [
        *_held_start(name, variable, 0, None, pool),
        line(held, "Wait Until Agent Receives Task", name, f"timeout={duration(wait)}"),
        line(record, "Wait Until Task Is Assigned", held, f"agent={name}"),
        f"# {name} never pings: the hub evicts it at its ping timeout and takes the task back",
        line("Wait Until Task Is Reclaimed", held, f"{record}[assigned_at]", duration(window)),
        line("Stop Agent", name),
    ]


def stale_report(
    name: str, variable: str, wait: float, failed: bool = False, pool: str = ""
) -> list[str]:
    """A fresh agent reports the task it was handed complete (or failed) with generation 0,
    which no assignment has (see ``ops.StaleReport``)."""
    number = variable.strip("${}").lstrip("t")
    held = f"${{{name}_task}}"
    return [
        *start_agent(name, "hold", False, None, None, capabilities=name, pool=pool),
        line(variable, "Submit Task", f"Explore task {number}", f"capabilities=['{name}']"),
        line(held, "Wait Until Agent Receives Task", name, f"timeout={duration(wait)}"),
        *report(name, held, 0, failed=failed),
        line("Stop Agent", name),
    ]


WORKER = "p1"  # the probe that works on a task and reports progress


def task_frame(kind: str, task: str) -> str:
    return json.dumps({"type": kind, "task_id": task})


def progress_worker_start(variable: str) -> list[str]:
    """The progress worker's probe identifies; its task is submitted."""
    number = variable.strip("${}").lstrip("t")
    return [
        line("Open Probe Connection", WORKER),
        line(
            "Send Identify", WORKER, f"agent={WORKER}", "takes_tasks=True", f"capabilities={WORKER}"
        ),
        line("Next Reply Should Be", WORKER, "identified"),
        line(variable, "Submit Task", f"Explore task {number}", f"capabilities=['{WORKER}']"),
    ]


def progress_worker(reports: int, wait: float, pace: float) -> list[str]:
    """The probe takes the next task, accepts it, reports progress and pings ``reports``
    times every ``pace`` seconds and closes (the hub takes the task back)."""
    task = "${assign}[task_id]"
    return [
        line("${assign}", "Wait Until Probe Receives Task", WORKER, f"timeout={duration(wait)}"),
        line("Send Frame", WORKER, task_frame("task_accepted", task)),
        line("Next Reply Should Be", WORKER, "task_ack"),
        line("FOR", "${_}", "IN RANGE", reports),
        "    " + line("Send Frame", WORKER, task_frame("task_progress", task)),
        "    " + line("Probe Should Still Answer Ping", WORKER),
        "    " + line("Sleep", duration(pace), "The pace of an agent's progress reports"),
        line("END"),
        line("Close Probe Connection", WORKER),
    ]


def kill(name: str) -> list[str]:
    return [line("Kill Agent Connection", name)]


def close(name: str) -> list[str]:
    return [line("Close Agent Connection", name)]


def reconnect(name: str) -> list[str]:
    return [line("Reconnect Agent", name)]


def set_behaviour(name: str, behaviour: str, delay: float | None) -> list[str]:
    slow = delay is not None and behaviour == "slow"
    return [
        line("Set Agent Behaviour", name, behaviour, f"delay={duration(delay)}" if slow else "")
    ]  # type: ignore[arg-type]


def report(name: str, variable: str, generation: int, failed: bool = False) -> list[str]:
    keyword = "Report Task Failed" if failed else "Report Task Complete"
    return [line(keyword, name, variable, f"generation={generation}")]


def recovering(name: str, variable: str) -> list[str]:
    return [line("Report Task Recovering", name, variable)]


def spread_agents(number: int, agents: int) -> list[str]:
    """The names of batch ``number``'s agents: ``spread1-1`` ..."""
    return [f"spread{number}-{i}" for i in range(1, agents + 1)]


def spread_capability(number: int) -> str:
    """The capability only batch ``number``'s agents have."""
    return f"explore-spread-{number}"


def batch(number: int, op: Batch, ping_interval: float | None, timeout: float) -> list[str]:
    """A batch spread over idle agents of its own, judged by TEST-03's keyword and bar."""
    names = spread_agents(number, op.agents)
    caps, tasks = f"${{spread{number}caps}}", f"${{spread{number}}}"
    return [
        *[
            line(
                "Start Agent",
                name,
                f"capabilities={spread_capability(number)}",
                f"ping_interval={duration(ping_interval)}" if ping_interval is not None else "",
                "tokens_in=result" if op.in_result else "",
                "pool=local" if op.in_result else "",
            )
            for name in names
        ],
        line(caps, "Create List", spread_capability(number)),
        line(tasks, "Submit Tasks", op.tasks, f"Explore spread {number} task {{n}}",
             f"capabilities={caps}"),
        line("Wait Until Tasks Are Completed", tasks, f"timeout={duration(timeout)}"),
        line("Tasks Should Be Evenly Distributed", tasks, f"tolerance={BATCH_TOLERANCE}",
             f"agents={', '.join(names)}"),
    ]  # fmt: skip


def read_agents() -> list[str]:
    return [
        line("Send Hub Request", "GET", "/api/agents", "token=none"),
        line("Send Hub Request", "GET", "/api/agents/states"),
    ]


KEEPER = "keeper"  # the agent (never started) whose tokens a RevokeTokens operation revokes


def revoke_tokens() -> list[str]:
    """A second token made with the keeper's own, all revoked, the own one then refused."""
    own = ("token=own", f"agent={KEEPER}")
    keeper = f"smoke-${{run}}-{KEEPER}"
    return [
        line("${run}", "Get Run Id"),
        line("Send Hub Request", "POST", "/admin/tokens", f'{{"agent_id": "{keeper}"}}',
             "status=201", *own),
        line("Send Hub Request", "DELETE", f"/admin/tokens/{keeper}", *own),
        line("Send Hub Request", "GET", "/api/tasks?status=queued", "status=401", *own),
    ]  # fmt: skip


def pause(ms: int) -> list[str]:
    return [line("Sleep", duration(ms / 1000), "Let the hub's timers run")]


def no_token(route: str) -> list[str]:
    method, path = route.split(" ", 1)
    return [line("Request Should Be Refused", method, path, 401, "unauthorized", "token=none")]


def restart(mode: str) -> list[str]:
    return [line("Restart Hub", f"mode={mode}"), line("Reconnect All Agents")]


def partition(pool: str) -> list[str]:
    return [line("Partition Agent Host", pool)]


def heal(pool: str) -> list[str]:
    return [line("Heal Partition", pool)]


def healer_capabilities(own: Sequence[str]) -> str:
    """The end phase's healer takes every task: gpu, and the capability of each agent of
    an operation that brings its own (``own``, see ``Model.own_agents``)."""
    return ",".join(["gpu", *own])


def end_phase(
    released: Sequence[str],
    heal_pool: str,
    ping_interval: float | None,
    deadline: float,
    stall: float | None = None,
    listed: Sequence[str] = (),
    read: bool = False,
    judged: float = 0,
    recovered: str = "",
    own: Sequence[str] = (),
    healer_pool: str = "",
) -> list[str]:
    """Judge the contract while agents that never finish a task still hold theirs (``judged``:
    after that many seconds), release them (``read``: then read the agent listings, as
    agents have just left), heal, bring up a healthy agent that can take every task, wait
    for every task to be completed or dead-lettered, check the ledger; with ``listed``
    (agents), check that the task listing filtered by each of them and the stats agree with
    the whole listing; with ``recovered`` (a finished task's variable), the healer reports it
    as recovering (the contract's answer: ``task_reassign``, judged by the checker)."""
    lines = ["# end phase: every task must now be completed or dead-lettered"]
    if judged:  # while agents still hold their tasks (agent states among the rules)
        lines += pause(round(judged * 1000))
        lines.append(line("Contract Should Hold"))
    lines += [line("Stop Agent", name) for name in released]
    if read:
        lines += read_agents()
    if heal_pool:
        lines += heal(heal_pool)
    lines += start_agent(
        "healer", "complete", True, ping_interval, None, healer_capabilities(own), healer_pool
    )
    lines.append(
        line(
            "Wait Until Tasks Are Finished",
            f"timeout={duration(deadline)}",
            f"stall={duration(stall)}" if stall is not None else "",
        )
    )
    lines.append(line("No Task Should Be Lost"))
    if recovered:
        lines += recovering("healer", recovered)
    lines += [line("Task Listing Should Match Filter", f"assigned_to={name}") for name in listed]
    if listed:
        lines.append(line("Task Stats Should Agree With Listings"))
    return lines


@dataclass(frozen=True)
class HubSetup:
    """How the reproduction opens its hub: the explorer's session's timers, and, when it
    ran in the network lab, the lab and its agent pools (``pool_ping``: their agents'
    ping interval)."""

    acceptance_timeout: float | None = None
    ping_timeout: float | None = None
    stuck_threshold: float | None = None
    stuck_sweep_interval: float | None = None
    overdue_sweep_interval: float | None = None
    pool_ping: float | None = None

    def open_session(self, host: str = "") -> str:
        flags = {
            "--ping-timeout": self.ping_timeout,
            "--stuck-threshold": self.stuck_threshold,
            "--stuck-sweep-interval": self.stuck_sweep_interval,
            "--overdue-sweep-interval": self.overdue_sweep_interval,
        }
        hub_options = " ".join(
            f"{flag} {duration(value)}" for flag, value in flags.items() if value is not None
        )
        options = [
            f"acceptance_timeout={duration(self.acceptance_timeout)}"
            if self.acceptance_timeout is not None
            else "",
            f"hub_options={hub_options}" if hub_options else "",
            f"host={host}" if host else "",
        ]
        return line("Open Private Hub Session", *options)

    def suite_setup(self) -> str:
        return LAB_SETUP if self.pool_ping is not None else self.open_session()

    def keywords(self) -> list[str]:
        """The reproduction's own keyword that opens the lab, the hub and the pools (none
        outside the lab)."""
        if self.pool_ping is None:
            return []
        ping = duration(self.pool_ping)
        return [
            "*** Keywords ***",
            LAB_SETUP,
            "    [Documentation]    Opens the network lab, a hub bound to its hub side address"
            " and the lab's agent pools.",
            "    ${hub_host}    Open Network Lab    ${NETWORK_LAB}",
            f"    {self.open_session('${hub_host}')}",
            "    IF    $NETWORK_LAB",
            "        " + line("Connect Agent Pools", "${AGENT_POOLS}", f"ping_interval={ping}"),
            "    END",
        ]


LAB_SETUP = "Open Hub In The Network Lab"


def robot_file(
    name: str, documentation: str, body: Sequence[str], hub: HubSetup, tags: Sequence[str] = ()
) -> str:
    """A suite with one test that runs alone: its own hub session, the project's test
    set-up and teardown (the contract checks), the scenario's lines."""
    doc_lines = _wrap(documentation, 84)
    settings = [
        "*** Settings ***",
        f"Documentation     {doc_lines[0]}",
        *[f"...               {text}" for text in doc_lines[1:]],
        "",
        "Resource          resources/agentcom.resource",
        "",
        f"Suite Setup       {hub.suite_setup()}",
        "Suite Teardown    Close Hub Session",
        "Test Setup        Start AgentCom Test",
        "Test Teardown     Finish AgentCom Test",
        "",
        "",
        "*** Variables ***",
        "@{GPU}            gpu",
        *(
            ["${NETWORK_LAB}    ${EMPTY}", "${AGENT_POOLS}    ${EMPTY}"]
            if hub.pool_ping is not None
            else []
        ),
        "",
        "",
        "*** Test Cases ***",
        name,
        f"    [Tags]    {SEP.join(['explore-repro', *tags])}",
        *[f"    {text}" for text in body],
    ]
    keywords = hub.keywords()
    return "\n".join(settings + (["", "", *keywords] if keywords else [])) + "\n"


def _wrap(text: str, width: int) -> list[str]:
    words, lines, current = text.split(), [], ""
    for word in words:
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    lines.append(current)
    return lines
