"""Faults and restarts: a hanging or stopped action server, and a server restart mid-conversation."""
from __future__ import annotations

import socket
import threading
import time
import uuid

import pytest

from bot.server import Assistant
from tests.helpers import Client, free_port, report

pytestmark = pytest.mark.live


class HangingServer:
    """Accepts connections and never answers: an action server that hangs."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.fixture(scope="module")
def faulty(assistant, tmp_path_factory):
    """A second Rasa server (same settings and database) whose action server hangs."""
    hanging = HangingServer()
    running = Assistant(assistant.settings, "127.0.0.1", free_port(), hanging.port,
                        log_dir=tmp_path_factory.mktemp("faulty"))
    running.start_rasa()  # no action server of its own: its actions go to the hanging one
    running.wait_ready()
    yield running, hanging
    running.stop()
    hanging.close()


def test_hanging_action_server_gets_try_again_within_the_limit(faulty):
    running, _ = faulty
    client, sender = Client(running.url), f"hang-{uuid.uuid4().hex[:8]}"
    assert client.say(sender, "hello").keys == ["greet"]
    start = time.monotonic()
    reply = client.say(sender, "how long does IOP last")
    waited = time.monotonic() - start
    report("resilience", f"hanging action server: utter_try_again after {waited:.1f} s "
                         f"(limit {running.settings.action_timeout_seconds:g} s)")
    assert reply.keys == ["try_again"]
    assert waited < running.settings.action_timeout_seconds + 10
    assert client.say(sender, "i want to end my life").keys == ["crisis"]


def test_stopped_action_server_still_answers_crisis_and_rules(faulty):
    running, hanging = faulty
    hanging.close()  # now nothing listens: connection refused
    client, sender = Client(running.url), f"down-{uuid.uuid4().hex[:8]}"
    assert client.say(sender, "i took way too many pills").keys == ["crisis"]
    assert client.say(sender, "are you a bot").keys == ["bot_challenge"]
    assert client.say(sender, "I want to talk to a person").keys == ["human_handoff"]
    assert client.say(sender, "what does IOP cost").keys == ["try_again"]


def test_restart_keeps_history_and_remembered_sense(assistant, tmp_path_factory):
    settings = assistant.settings
    first = Assistant(settings, "127.0.0.1", free_port(), free_port(), log_dir=tmp_path_factory.mktemp("r1"))
    first.start()
    sender = f"restart-{uuid.uuid4().hex[:8]}"
    try:
        first.wait_ready()
        client = Client(first.url)
        assert client.say(sender, "what is iop").keys == ["ask_iop_sense"]
        assert client.say(sender, "2").keys == ["iop_eye"]
    finally:
        first.stop()
    second = Assistant(settings, "127.0.0.1", free_port(), free_port(), log_dir=tmp_path_factory.mktemp("r2"))
    second.start()
    try:
        second.wait_ready()
        client = Client(second.url)
        assert client.say(sender, "what is iop").keys == ["iop_eye"], "the eye sense survived the restart"
    finally:
        second.stop()
    from tests.helpers import stored_events

    users = [e["text"] for e in stored_events(settings.tracker_db, f"rest:{sender}") if e["event"] == "user"]
    assert users == ["what is iop", '/choose_sense{"iop_sense": "eye"}', "what is iop"]


def _ready_status(url: str) -> int:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url + "/health/ready", timeout=10) as reply:
            return reply.status
    except urllib.error.HTTPError as err:
        return err.code


def test_readiness_reports_a_broken_store(tmp_path_factory, monkeypatch):
    """A conversation store that cannot be written makes /health/ready answer 503."""
    from bot import settings as settings_module

    folder = tmp_path_factory.mktemp("broken")
    db = folder / "conversations.db"
    monkeypatch.setenv("IOP_TRACKER_DB", str(db))
    settings_module.load.cache_clear()
    broken = Assistant(settings_module.load(), "127.0.0.1", free_port(), free_port(), log_dir=folder / "logs")
    settings_module.load.cache_clear()
    broken.start()
    try:
        broken.wait_ready()
        assert _ready_status(broken.url) == 200
        with open(db, "r+b") as handle:  # the disk garbles the file (root ignores read-only modes)
            handle.write(b"this is not a database" * 4096)
        assert _ready_status(broken.url) == 503
        log = (folder / "logs" / "rasa.log").read_text(errors="replace")
        assert "CRITICAL" in log and "NOT being kept" in log
    finally:
        broken.stop()
