"""Token registry: token -> agent_id, stored as SHA-256 hashes plus an 8-character prefix.

Lookup hashes the presented token and looks the hash up, so the time it takes does not
depend on how many leading characters of a real token were guessed right.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import time
from pathlib import Path

from .store import Store


def mask(token: object) -> str:
    """The printable form of a token: its first 8 characters and ``...``."""
    return f"{str(token)[:8]}..."


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class TokenRegistry:
    """Create, look up, list and revoke tokens; persisted in the store."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._by_hash: dict[str, tuple[str, str]] = {}
        for token_hash, agent_id, prefix in store.tokens():
            self._by_hash[token_hash] = (agent_id, prefix)

    def create(self, agent_id: str) -> str:
        """A new 64-hex token bound to ``agent_id``."""
        token = secrets.token_hex(32)
        self.add(token, agent_id)
        return token

    def add(self, token: str, agent_id: str) -> None:
        """Register an existing token (the bootstrap token) for ``agent_id``."""
        token_hash = _digest(token)
        self._store.insert_token(token_hash, agent_id, token[:8], int(time.time() * 1000))
        self._by_hash[token_hash] = (agent_id, token[:8])

    def lookup(self, token: object) -> str | None:
        """The agent_id bound to ``token``, or None for an unknown or malformed token."""
        if not isinstance(token, str) or not token:
            return None
        entry = self._by_hash.get(_digest(token))
        return entry[0] if entry else None

    def revoke(self, agent_id: str, only_one: bool = False) -> int:
        """Revoke every token of ``agent_id``; returns how many there were. ``only_one``
        is the ``revoke-one-token`` fault: one token goes, the others stay valid."""
        doomed = [h for h, (owner, _) in self._by_hash.items() if owner == agent_id]
        if only_one and len(doomed) > 1:
            del self._by_hash[doomed[-1]]
            return 1
        if doomed:
            self._store.delete_tokens(agent_id)
            for token_hash in doomed:
                del self._by_hash[token_hash]
        return len(doomed)

    def listing(self) -> list[dict]:
        """``[{"agent_id": ID, "token_prefix": "abcd1234..."}]`` for every token."""
        return [
            {"agent_id": agent_id, "token_prefix": f"{prefix}..."}
            for agent_id, prefix in self._by_hash.values()
        ]

    def bootstrap(self, agent_id: str, data_dir: Path) -> str:
        """The bootstrap token of ``agent_id``: reused from ``bootstrap-token.json`` (0600)
        in the data dir when present, else created and written there."""
        path = data_dir / "bootstrap-token.json"
        token = None
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
            if saved.get("agent_id") == agent_id and isinstance(saved.get("token"), str):
                token = saved["token"]
        except (OSError, ValueError, AttributeError):
            token = None
        if token is None:
            token = secrets.token_hex(32)
            data_dir.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump({"agent_id": agent_id, "token": token}, out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        if self.lookup(token) != agent_id:
            self.add(token, agent_id)
        return token
