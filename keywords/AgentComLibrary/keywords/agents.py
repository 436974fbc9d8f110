"""Keywords that start, break, steer and query simulated agents."""

from __future__ import annotations

from datetime import timedelta

from robotlibcore import keyword

from ..agents.simulated import AgentError, SimulatedAgent
from ..agents.tokens import REALISTIC, TOP, TokenSetting, TokensIn
from ..hubapi.client import HubError
from ..pool.remote_agent import RemoteAgent
from ..util.choices import Behaviour
from ..util.formatting import id_list
from ..util.waiting import Outcome, within
from .base import LibraryComponent, Message, Timeout


class AgentKeywords(LibraryComponent):
    @keyword(tags=["Agent"])
    def start_agent(
        self,
        name: str,
        behaviour: Behaviour = Behaviour.COMPLETE,
        capabilities: list[str] | str | None = None,
        delay: timedelta = timedelta(seconds=1),
        tokens_used: TokenSetting = REALISTIC,
        pool: str = "",
        ping_interval: timedelta | None = None,
        tokens_in: TokensIn = TOP,
    ) -> str:
        """Starts a simulated agent and waits until the hub has identified it.

        The agent gets its own token, the hub agent id ``smoke-<run>-<name>`` and the
        run's capability ``smoke-<run>`` (so it only takes this run's tasks). It pings
        every 20 s, or every ``ping_interval``.

        Args:
            name: short name used in the test and in reports, e.g. ``victim``.
            behaviour: what it does with assigned tasks (see `Behaviour`).
            capabilities: more capabilities besides the run's, a list or comma separated.
            delay: how long a ``slow`` agent works on a task.
            tokens_used: the ``tokens_used`` it reports with each completion: a number;
                ``realistic`` (the default): 100 to 449 per task, as an LLM agent spends,
                the same for the same task id; ``omit``: it leaves the field out.
            tokens_in: where its completions carry that count: ``top`` (the frame's
                ``tokens_used``) or ``result`` (inside ``result``, as the contract allows);
                an agent in a pool only ``top``.
            pool: run it in this agent pool (see `Connect Agent Pool`); ``local``: in the
                robot process; empty: the next pool in turn when `Connect Agent Pools`
                spreads agents, else the robot process.
            ping_interval: how often it pings; default: 20 s (an agent in a pool: the
                pool's). Against a hub with a ping timeout shorter than that, an agent
                left at the default is silent and gets evicted.

        Returns:
            The name.

        Example:
        | `Start Agent` | victim | behaviour=hold |
        | `Start Agent` | spender | tokens_used=800 |
        | `Start Agent` | nested | tokens_used=120 | tokens_in=result |
        | `Start Agent` | far-worker | pool=far |
        | `Start Agent` | chatty | ping_interval=250ms |
        """
        session = self.session
        if name in self.ctx.agents.active:
            raise ValueError(f"An agent named '{name}' is already running; stop it first.")
        agent_id = session.agent_id(name)
        extra = capabilities.split(",") if isinstance(capabilities, str) else capabilities or []
        caps = list(dict.fromkeys([session.capability, *(c.strip() for c in extra if c.strip())]))
        token = session.create_token(agent_id)
        where = self.ctx.pools.choose(pool)
        agent: SimulatedAgent | RemoteAgent
        if where is not None and tokens_in != TOP:
            raise ValueError(f"An agent in a pool reports tokens_in={TOP} only, not {tokens_in}.")
        if where is not None:
            agent = RemoteAgent.start(
                where.client,
                name=name,
                agent_id=agent_id,
                token=token,
                ws_url=where.ws_url or session.ws_url,
                run_id=session.run_id,
                capabilities=caps,
                behaviour=behaviour,
                delay=delay.total_seconds(),
                tokens_used=tokens_used,
                ping_interval=(
                    where.ping_interval if ping_interval is None else ping_interval.total_seconds()
                ),
                timeout=self.ctx.config.connect_timeout,
                history=self.ctx.test.history,
            )
        else:
            agent = SimulatedAgent(
                name,
                agent_id,
                token,
                session.ws_url,
                session.run_id,
                capabilities=caps,
                behaviour=behaviour,
                delay=delay.total_seconds(),
                tokens_used=tokens_used,
                tokens_in=tokens_in,
                history=self.ctx.test.history,
                **(
                    {}
                    if ping_interval is None
                    else {"ping_interval": ping_interval.total_seconds()}
                ),
            )
            agent.start(self.ctx.config.connect_timeout)
        self.ctx.agents.add(agent)
        place = f"pool {where.alias}" if where is not None else "local"
        self.info(
            f"Agent '{name}' ({place}) identified as {agent_id} (behaviour {behaviour.value}, "
            f"capabilities {', '.join(caps)}, token {agent.token_hint})"
        )
        return name

    @keyword(tags=["Agent"])
    def start_agents(
        self,
        count: int,
        prefix: str = "agent",
        behaviour: Behaviour = Behaviour.COMPLETE,
        delay: timedelta = timedelta(seconds=1),
    ) -> list[str]:
        """Starts ``count`` agents named ``<prefix>-1`` ... ``<prefix>-<count>``.

        Args:
            count: how many agents.
            prefix: start of their names.
            behaviour: the behaviour of all of them.
            delay: how long ``slow`` agents work on a task.

        Returns:
            The list of names.

        Example:
        | @{agents} = | `Start Agents` | 4 | prefix=worker |
        """
        return [
            self.start_agent(f"{prefix}-{n}", behaviour, delay=delay) for n in range(1, count + 1)
        ]

    @keyword(tags=["Agent"])
    def stop_agent(self, name: str) -> None:
        """Closes the agent's connection cleanly and revokes its token.

        Its journal still counts in the checks of the current test.

        Args:
            name: short name of the agent.

        Example:
        | `Stop Agent` | victim |
        """
        agent = self.ctx.agents.retire(name)
        agent.stop()
        self._revoke(agent.agent_id)
        self.info(f"Agent '{name}' stopped.")

    @keyword(tags=["Agent"])
    def stop_all_agents(self) -> None:
        """Stops every running agent (see `Stop Agent`). Safe with none running.

        Example:
        | `Stop All Agents` |
        """
        self.ctx.agents_stopped()
        names = list(self.ctx.agents.active)
        errors = []
        for name in names:  # stop every agent even if one fails to stop cleanly
            agent = self.ctx.agents.retire(name)
            try:
                agent.stop()
            except Exception as error:
                errors.append(f"'{name}': {error}")
            self._revoke(agent.agent_id)
        if names:
            self.info(f"Stopped agents: {', '.join(names)}")
        if errors:
            raise AgentError(f"Some agents did not stop cleanly: {'; '.join(errors)}")

    def _revoke(self, agent_id: str) -> None:
        session = self.ctx.session
        if session is None:
            return
        try:
            session.revoke_tokens(agent_id)
        except HubError as error:
            self.debug(f"Could not revoke the tokens of {agent_id}: {error}")

    @keyword(tags=["Agent"])
    def kill_agent_connection(self, name: str) -> None:
        """Breaks the agent's TCP connection without a WebSocket close frame (a reset).

        This is what the hub sees when an agent process crashes. The agent stays
        registered and can come back with `Reconnect Agent`.

        Args:
            name: short name of the agent.

        Example:
        | `Kill Agent Connection` | victim |
        """
        self.agent(name).kill()
        self.info(f"Agent '{name}': TCP connection reset (no close frame).")

    @keyword(tags=["Agent"])
    def close_agent_connection(self, name: str) -> None:
        """Closes the agent's WebSocket cleanly (close frame 1000, then waits for the hub's).

        Args:
            name: short name of the agent.

        Example:
        | `Close Agent Connection` | victim |
        """
        agent = self.simulated(name)
        agent.close()
        self.info(f"Agent '{name}': connection closed cleanly ({agent.state}).")

    @keyword(tags=["Agent"])
    def reconnect_agent(self, name: str) -> None:
        """Opens a new connection for the agent with the same agent id and token and
        identifies again; an open connection is closed cleanly first.

        Args:
            name: short name of the agent.

        Example:
        | `Reconnect Agent` | victim |
        """
        agent = self.simulated(name)
        agent.reconnect(self.ctx.config.connect_timeout)
        self.info(f"Agent '{name}' reconnected (connection #{agent.connections}).")

    @keyword(tags=["Agent"])
    def reconnect_all_agents(self) -> list[str]:
        """Reconnects every simulated agent whose connection is gone (killed, closed, or
        ended by the hub, e.g. after `Restart Embedded Hub`).

        Returns:
            The names of the agents reconnected.

        Example:
        | `Restart Embedded Hub` | kill |
        | `Reconnect All Agents` |
        """
        names = []
        for name, agent in list(self.ctx.agents.active.items()):
            if isinstance(agent, (SimulatedAgent, RemoteAgent)) and not agent.connected:
                agent.reconnect(self.ctx.config.connect_timeout)
                names.append(name)
        self.info(f"Reconnected agents: {', '.join(names) or 'none needed it'}")
        return names

    @keyword(tags=["Agent"])
    def set_agent_behaviour(
        self, name: str, behaviour: Behaviour, delay: timedelta | None = None
    ) -> None:
        """Changes what the agent does with tasks assigned from now on.

        Tasks it already holds are not touched (finish them with `Report Task Complete`).

        Args:
            name: short name of the agent.
            behaviour: the new behaviour (see `Behaviour`).
            delay: a new delay for ``slow``; unchanged when left out.

        Example:
        | `Set Agent Behaviour` | worker-1 | slow | delay=2s |
        """
        agent = self.agent(name)
        agent.set_behaviour(behaviour, None if delay is None else delay.total_seconds())
        self.info(f"Agent '{name}' now behaves: {behaviour.value}")

    @keyword(tags=["Wait", "Agent"])
    def wait_until_agent_receives_task(
        self, name: str, timeout: Timeout = None, message: Message = None
    ) -> str:
        """Waits until the agent has been assigned a task this keyword has not returned yet
        in this test, and returns that task's id (the oldest such).

        Args:
            name: short name of the agent.
            timeout: how long to wait; default: the library's ``timeout`` (see `Timeouts`).
            message: a failure message to use instead of the library's own.

        Returns:
            The task id.

        Example:
        | ${task} = | `Wait Until Agent Receives Task` | victim | timeout=5s |
        """
        agent = self.agent(name)
        cursor = self.ctx.test.cursors.get(name, 0)
        mark = self.ctx.test.mark
        seconds = self.wait_timeout(timeout)

        def attempt() -> Outcome[str]:
            received = agent.received_ids(mark)
            new = len(received) > cursor
            return Outcome(new, received[cursor] if new else None, received)

        def failure(outcome: Outcome[str]) -> str:
            return self._no_task_message(name, list(outcome.state or []), seconds)

        task_id = self.wait(
            attempt, seconds, failure, message, f"agent '{name}' received a task", agent
        )
        self.ctx.test.cursors[name] = cursor + 1
        self.info(f"Agent '{name}' received {task_id}.")
        return str(task_id)

    def _no_task_message(self, name: str, received: list[str], timeout: float) -> str:
        agent = self.agent(name)
        try:
            state = self.client.agent_state(agent.agent_id)
            hub = f"hub state {state.get('fsm_state')}, current task {state.get('current_task_id')}"
        except HubError as error:
            hub = f"hub state unknown ({error})"
        foreign = agent.foreign_tasks(self.ctx.test.mark)
        note = (
            f"; it left foreign tasks alone: {id_list(t['task_id'] for t in foreign)}"
            if foreign
            else ""
        )
        return (
            f"Agent '{name}' received no new task {within(timeout)}: connection "
            f"{agent.state}, {hub}; tasks received in this test: "
            f"{id_list(received)}{note}."
        )

    @keyword(tags=["Wait", "Agent"])
    def wait_until_agent_report_is_rejected(
        self, name: str, task_id: str, reason: str, timeout: Timeout = None, message: Message = None
    ) -> None:
        """Waits until the hub has rejected a report of the agent about the task with
        ``reason`` (the rejection may still be on its way when an agent reports by itself).

        Args:
            name: short name of the agent.
            task_id: the task the report was about.
            reason: e.g. ``stale_generation``, ``invalid_state``, ``not_found``; the hub's
                whole error (``task_complete_failed: stale_generation``) matches too.
            timeout: how long to wait; default: the library's ``timeout`` (see `Timeouts`).
            message: a failure message to use instead of the library's own.

        Example:
        | `Wait Until Agent Report Is Rejected` | buggy | ${task} | stale_generation |
        """
        agent = self.simulated(name)
        mark = self.ctx.test.mark
        seconds = self.wait_timeout(timeout)

        def attempt() -> Outcome:
            return Outcome(
                any(reason in (r.reason, r.error) for r in agent.rejections if r.task_id == task_id)
            )

        def failure(_: Outcome) -> str:
            seen = [f"{r.report}: {r.reason}" for r in agent.rejections_for(task_id, mark)]
            acks = [a.status for a in agent.acks_for(task_id)]
            return (
                f"Agent '{name}' should have had a report on {task_id} rejected with '{reason}' "
                f"{within(seconds)}, but saw rejections: {id_list(seen)}; "
                f"acks: {id_list(acks)}."
            )

        what = f"the hub's rejection of '{name}''s report on {task_id} ({reason})"
        self.wait(attempt, seconds, failure, message, what, agent)

    @keyword(tags=["Agent"])
    def get_completed_count(self, name: str) -> int:
        """Returns how many task completions the hub acknowledged to the agent in this test.

        Args:
            name: short name of the agent.

        Returns:
            The count of ``task_ack`` ``complete`` answers (not of reports sent).

        Example:
        | ${count} = | `Get Completed Count` | worker-1 |
        """
        return len(self.ctx.completions(self.agent(name)))

    @keyword(tags=["Agent"])
    def get_received_tasks(self, name: str) -> list[str]:
        """Returns the ids of the tasks assigned to the agent in this test, oldest first.

        One entry per assignment (``task_assign``) the agent received: a task handed to the
        same agent twice, say straight back after it failed it (see `Submit Task`) or after
        a reconnect, appears twice. A task of another run that the agent left alone is not
        in it. For a real sidecar: one entry per task its log shows received (from the
        hub's assignment history when the log cannot be read).

        Args:
            name: short name of the agent.

        Returns:
            A list of task ids, repeated once per assignment.

        Example:
        | @{tasks} = | `Get Received Tasks` | survivor |
        """
        return self.agent(name).received_ids(self.ctx.test.mark)

    @keyword(tags=["Agent", "Task"])
    def report_task_complete(
        self,
        name: str,
        task_id: str,
        generation: int | None = None,
        tokens_used: int | None = None,
        tokens_in: TokensIn | None = None,
    ) -> dict:
        """Sends ``task_complete`` for the task now and returns the hub's answer.

        Args:
            name: short name of the agent.
            task_id: the task.
            generation: the generation to send; default: the one of the agent's latest
                assignment of this task.
            tokens_used: ``tokens_used`` to report; default: the agent's setting.
            tokens_in: where the count goes: ``top`` (the frame's ``tokens_used``) or
                ``result`` (inside ``result``); default: the agent's setting.

        Returns:
            The hub's answer as a dict: ``{"type": "task_ack", "status": "complete", ...}``
            or ``{"type": "error", "error": "task_complete_failed: stale_generation"}``.

        Example:
        | ${answer} = | `Report Task Complete` | victim | ${task} | generation=1 |
        | ${answer} = | `Report Task Complete` | victim | ${task} | tokens_in=result |
        """
        agent = self.simulated(name)
        if isinstance(agent, RemoteAgent) and tokens_in not in (None, TOP):
            raise ValueError(f"Agent '{name}' runs in a pool: it reports tokens_in={TOP} only.")
        generation = self._generation(agent, task_id, generation)
        answer = agent.complete(
            task_id,
            generation,
            tokens_used=tokens_used,
            wait=self.ctx.config.reply_timeout,
            tokens_in=tokens_in,
        )
        self.info(f"Agent '{name}' reported {task_id} complete (generation {generation}): {answer}")
        return answer or {}

    @keyword(tags=["Agent", "Task"])
    def report_task_failed(
        self,
        name: str,
        task_id: str,
        error: str = "simulated failure",
        generation: int | None = None,
    ) -> dict:
        """Sends ``task_failed`` for the task now and returns the hub's answer.

        Args:
            name: short name of the agent.
            task_id: the task.
            error: the error text the hub records as ``last_error``.
            generation: the generation to send; default: the one of the agent's latest
                assignment of this task.

        Returns:
            The hub's answer as a dict (``task_ack`` with status ``retried`` or
            ``dead_letter``, or an ``error``).

        Example:
        | ${answer} = | `Report Task Failed` | victim | ${task} | error=disk full |
        """
        agent = self.simulated(name)
        generation = self._generation(agent, task_id, generation)
        answer = agent.fail(task_id, generation, error, wait=self.ctx.config.reply_timeout)
        self.info(f"Agent '{name}' reported {task_id} failed (generation {generation}): {answer}")
        return answer or {}

    @keyword(tags=["Agent", "Task"])
    def report_task_recovering(self, name: str, task_id: str) -> dict:
        """Sends ``task_recovering`` for the task now (as an agent that restarted in the
        middle of it does) and returns the hub's answer.

        The contract's answer: ``task_continue`` with the task's generation while the task
        is still assigned, else ``task_reassign``; the contract checker's rule
        ``recovering-answer`` judges it.

        Args:
            name: short name of the agent.
            task_id: the task (its own, or any other).

        Returns:
            The hub's answer as a dict: ``{"type": "task_continue", "task_id": ...,
            "generation": 1}`` or ``{"type": "task_reassign", "task_id": ...}``.

        Example:
        | ${answer} = | `Report Task Recovering` | victim | ${task} |
        | `Should Be Equal` | ${answer}[type] | task_reassign |
        """
        agent = self.simulated(name)
        if isinstance(agent, RemoteAgent):
            raise TypeError(f"Agent '{name}' runs in a pool; this keyword needs a local one.")
        answer = agent.recovering(task_id, wait=self.ctx.config.reply_timeout)
        self.info(f"Agent '{name}' reported {task_id} as recovering: {answer}")
        return answer or {}

    def _generation(self, agent: SimulatedAgent, task_id: str, generation: int | None) -> int:
        """The given generation, else the one of the agent's latest assignment of the task
        (waiting briefly: the hub may show the assignment before the frame arrives)."""
        if generation is not None:
            return generation
        agent.wait_for(lambda: agent.last_assignment(task_id) is not None, self.ack_grace())
        assignment = agent.last_assignment(task_id)
        if assignment is None or assignment.generation is None:
            raise AgentError(
                f"Agent '{agent.name}' was never assigned {task_id}, so there is no generation "
                "to report; pass generation= explicitly."
            )
        return assignment.generation
