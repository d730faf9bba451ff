"""Where conversations and locks are kept: one SQLite file by default, PostgreSQL and Redis to scale.

The server (through its endpoints file) and the staff commands (``forget``,
``purge``, ``report``, the shell) all open the same store from the settings.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from bot.settings import Settings

POSTGRES_SCHEMES = {"postgres", "postgresql", "postgresql+psycopg2"}


def tracker_store_config(settings: Settings) -> dict[str, Any]:
    """Rasa's SQL tracker store section: PostgreSQL when ``store_url`` is set, else the SQLite file."""
    if not settings.store_url:
        settings.tracker_db.parent.mkdir(parents=True, exist_ok=True)
        # Rasa's SQL store with a kept connection and the write-ahead log (bot/sqlite_store.py)
        return {"type": "bot.sqlite_store.SQLiteTrackerStore", "dialect": "sqlite", "db": str(settings.tracker_db)}
    url = urlsplit(settings.store_url)
    if url.scheme not in POSTGRES_SCHEMES:
        raise ValueError(f"store_url must be a postgresql:// address, not {url.scheme or 'empty'}://")
    config: dict[str, Any] = {"type": "SQL", "dialect": "postgresql", "url": url.hostname or "127.0.0.1",
                              "port": url.port or 5432, "db": url.path.lstrip("/") or "postgres"}
    if url.username:
        config["username"] = unquote(url.username)
    if url.password:
        config["password"] = unquote(url.password)
    return config


def lock_store_config(settings: Settings) -> dict[str, Any] | None:
    """Rasa's Redis lock store section when ``lock_url`` is set (None: the in-memory one)."""
    if not settings.lock_url:
        return None
    url = urlsplit(settings.lock_url)
    if url.scheme != "redis":
        raise ValueError(f"lock_url must be a redis:// address, not {url.scheme or 'empty'}://")
    config: dict[str, Any] = {"type": "redis", "url": url.hostname or "127.0.0.1", "port": url.port or 6379,
                              "db": int(url.path.lstrip("/") or 0), "key_prefix": "iop"}
    if url.password:
        config["password"] = unquote(url.password)
    return config


def open_store(settings: Settings) -> Any:
    """The conversation store the servers use, opened directly (staff commands, the shell)."""
    from rasa.core.tracker_store import SQLTrackerStore

    config = tracker_store_config(settings)
    config.pop("type")
    if "url" in config:  # the endpoints file's `url` is the constructor's `host`
        config["host"] = config.pop("url")
    return SQLTrackerStore(**config)


def describe(settings: Settings) -> str:
    """Where conversations are kept, for messages (never the password)."""
    if not settings.store_url:
        return f"SQLite file {settings.tracker_db}"
    url = urlsplit(settings.store_url)
    return f"PostgreSQL database {url.path.lstrip('/')} on {url.hostname}:{url.port or 5432}"
