"""Deleting conversations: forget one, purge old ones (bot/privacy.py and the CLI)."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time

from bot import privacy
from bot.channels.limits import RateLimiter
from tests.helpers import ROOT


def make_store(db):
    from rasa.core.tracker_store import SQLTrackerStore

    return SQLTrackerStore(dialect="sqlite", db=str(db))


def add_events(db, sender: str, timestamp: float, count: int = 3) -> None:
    with sqlite3.connect(db) as conn:
        for _ in range(count):
            conn.execute(
                "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, 'user', ?, ?)",
                (sender, timestamp, json.dumps({"event": "user", "text": "hi", "timestamp": timestamp})),
            )


def senders(db) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {row[0] for row in conn.execute("SELECT DISTINCT sender_id FROM events")}


def test_forget_deletes_one_conversation_only(tmp_path):
    db = tmp_path / "c.db"
    store = make_store(db)
    add_events(db, "web:a", time.time())
    add_events(db, "web:b", time.time())
    assert privacy.forget(store, "web:a") == 3
    assert senders(db) == {"web:b"}


def test_purge_deletes_conversations_idle_longer_than_the_retention(tmp_path):
    db = tmp_path / "c.db"
    store = make_store(db)
    now = time.time()
    add_events(db, "rest:old", now - 100 * 86400)
    add_events(db, "rest:recent", now - 10 * 86400)
    add_events(db, "rest:mixed", now - 100 * 86400)
    add_events(db, "rest:mixed", now - 1 * 86400, count=1)  # still active: kept whole
    assert privacy.purge(store, 90, now=now) == ["rest:old"]
    assert senders(db) == {"rest:recent", "rest:mixed"}


def test_cli_forget_and_purge(tmp_path):
    db = tmp_path / "c.db"
    make_store(db)
    add_events(db, "web:x", time.time())
    add_events(db, "rest:ancient", time.time() - 400 * 86400)
    env = {**os.environ, "IOP_TRACKER_DB": str(db)}
    run = lambda *args: subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, env=env,  # noqa: E731
                                       capture_output=True, text=True, timeout=120)
    done = run("forget", "web:x")
    assert done.returncode == 0 and "deleted 3 event(s)" in done.stdout
    done = run("purge")
    assert done.returncode == 0 and "deleted 1 conversation(s)" in done.stdout
    assert senders(db) == set()
    assert run("forget").returncode == 2


def test_rate_limiter_per_conversation_and_per_address():
    limiter = RateLimiter(per_conversation=3, per_address=5, window=60)
    assert all(limiter.allow("c1", "1.1.1.1", now=0) for _ in range(3))
    assert not limiter.allow("c1", "1.1.1.1", now=1)
    assert limiter.allow("c2", "1.1.1.1", now=1) and limiter.allow("c2", "1.1.1.1", now=1)
    assert not limiter.allow("c3", "1.1.1.1", now=2), "the address is over its limit"
    assert limiter.allow("c4", "2.2.2.2", now=2), "other addresses are unaffected"
    assert limiter.allow("c1", "3.3.3.3", now=61), "the window slides"


def test_the_servers_sqlite_store_keeps_conversations_and_the_probe_sees_the_file_gone(tmp_path):
    """The kept-connection WAL store writes and reads like Rasa's; the readiness probe opens the file afresh."""
    import asyncio

    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.routes.health import probe
    from bot.sqlite_store import SQLiteTrackerStore

    db = tmp_path / "conversations.db"
    store = SQLiteTrackerStore(dialect="sqlite", db=str(db))
    tracker = DialogueStateTracker.from_events("kept", [UserUttered("hello")])
    asyncio.run(store.save(tracker))
    with sqlite3.connect(db) as conn:  # another process (forget, report) sees the write
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT count(*) FROM events WHERE sender_id = 'kept'").fetchone()[0] == 1
    conn.close()
    again = asyncio.run(store.retrieve("kept"))
    assert again is not None and again.latest_message.text == "hello"
    assert probe(store) is None
    for path in tmp_path.glob("conversations.db*"):  # the volume is swapped under the running server
        path.unlink()
    db.mkdir()
    assert probe(store) is not None
