"""``GET /health/ready``: 200 only when the model is loaded and conversations can be written.

Rasa's tracker store wrapper silently switches to memory when the database
fails, so conversations would be lost on restart without anyone knowing. This
route writes a probe to the store each time it is asked (503 otherwise), and
the wrapper's error hook is replaced by one that logs at CRITICAL.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import privacy

logger = logging.getLogger(__name__)


def _store_failed(exc: Exception) -> None:
    logger.critical("the conversation store cannot be written (%s): conversations are NOT being kept", exc)


def _check_sqlite_file(sql: Any) -> None:
    """Read an SQLite store's file through a fresh connection.

    The server's own connection is kept open (``bot/sqlite_store.py``) and may answer from
    its cache, so a file garbled on disk would go unnoticed until the next restart.
    """
    import sqlite3

    url = sql.engine.url
    if url.get_backend_name() != "sqlite" or not url.database:
        return
    with sqlite3.connect(f"file:{url.database}?mode=rw", uri=True, timeout=5) as connection:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    connection.close()


def probe(store: Any) -> str | None:
    """None when the store takes a write, else what is wrong."""
    import sqlalchemy as sa

    if store is None:
        return "no conversation store"
    if getattr(store, "_fallback_tracker_store", None) is not None:
        return "the conversation store failed earlier and Rasa fell back to memory"
    sql = privacy.sql_store(store)
    if sql is None:
        return None  # another kind of store: nothing more to check here
    try:
        _check_sqlite_file(sql)
        with sql.session_scope() as session:
            session.execute(sa.text("CREATE TABLE IF NOT EXISTS iop_ready_probe (checked REAL)"))
            session.execute(sa.text("DELETE FROM iop_ready_probe"))
            session.execute(sa.text("INSERT INTO iop_ready_probe VALUES (1)"))
            session.commit()
    except Exception as exc:
        _store_failed(exc)
        return f"the conversation store cannot be written: {type(exc).__name__}"
    return None


class _HealthBlueprint(Blueprint):
    def register(self, app: Sanic, options: dict[str, Any]) -> None:
        super().register(app, options)
        app.add_route(ready, "/health/ready", methods=["GET"], name="iop_health_ready")
        app.add_route(live, "/health/live", methods=["GET"], name="iop_health_live")


async def live(request: Request) -> HTTPResponse:
    return response.json({"status": "ok"})


async def ready(request: Request) -> HTTPResponse:
    agent = getattr(request.app.ctx, "agent", None)
    if agent is None or not agent.is_ready():
        return response.json({"status": "starting", "problem": "the model is not loaded"}, status=503)
    store = agent.tracker_store
    if hasattr(store, "_on_tracker_store_error"):
        store._on_tracker_store_error = _store_failed  # loud, not silent
    problem = probe(store)
    if problem:
        return response.json({"status": "unavailable", "problem": problem}, status=503)
    return response.json({"status": "ready"})


class Health(InputChannel):
    """Registered like a channel so its routes live on the Rasa server."""

    @classmethod
    def name(cls) -> str:
        return "health"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        return _HealthBlueprint("iop_health", __name__)
