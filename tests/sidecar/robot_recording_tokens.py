"""Run Robot like `robot ...` while recording every token the library handles.

Usage: python robot_recording_tokens.py TOKENS_FILE [robot arguments...]

Every token given to a HubClient (the bootstrap token) and every token the hub creates
for an agent is appended to TOKENS_FILE, one a line, so a test can grep a run's results
for them afterwards. Test-only; it patches the library in this process.
"""

from __future__ import annotations

import sys

from AgentComLibrary.hubapi import client
from robot import run_cli


def main() -> None:
    tokens_file, args = sys.argv[1], sys.argv[2:]

    def record(token: object) -> None:
        value = str(getattr(token, "value", token) or "")
        if value:
            with open(tokens_file, "a", encoding="utf-8") as handle:
                handle.write(value + "\n")

    setter = client.HubClient.token.fset
    create = client.HubClient.create_token

    def set_token(self: client.HubClient, value: str) -> None:
        record(value)
        setter(self, value)

    def create_token(self: client.HubClient, agent_id: str) -> str:
        token = create(self, agent_id)
        record(token)
        return token

    client.HubClient.token = property(client.HubClient.token.fget, set_token)
    client.HubClient.create_token = create_token
    run_cli(args)


if __name__ == "__main__":
    main()
