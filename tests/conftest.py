"""Shared fixtures: one live assistant per test session, and a REST chat client."""
from __future__ import annotations

import dataclasses
import json
import os
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

from bot.server import free_port  # noqa: F401 - used by the tests too

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
REPORT: dict[str, list[str]] = {}
SMS_ENV = {  # test-only secrets: the SMS channel runs in the test assistant
    "IOP_SMS_ENABLED": "1",
    "TWILIO_AUTH_TOKEN": "test-auth-token-0123456789abcdef",
    "IOP_SENDER_KEY": "test-sender-key-fedcba9876543210",
    "IOP_PUBLIC_URL": "https://iop-bot.example.test",
}  # figures printed at the end of the run


def report(section: str, line: str) -> None:
    REPORT.setdefault(section, []).append(line)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for section, lines in REPORT.items():
        terminalreporter.section(section)
        for line in lines:
            terminalreporter.write_line(line)


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


@pytest.fixture(scope="session")
def assistant(tmp_path_factory: pytest.TempPathFactory):
    """The assistant, started once: action server + Rasa server on free loopback ports."""
    from bot import settings as settings_module
    from bot.server import Assistant

    state = tmp_path_factory.mktemp("assistant")
    os.environ["IOP_TRACKER_DB"] = str(state / "conversations.db")
    os.environ["IOP_RATE_PER_ADDRESS"] = "100000"  # every test talks from 127.0.0.1
    os.environ.update(SMS_ENV)
    settings_module.load.cache_clear()
    settings = settings_module.load()
    running = Assistant(settings, "127.0.0.1", free_port(), free_port(), log_dir=state / "logs")
    running.start()
    try:
        running.wait_ready()
    except Exception:
        running.stop()
        for log in (state / "logs").glob("*.log"):
            print(f"--- {log.name}\n{log.read_text(errors='replace')[-4000:]}")
        raise
    yield running
    running.stop()


@pytest.fixture(scope="session")
def client(assistant) -> Client:
    return Client(assistant.url)


@pytest.fixture
def sender() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def stored_events(db: Path, conversation: str) -> list[dict[str, Any]]:
    """The events stored for one conversation, read straight from the SQLite tracker store."""
    import sqlite3

    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT data FROM events WHERE sender_id = ? ORDER BY id", (conversation,)).fetchall()
    return [json.loads(row[0]) for row in rows]
