"""Property-based: random Unicode never breaks the NLU pipeline, the input hygiene or the REST channel."""
from __future__ import annotations

import asyncio
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.channels import hygiene
from tests.helpers import ROOT

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@given(raw=TEXT)
@settings(max_examples=400, deadline=None, derandomize=True)
def test_hygiene_never_fails(raw):
    out = hygiene.prepare(raw, [], max_chars=1000)
    assert isinstance(out, str) and out
    assert not out.startswith("/") or out in {hygiene.EMPTY, hygiene.TOO_LONG}


@pytest.fixture(scope="module")
def agent():
    from rasa.core.agent import Agent

    return Agent.load(str(ROOT / "models" / "current.tar.gz"))


@pytest.mark.model
@given(raw=TEXT)
@FUZZ
def test_nlu_pipeline_never_fails(agent, raw):
    text = hygiene.prepare(raw, [], max_chars=1000)
    parsed = asyncio.run(agent.parse_message(text))
    assert parsed["intent"]["name"]


@pytest.mark.live
@given(raw=TEXT)
@FUZZ
def test_rest_channel_never_fails(client, raw):
    reply = client.post({"sender": f"fuzz-{uuid.uuid4().hex[:8]}", "message": raw})
    assert reply.status == 200, reply.messages
    assert reply.messages and all(m.get("text") for m in reply.messages)
