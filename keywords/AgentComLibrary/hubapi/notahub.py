"""What to say when something that is not an AgentCom hub answers at the hub URL (a web
server's HTML page, a text answer): one short sentence instead of the page itself."""

from __future__ import annotations

import html
import re

_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_HEADING = re.compile(r"<h1[^>]*>(.*?)</h1>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
SHOWN = 60  # characters of a text answer that are quoted


def looks_like_a_page(body: object) -> bool:
    """Whether an answer is not JSON (the hub answers every route in JSON)."""
    return isinstance(body, str)


def describe(body: str) -> str:
    """``an HTML page titled 'Error response'`` / ``a text answer 'Not Found'``."""
    text = body.strip()
    if "<html" in text[:500].lower() or text.lower().startswith("<!doctype"):
        found = _TITLE.search(text) or _HEADING.search(text)
        title = " ".join(html.unescape(_TAG.sub("", found.group(1))).split()) if found else ""
        return f"an HTML page titled '{_cut(title)}'" if title else "an HTML page"
    if not text:
        return "an empty answer"
    return f"a text answer '{_cut(' '.join(text.split()))}'"


def not_a_hub(url: str, status: int | None, body: str) -> str:
    """The whole message: what answered, what a hub answers, what to do."""
    answered = f"{status} with " if status is not None else ""
    return (
        f"The server at {url} is not an AgentCom hub: GET /health answered {answered}"
        f'{describe(body)}, where a hub answers {{"status": "ok"}} in JSON. Point HUB_URL '
        "at the hub's base URL (e.g. http://localhost:4000), or leave it empty to test the "
        "embedded hub."
    )


def _cut(text: str) -> str:
    return text if len(text) <= SHOWN else text[: SHOWN - 3] + "..."
