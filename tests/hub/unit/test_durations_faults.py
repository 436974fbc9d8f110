"""Durations parsing and the fault list."""

from __future__ import annotations

import pytest
from agentcom_hub.cli import build_parser, config_from
from agentcom_hub.durations import parse_duration
from agentcom_hub.faults import (
    DECLARATIONS_FILE,
    DECLARED,
    DeclarationError,
    Fault,
    describe_all,
    load_declarations,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("250ms", 0.25),
        ("2s", 2.0),
        ("1.5s", 1.5),
        ("5m", 300.0),
        ("1h", 3600.0),
        ("30", 30.0),
        ("0", 0.0),
        (7, 7.0),
    ],
)
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "5 minutes", "-1s", "1d", True])
def test_bad_durations_say_what_was_expected(text):
    with pytest.raises(ValueError, match="expected"):
        parse_duration(text)


def test_every_fault_is_listed_once_with_a_description():
    lines = describe_all().splitlines()
    assert len(lines) == len(Fault) == 31
    for fault, line in zip(Fault, lines, strict=True):
        assert line.startswith(fault.value)
        assert len(line) > len(fault.value) + 10


def test_unknown_fault_names_the_known_ones():
    with pytest.raises(ValueError, match="no-idle-scheduling"):
        Fault.parse("nope")
    assert Fault.parse(" No-Auth ") is Fault.NO_AUTH


def test_cli_options_become_config():
    args = build_parser().parse_args(
        [
            "--port",
            "0",
            "--fault",
            "no-auth",
            "--fault",
            "ignore-priority",
            "--acceptance-timeout",
            "250ms",
            "--stuck-threshold",
            "2m",
            "--parent-pid",
            "12",
        ]
    )
    config = config_from(args)
    assert config.port == 0
    assert config.faults == {Fault.NO_AUTH, Fault.IGNORE_PRIORITY}
    assert config.acceptance_timeout == 0.25
    assert config.stuck_threshold == 120
    assert config.idle_timeout == 60 and config.ping_timeout == 60
    assert config.parent_pid == 12
    assert config.host == "127.0.0.1"


def test_cli_rejects_unknown_fault(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--fault", "bogus"])
    assert "unknown fault" in capsys.readouterr().err


def test_strict_json():
    from agentcom_hub.jsonutil import MAX_DEPTH, is_text, loads

    assert loads('{"a": [1, {"b": 2}]}') == {"a": [1, {"b": 2}]}
    assert loads(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH)
    for bad in (
        "NaN",
        '{"a": Infinity}',
        "[" * 100_000 + "]" * 100_000,
        "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
        b"\xff",
        "{bad",
    ):
        with pytest.raises(ValueError):
            loads(bad)
    assert is_text("agent") and not is_text("") and not is_text("\ud800") and not is_text(3)


def test_every_fault_declares_what_proves_it_is_caught():
    for fault in Fault:
        declared = DECLARED.get(fault)
        assert declared is not None, f"{fault.value}: no declaration in faults.DECLARED"
        assert declared.meaning, f"{fault.value}: no meaning"
        assert bool(declared.rule) != bool(declared.caught_by), (
            f"{fault.value}: declare either the contract rule that names it or, with no rule, "
            f"what catches it instead (rule={declared.rule!r}, caught_by={declared.caught_by!r})"
        )
    assert set(DECLARED) == set(Fault)


def _declarations_without(name: str) -> str:
    text = DECLARATIONS_FILE.read_text(encoding="utf-8")
    start = text.index(f'[[fault]]\nname = "{name}"')
    end = text.find("[[fault]]", start + 1)
    return text[:start] + (text[end:] if end > 0 else "")


def test_a_fault_without_a_declaration_fails_naming_it():
    with pytest.raises(DeclarationError, match="no declaration of unfair-agent-choice"):
        load_declarations(_declarations_without("unfair-agent-choice"))


def test_a_declaration_needs_a_rule_or_what_catches_it():
    text = DECLARATIONS_FILE.read_text(encoding="utf-8")
    both = text.replace('rule = "capabilities"', 'rule = "capabilities"\ncaught_by = "TEST-1"')
    with pytest.raises(DeclarationError, match="'ignore-capabilities' needs a meaning and either"):
        load_declarations(both)
    with pytest.raises(DeclarationError, match="unknown fault 'no-such'"):
        load_declarations(text + '\n[[fault]]\nname = "no-such"\nmeaning = "x"\nrule = "y"\n')
