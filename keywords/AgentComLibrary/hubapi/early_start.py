"""The run's embedded hub, started while Robot is still importing the library.

Robot imports and sets up the library (about 0.3 s) before the run's set-up opens the hub
session, and the embedded hub takes about as long to boot: started first, it boots on the
other core meanwhile. The library's import calls :func:`begin_during_import` before its
own imports; `Open Hub Session` then takes that hub with :func:`claim` when it asks for the
same one (same faults, no options, same host) and waits for it as for any other start;
otherwise :func:`claim` stops it, and the library stops an unclaimed one when Robot closes
it (or, at the latest, the exit handler of :mod:`.launcher` does).

Nothing is started outside a Robot run (pytest, libdoc), in a dry run, when the run names
another hub (``${HUB_URL}`` or ``${HUB_COMMAND}``), or when those variables are not
defined (a suite that does not use ``resources/agentcom.resource``). Failing to begin is
silent here: the set-up starts the hub again, and its error says what went wrong.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .embedded import EmbeddedHub

_pending: EmbeddedHub | None = None


def begin_during_import() -> None:
    """Begin the embedded hub the run's set-up will open, if the run's variables say it
    will open one; return at once."""
    global _pending
    faults = _faults_of_an_embedded_run()
    if faults is None or _pending is not None:
        return
    hub = EmbeddedHub(faults=faults)
    try:
        hub.begin()
    except Exception:  # begin stopped it; the set-up's own start says what went wrong
        return
    _pending = hub


def claim(faults: Sequence[str], options: Sequence[str], host: str) -> EmbeddedHub | None:
    """The hub begun during the import if it is the one asked for (not yet waited for:
    call its ``wait_started``); else None, and a begun hub that does not fit is stopped.
    Offered once: later calls get None."""
    global _pending
    hub, _pending = _pending, None
    if hub is None:
        return None
    if hub.faults == list(faults) and hub.options == list(options) and hub.host == host:
        hub.begun_early = True
        return hub
    hub.stop()
    return None


def discard() -> None:
    """Stop the hub begun during the import, if nobody claimed it."""
    claim((), ("never",), "")


def _faults_of_an_embedded_run() -> list[str] | None:
    """What :func:`embedded_run_faults` says of the Robot run going on, if one is."""
    try:
        from robot.running.context import EXECUTION_CONTEXTS
    except ImportError:  # pragma: no cover (Robot is a dependency)
        return None
    context = EXECUTION_CONTEXTS.current
    if context is None or context.dry_run:
        return None
    return embedded_run_faults(context.variables.as_dict())


def embedded_run_faults(variables: Mapping[str, object]) -> list[str] | None:
    """The faults of the embedded hub a run with these Robot ``variables`` opens: its
    ``${HUB_FAULTS}`` when ``${HUB_URL}`` and ``${HUB_COMMAND}`` are defined and empty;
    None when it names another hub or does not define them."""
    found = {}
    for name in ("${HUB_URL}", "${HUB_COMMAND}", "${HUB_FAULTS}"):
        value = variables.get(name)
        if value is None:
            return None
        found[name] = str(value).strip()
    if found["${HUB_URL}"] or found["${HUB_COMMAND}"]:
        return None
    return [fault.strip() for fault in found["${HUB_FAULTS}"].split(",") if fault.strip()]
