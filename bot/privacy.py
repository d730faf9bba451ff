"""Deleting conversations: one on request (``forget``), or all older than the retention (``purge``)."""
from __future__ import annotations

import time
from typing import Any

from bot.stores import open_store  # noqa: F401 - the staff commands open the store from here


def sql_store(store: Any) -> Any | None:
    """The SQL tracker store behind Rasa's wrappers, or None for other kinds."""
    from rasa.core.tracker_store import SQLTrackerStore

    inner = getattr(store, "_tracker_store", store)
    return inner if isinstance(inner, SQLTrackerStore) else None


def forget(store: Any, conversation_id: str) -> int:
    """Delete every event of one conversation; returns how many were deleted."""
    sql = sql_store(store)
    if sql is None:
        raise TypeError("forgetting needs the SQL tracker store")
    with sql.session_scope() as session:
        deleted = session.query(sql.SQLEvent).filter(sql.SQLEvent.sender_id == conversation_id).delete()
        session.commit()
    return int(deleted)


def purge(store: Any, older_than_days: float, now: float | None = None) -> list[str]:
    """Delete conversations whose last event is older than the retention; returns their ids."""
    import sqlalchemy as sa

    sql = sql_store(store)
    if sql is None:
        raise TypeError("purging needs the SQL tracker store")
    cutoff = (now or time.time()) - older_than_days * 86400
    event = sql.SQLEvent
    with sql.session_scope() as session:
        stale = [
            row[0]
            for row in session.query(event.sender_id).group_by(event.sender_id)
            .having(sa.func.max(event.timestamp) < cutoff)
        ]
        if stale:
            session.query(event).filter(event.sender_id.in_(stale)).delete(synchronize_session=False)
            session.commit()
    return stale
