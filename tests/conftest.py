"""Shared fixtures: one live assistant per test session, and a REST chat client.

Helpers the test files import live in ``tests/helpers.py``. A test that uses the
live assistant is marked ``live`` automatically; ``make test-unit`` runs the rest.
"""
from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.helpers import REPORT, SMS_ENV, Client, free_port

LIVE_FIXTURES = {"assistant", "client"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if LIVE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.live)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for section, lines in REPORT.items():
        terminalreporter.section(section)
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def assistant(tmp_path_factory: pytest.TempPathFactory):
    """The assistant, started once: its Rasa server on a free loopback port."""
    from bot import settings as settings_module
    from bot.server import Assistant

    state = tmp_path_factory.mktemp("assistant")
    with pytest.MonkeyPatch.context() as env:  # the environment is restored afterwards
        env.setenv("IOP_TRACKER_DB", str(state / "conversations.db"))
        env.setenv("IOP_MESSAGES_PER_MINUTE_PER_ADDRESS", "100000")  # every test talks from 127.0.0.1
        for name, value in SMS_ENV.items():
            env.setenv(name, value)
        settings_module.load.cache_clear()
        settings = settings_module.load()
        running = Assistant(settings, "127.0.0.1", free_port(), log_dir=state / "logs")
        running.start()
        try:
            running.wait_ready()
        except Exception:
            running.stop()
            for log in (state / "logs").glob("*.log"):
                print(f"--- {log.name}\n{log.read_text(errors='replace')[-4000:]}")
            raise
        try:
            yield running
        finally:
            running.stop()
    settings_module.load.cache_clear()


@pytest.fixture(scope="session")
def client(assistant) -> Client:
    return Client(assistant.url)


@pytest.fixture
def sender() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"
