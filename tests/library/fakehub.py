"""A tiny stand-in for an arbitrary hub command (tests/library/test_hub_launcher.py).

``python fakehub.py PORT [--token-from FILE] [--grandchild] [--die-after S] [--slow-start S]``
answers ``GET /health`` with 200 (and ``GET /api/tasks`` with no task) on 127.0.0.1:PORT in
the foreground. ``--token-from`` refuses
to start unless FILE (written by a token command before the start) exists; ``--grandchild``
starts a ``sleep`` in a session of its own (it leaves the process group, as a daemon would);
``--die-after`` exits with code 7 after S seconds; ``--slow-start`` waits S seconds first.
The state it keeps is a counter in ``./starts`` (its working directory: the state dir).
"""

from __future__ import annotations

import argparse
import http.server
import subprocess
import sys
import threading
import time
from pathlib import Path


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """A request handler that logs nothing and answers with :meth:`reply` (also used by
    test_not_a_hub.py)."""

    def reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class Health(QuietHandler):
    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path == "/health":
            body = b'{"status": "ok", "service": "agent_com", "agents_connected": 0}'
        elif path == "/api/tasks":
            body = b'{"tasks": [], "count": 0}'
        else:
            body = b'{"error": "not_found"}'
        self.reply(404 if body.startswith(b'{"error"') else 200, body)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--token-from")
    parser.add_argument("--grandchild", action="store_true")
    parser.add_argument("--die-after", type=float)
    parser.add_argument("--slow-start", type=float, default=0.0)
    args = parser.parse_args()
    if args.token_from and not Path(args.token_from).exists():
        print(f"fakehub: no token file {args.token_from}", flush=True)
        return 2
    starts = Path("starts")
    count = int(starts.read_text()) + 1 if starts.exists() else 1
    starts.write_text(str(count))
    print(f"fakehub: start {count} on port {args.port}", flush=True)
    if args.grandchild:
        subprocess.Popen(["sleep", "300"], start_new_session=True)
    time.sleep(args.slow_start)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Health)
    if args.die_after is not None:

        def die() -> None:
            time.sleep(args.die_after)
            print("fakehub: dying on purpose", flush=True)
            sys.stdout.flush()
            import os

            os._exit(7)

        threading.Thread(target=die, daemon=True).start()
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
