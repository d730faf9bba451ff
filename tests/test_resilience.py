"""Faults and restarts: a killed server comes back with the conversation, restarts back off, a broken store."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

from bot.server import Assistant
from tests.helpers import ROOT, Client, free_port, report, stored_events

pytestmark = pytest.mark.live


def _child_pids(pid: int) -> list[int]:
    try:
        return [int(c) for c in open(f"/proc/{pid}/task/{pid}/children").read().split()]
    except OSError:
        return []


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"{what} within {timeout:.0f} s")


@pytest.fixture()
def supervised(assistant, tmp_path_factory):
    """`python -m bot run` as a visitor's server runs it: a supervisor with its Rasa server."""
    folder = tmp_path_factory.mktemp("supervised")
    port = free_port()
    env = dict(os.environ) | {"IOP_PORT": str(port), "IOP_HOST": "127.0.0.1",
                              "IOP_TRACKER_DB": str(assistant.settings.tracker_db),
                              "IOP_MESSAGES_PER_MINUTE_PER_ADDRESS": "100000"}
    log = open(folder / "run.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(lambda: _ready_status(url) == 200, 240, "the assistant was not ready")
        yield proc, url, folder / "run.log"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def test_a_killed_server_is_restarted_and_the_conversation_goes_on(supervised, assistant):
    proc, url, log = supervised
    client, sender = Client(url), f"kill-{uuid.uuid4().hex[:8]}"
    assert client.say(sender, "what is iop").keys == ["ask_iop_sense"]
    assert client.say(sender, "2").keys == ["iop_eye"]
    (server,) = _child_pids(proc.pid)
    os.kill(server, signal.SIGKILL)  # as a crash or the OOM killer would
    start = time.monotonic()
    _wait_for(lambda: _ready_status(url) == 200 and _child_pids(proc.pid) not in ([], [server]), 240,
              "the server did not come back")
    report("resilience", f"killed Rasa server (SIGKILL): back and ready after {time.monotonic() - start:.1f} s")
    assert proc.poll() is None, "the supervisor kept running"
    assert client.say(sender, "what is iop").keys == ["iop_eye"], "the eye sense survived the crash"
    assert client.say(sender, "i want to end my life").keys == ["crisis"]
    text = log.read_text(errors="replace")
    assert "stopped (exit code -9)" in text and "restarted (restart 1)" in text, text[-2000:]
    users = [e["text"] for e in stored_events(assistant.settings.tracker_db, f"rest:{sender}") if e["event"] == "user"]
    assert users == ["what is iop", '/choose_sense{"iop_sense": "eye"}', "what is iop", "i want to end my life"]


def test_restart_backoff_grows_and_is_logged(assistant, tmp_path_factory):
    """A server that dies at once is restarted after 1 s, then 2 s, ... (the watch loop of `bot run`)."""
    lines: list[str] = []
    watched = Assistant(assistant.settings, "127.0.0.1", free_port(), log_dir=tmp_path_factory.mktemp("dies"),
                        extra_args=["--no-such-option"])  # Rasa refuses to start: exits at once
    watched.start()
    try:
        starts = [time.monotonic()]
        deadline = time.monotonic() + 60
        while watched.restarts < 2 and time.monotonic() < deadline:
            before = watched.restarts
            watched.watch(say=lines.append)
            if watched.restarts != before:
                starts.append(time.monotonic())
            time.sleep(0.05)
    finally:
        watched.stop()
    assert watched.restarts == 2, lines
    gaps = [later - earlier for earlier, later in zip(starts, starts[1:], strict=False)]
    assert gaps[1] > gaps[0] + 0.5, gaps  # 1 s, then 2 s (plus the seconds Rasa takes to fail)
    assert any("restarting it in 1 s" in line for line in lines) and any("in 2 s" in line for line in lines)


def _ready_status(url: str) -> int:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url + "/health/ready", timeout=10) as reply:
            return reply.status
    except urllib.error.HTTPError as err:
        return err.code
    except OSError:
        return 0  # not listening (yet, or any more)


def test_readiness_reports_a_broken_store(tmp_path_factory, monkeypatch):
    """A conversation store that cannot be written makes /health/ready answer 503."""
    from bot import settings as settings_module

    folder = tmp_path_factory.mktemp("broken")
    db = folder / "conversations.db"
    monkeypatch.setenv("IOP_TRACKER_DB", str(db))
    settings_module.load.cache_clear()
    broken = Assistant(settings_module.load(), "127.0.0.1", free_port(), log_dir=folder / "logs")
    settings_module.load.cache_clear()
    broken.start()
    try:
        broken.wait_ready()
        assert _ready_status(broken.url) == 200
        # the volume is swapped under the running server: its kept connection would go on
        # writing to a file nobody can read again (root ignores read-only modes, so no chmod)
        for path in folder.glob("conversations.db*"):
            path.unlink()
        db.mkdir()
        assert _ready_status(broken.url) == 503
        log = (folder / "logs" / "rasa.log").read_text(errors="replace")
        assert "CRITICAL" in log and "NOT being kept" in log
    finally:
        broken.stop()
