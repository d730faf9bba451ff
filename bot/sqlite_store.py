"""The SQLite conversation store the server uses: Rasa's SQL tracker store, tuned for one file.

Rasa opens a new SQLite connection for every read and write (SQLAlchemy's NullPool) and
commits in SQLite's default rollback-journal mode, which syncs the disk several times per
commit, inside the event loop: under load the server spent about a quarter of its time
there (py-spy, `python -m bench.profile`). Here the connection is kept (one per thread)
and the file uses the write-ahead log with ``synchronous=NORMAL``: a commit survives the
server crashing or being killed; only a power cut can lose the last moments of
conversation. Staff commands (forget, purge, report) open the same file with the plain
store; the WAL mode is recorded in the file, so they work alike.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore


def _tune(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class SQLiteTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` on an SQLite file with a kept connection, WAL and synchronous=NORMAL."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url  # type: ignore[has-type]
        if url.get_backend_name() != "sqlite":
            return
        self.engine.dispose()  # type: ignore[has-type]
        self.engine = sa.create_engine(url, poolclass=sa.pool.SingletonThreadPool)
        sa.event.listen(self.engine, "connect", _tune)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
