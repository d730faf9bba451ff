"""Under load: 50 concurrent conversations for 30 s, each getting exactly its own answers in order."""
from __future__ import annotations

import pytest

from bench import load
from tests.helpers import report

pytestmark = pytest.mark.live


def test_fifty_concurrent_conversations(assistant):
    rasa = assistant.pid
    before = load.rss_mb(rasa)
    result = load.run(assistant.url, conversations=50, seconds=30, pause=1.5)
    after = load.rss_mb(rasa)
    report("load", result.summary())
    report("load", f"Rasa server memory: {before:.0f} MB before, {after:.0f} MB after")
    assert result.replies >= 50
    assert not result.errors, result.errors[:10]
