"""Helpers the test files share: paths, the REST chat client, the figures report, the tracker store."""
from __future__ import annotations

import dataclasses
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from bot.server import free_port  # noqa: F401 - re-exported for the tests

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
REPORT: dict[str, list[str]] = {}  # figures printed at the end of the run
SMS_ENV = {  # test-only secrets: the SMS channel runs in the test assistant
    "IOP_SMS_ENABLED": "1",
    "TWILIO_AUTH_TOKEN": "test-auth-token-0123456789abcdef",
    "IOP_SENDER_KEY": "test-sender-key-fedcba9876543210",
    "IOP_PUBLIC_URL": "https://iop-bot.example.test",
}


def report(section: str, line: str) -> None:
    REPORT.setdefault(section, []).append(line)


def answer_key(response_name: str | None) -> str | None:
    """utter_faq/iop_cost -> iop_cost; utter_iop_eye -> iop_eye."""
    if not response_name:
        return None
    name = response_name.removeprefix("utter_")
    return name.split("/", 1)[1] if "/" in name else name


@dataclasses.dataclass
class Reply:
    status: int
    messages: list[dict[str, Any]]

    @property
    def keys(self) -> list[str | None]:
        return [answer_key(m.get("response")) for m in self.messages]

    @property
    def key(self) -> str | None:
        return self.keys[0] if self.messages else None

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return [b for m in self.messages for b in m.get("buttons") or []]


class Client:
    """Talks to the assistant's REST channel."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def post(self, body: bytes | str | dict, path: str = "/webhooks/rest/webhook", timeout: float = 60) -> Reply:
        data = body if isinstance(body, bytes) else (body if isinstance(body, str) else json.dumps(body)).encode()
        request = urllib.request.Request(self.base_url + path, data=data, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as resp:
                return Reply(resp.status, json.loads(resp.read() or b"[]"))
        except urllib.error.HTTPError as err:
            payload = err.read()
            try:
                parsed = json.loads(payload or b"{}")
            except ValueError:
                parsed = {"raw": payload.decode(errors="replace")}
            return Reply(err.code, [parsed] if isinstance(parsed, dict) else parsed)

    def say(self, sender: str, message: str) -> Reply:
        reply = self.post({"sender": sender, "message": message})
        assert reply.status == 200, reply.messages
        return reply


def stored_events(db: Path, conversation: str) -> list[dict[str, Any]]:
    """The events stored for one conversation, read straight from the SQLite tracker store."""
    import sqlite3

    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT data FROM events WHERE sender_id = ? ORDER BY id", (conversation,)).fetchall()
    return [json.loads(row[0]) for row in rows]
