"""The scenario explorer's keyword: generated scenarios, judged, shrunk, written out."""

from __future__ import annotations

import secrets
import threading
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError
from robotlibcore import keyword

from ..util.errors import AgentComAssertion
from .base import LibraryComponent

if TYPE_CHECKING:
    from ..explore.runner import ExampleRunner
    from ..explore.search import SearchResult

# The explorer's modules import Hypothesis (about 0.2 s): they are imported when the keyword
# runs, not with the library, so that every other run starts that much sooner.

JOIN_POLL = 0.5  # how often the waiting main thread looks at the exploring thread


class ExplorationFailed(AgentComAssertion):
    """A generated scenario broke the contract or the ledger."""


class ExploreKeywords(LibraryComponent):
    def __init__(self, ctx, **components) -> None:
        super().__init__(ctx)
        self.components = components

    @keyword(tags=["Check"])
    def explore_scenarios(
        self,
        seed: int | None = None,
        duration: timedelta = timedelta(seconds=60),
        max_operations: int = 12,
        max_examples: int = 500,
        shrink_time: timedelta | None = None,
        replays: int = 2,
        output: str = "",
    ) -> str:
        """Runs generated scenarios against the hub until one fails or the budget is spent;
        shrinks a failure to a minimal scenario and writes it out as a ``.robot`` test.

        Each scenario is a list of operations drawn by Hypothesis: submitting tasks (any
        priority or a rising batch of priorities, a capability only some agents have, few or
        many attempts, from several threads at once; on a managed hub also a priority word
        the hub does not know, which must count as normal), starting agents with a
        behaviour (see `Behaviour`; talkative, or silent to a hub with a short ping
        timeout; watched by a probe that must hear of it), changing behaviours, killing or
        closing connections, reconnecting under the same id, reporting completions or
        failures (late, stale, duplicate), reading the agent listings, calls without a
        token, revoking an agent's tokens (its own must then be refused), letting the hub's
        timers run, restarting the hub when the library manages it, and partitions in the
        network lab. Each runs as a test of its own (fresh run id and history), then an end
        phase judges the contract while agents still hold tasks, releases the agents that
        would hold tasks forever, reads the agent listings, starts a healthy agent and
        waits, with a deadline from the hub's timers, until every task is completed or
        dead-lettered. The contract checker
        (`Contract Should Hold`) and the ledger (`No Task Should Be Lost`) judge it; on a hub
        restarted fresh for each scenario (one the library manages) the task listings and
        stats must agree too (`Task Listing Should Match Filter`, `Task Stats Should Agree
        With Listings`); an operation's keyword failing is a failure too.

        The first failure is shrunk by Hypothesis to the fewest operations that fail the
        same way (the same broken rule, ledger problem or keyword failure), replayed
        ``replays`` times, and written to ``<output dir>/<output>/repro-<seed>.robot``: one
        keyword line per operation, the end phase, and the project's test teardown (the
        contract checks). It runs alone: ``make suite FILE=results/explore/repro-<seed>.robot``.
        The keyword then fails with the finding and the file's path. The log shows the seed,
        how many scenarios ran, each shrinking step and the reproduction; see
        ``docs/explore.md``.

        The same seed draws the same scenarios; the hub's timing is live, so results can
        differ between runs (the log says where).

        Args:
            seed: the seed of the search; default: a new random one (logged, to rerun it).
            duration: how long to search for a failure.
            max_operations: the most operations in one scenario.
            max_examples: the most scenarios to draw.
            shrink_time: how long to shrink a failure; default: ``duration``.
            replays: how many times to run the shrunk scenario again, to show how steady it
                fails.
            output: a folder under Robot's output directory for reproductions; default:
                the output directory itself (``make explore``: ``results/explore``).

        Returns:
            The path of the reproduction, or an empty string when no scenario failed.

        Example:
        | `Explore Scenarios` | seed=42 | duration=60s | max_operations=12 |
        """
        from ..explore.ops import Abilities, scenarios
        from ..explore.runner import FAR_POOL, ExampleRunner, Keywords
        from ..explore.search import Budget, search

        session = self.session
        seed = secrets.randbelow(2**31) if seed is None else seed
        budget = Budget(
            duration=duration.total_seconds(),
            max_operations=max_operations,
            max_examples=max_examples,
            shrink_time=(shrink_time or duration).total_seconds(),
        )
        lab = self.components["network"].lab is not None and FAR_POOL in self.ctx.pools.pools
        test_name = self.ctx.test.name or "Explore Scenarios"
        kw = Keywords(ctx=self.ctx, **self.components)
        runner = ExampleRunner(kw, test_name, fresh_hub=session.managed is not None)
        abilities = Abilities(
            restart=session.managed is not None,
            network_lab=lab,
            short_sweeps=runner.sweeps_are_short(),
            short_liveness=runner.eviction_beats_stuck_sweep(),
        )
        self.info(
            f"Exploring with seed {seed}. Hub restarts: "
            f"{'generated' if abilities.restart else 'not generated (the hub is not managed)'}"
            f"; partitions: "
            f"{'generated' if lab else 'not generated (the network lab is not active)'}."
        )
        outcome: dict = {}
        stop = threading.Event()

        def work() -> None:
            try:
                outcome["result"] = search(
                    runner.run, scenarios(max_operations, abilities), seed, budget, stop
                )
                result = outcome["result"]
                if result.finding is not None and replays:
                    outcome["replayed"] = sum(
                        result.finding.same_as(runner.run(result.best_plan).finding)
                        for _ in range(replays)
                    )
            except BaseException as error:  # shown by the main thread
                outcome["error"] = error

        # the keywords an example runs log nothing from this thread (Robot keeps only the
        # main thread's messages): the log gets the explorer's own story instead
        worker = threading.Thread(target=work, name="agentcom-explore", daemon=True)
        worker.start()
        try:
            while worker.is_alive():
                worker.join(JOIN_POLL)
        except BaseException:
            stop.set()
            worker.join()
            raise
        finally:
            self.ctx.start_test(test_name)  # the test's teardown judges nothing left over
        if "error" in outcome:
            raise outcome["error"]
        result: SearchResult = outcome["result"]
        return self._tell(result, runner, outcome.get("replayed", 0), replays, output)

    def _tell(
        self, result: SearchResult, runner: ExampleRunner, replayed: int, replays: int, output: str
    ) -> str:
        from ..explore import report as story

        hub = self.session.url
        self.info(story.summary(result, hub))
        restarted = any(op.__class__.__name__ == "RestartHub" for op in result.best_plan)
        self.info(story.fresh_note(runner.fresh_hub, runner.count, runner.fresh_total, hub))
        self.info(story.determinism_note(restarted))
        if result.finding is None or result.best is None:
            self.info(story.others(result) or "No scenario failed.")
            return ""
        self.info(story.shrink_table(result), html=True)
        if result.others:
            self.info(story.others(result))
        text = self._reproduction(result, runner, restarted)
        path = self._write(output, f"repro-{result.seed}.robot", text)
        link = _relative_to_output(path)
        self.info(
            f'Reproduction: <a href="{link}">{path}</a>. {story.replay_note(replayed, replays)}',
            html=True,
        )
        self.log_details("The reproduction", text)
        self.log_details("The first failure of the shrunk scenario", result.best.finding.message)  # type: ignore[union-attr]
        raise ExplorationFailed(story.failure_message(result, path))

    def _reproduction(self, result: SearchResult, runner: ExampleRunner, restarted: bool) -> str:
        from ..explore import render

        timers = self.session.timers
        embedded = self.session.embedded is not None
        # in the network lab: the reproduction opens the lab and connects its pools too
        pings = [entry.ping_interval for entry in self.ctx.pools.pools.values()]
        pool_ping = min(pings) if pings else None
        hub = (
            render.HubSetup(
                acceptance_timeout=timers.acceptance_timeout,
                ping_timeout=timers.ping_timeout,
                stuck_threshold=timers.stuck_threshold,
                stuck_sweep_interval=timers.stuck_sweep_interval,
                overdue_sweep_interval=timers.overdue_sweep_interval,
                pool_ping=pool_ping,
            )
            if embedded
            else render.HubSetup(pool_ping=pool_ping)
        )
        finding = result.finding
        doc = (
            f"Written by Explore Scenarios (seed {result.seed}): a generated scenario, shrunk "
            f"from {result.first_operations} to {len(result.best_plan)} operation(s), that "
            f"failed with: {finding}. {self._where_found()}"
        )
        tags = ["managed-hub"] if restarted else []
        body = result.best.lines if result.best is not None else []
        return render.robot_file(
            f"Explored Scenario {result.seed} Fails", doc, body, hub, tags=tags
        )

    def _where_found(self) -> str:
        """The reproduction's documentation: which hub it failed on, how to run it alone."""
        session = self.session
        if self.ctx.pools.pools:  # the network lab
            faults = ",".join(session.embedded.faults) if session.embedded else ""
            args = f" --variable HUB_FAULTS:{faults}" if faults else ""
            hub = f"the embedded hub with faults {faults}" if faults else "the run's hub"
            return (
                f"It failed in the network lab on {hub}. Run it alone in the lab (root): "
                "python -m AgentComLibrary.network.lab -- --argumentfile robot.args "
                f"--pythonpath .{args} <this file>: its suite setup opens the lab, a hub of "
                "its own and the lab's agent pools, and it should fail the same way."
            )
        if session.embedded is not None:
            faults = ",".join(session.embedded.faults)
            hub = f"the embedded hub with faults {faults}" if faults else "the embedded hub"
            args = f" ROBOT_ARGS='--variable HUB_FAULTS:{faults}'" if faults else ""
            return (
                f"It failed on {hub}, restarted with fresh state for each scenario. Run it "
                f"alone with make suite FILE=<this file>{args}: its suite setup opens a hub "
                "of its own with the run's HUB_FAULTS, and it should fail the same way."
            )
        if session.managed is not None:
            return (
                "It failed on the hub of HUB_COMMAND, restarted with fresh state for each "
                "scenario. Run it alone with the same argument file: its suite setup starts "
                "a hub of its own from HUB_COMMAND, and it should fail the same way."
            )
        return (
            f"It failed on the hub at {session.url}, which the library does not start: the "
            "scenarios ran one after another on its state, so run alone against that hub "
            "this scenario may pass."
        )

    def _write(self, folder: str, name: str, text: str) -> Path:
        base = Path(_output_dir()) / folder
        base.mkdir(parents=True, exist_ok=True)
        path = base / name
        path.write_text(text, encoding="utf-8")
        return path


def _output_dir() -> str:
    try:
        return str(BuiltIn().get_variable_value("${OUTPUT DIR}", "") or ".")
    except RobotNotRunningError:
        return "."


def _relative_to_output(path: Path) -> str:
    try:
        return str(path.relative_to(Path(_output_dir())))
    except ValueError:
        return str(path)
