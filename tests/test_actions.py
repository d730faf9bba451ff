"""action_answer with a real rasa_sdk tracker and dispatcher (no servers)."""
from __future__ import annotations

import asyncio

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import ActionAnswer
from bot import content


@pytest.fixture(scope="module")
def domain() -> dict:
    return {"responses": content.load().responses}


def make_tracker(text: str, intent: str, selector=(), entities=(), slots=None) -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.95},
        "intent_ranking": [{"name": intent, "confidence": 0.95}],
        "entities": [{"entity": k, "value": v} for k, v in entities],
        "response_selector": {"faq": {"ranking": [{"intent_response_key": f"faq/{k}", "confidence": c}
                                                  for k, c in selector]}},
    }
    return Tracker("t", slots or {}, latest, [], False, None, {}, "action_listen")


def run(domain, tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionAnswer().run(dispatcher, tracker, domain))
    return [m["response"] for m in dispatcher.messages], {e["name"]: e["value"] for e in events}, dispatcher


@pytest.mark.parametrize(
    ("tracker", "responses", "slots"),
    [
        (make_tracker("how long is iop", "faq", [("iop_duration", 0.9), ("iop_cost", 0.05)], [("acronym", "iop")]),
         ["utter_faq/iop_duration"], {"iop_sense": "treatment"}),
        (make_tracker("what is iop", "faq", [("what_is_iop", 0.9), ("iop_cost", 0.05)], [("acronym", "iop")]),
         ["utter_ask_iop_sense"], {"pending_answer": "what_is_iop"}),
        (make_tracker("2", "choose_sense", entities=[("iop_sense", "eye")], slots={"pending_answer": "what_is_iop"}),
         ["utter_iop_eye"], {"iop_sense": "eye", "pending_answer": None}),
        (make_tracker("does iop help after an overdose", "faq", [("iop_conditions", 0.9), ("relapse", 0.02)],
                      [("safety", "mention")]),
         ["utter_faq/iop_conditions", "utter_crisis_resources"], {}),
    ],
)
def test_action_answer(domain, tracker, responses, slots):
    sent, events, _ = run(domain, tracker)
    assert sent == responses
    for name, value in slots.items():
        assert events[name] == value


def test_did_you_mean_buttons_carry_titles_from_the_domain(domain):
    tracker = make_tracker("cost or insurance", "faq", [("iop_cost", 0.4), ("iop_insurance", 0.38)])
    sent, events, dispatcher = run(domain, tracker)
    assert sent == ["utter_did_you_mean"]
    buttons = dispatcher.messages[0]["buttons"]
    assert [b["title"] for b in buttons] == [content.load().responses[f"utter_title_{k}"][0]["text"]
                                             for k in ("iop_cost", "iop_insurance")]
    assert events["misses"] == 1


def test_every_response_the_router_can_send_exists(domain):
    from actions import routing

    names = {f"utter_faq/{k}" for k in content.faq_keys()} | {
        "utter_ask_iop_sense", "utter_iop_eye", "utter_iop_stock", "utter_php_programming", "utter_out_of_scope",
        "utter_medical_advice", "utter_did_you_mean", "utter_ask_rephrase", "utter_human_handoff",
        "utter_crisis_resources"}
    assert names <= set(domain["responses"])
    assert {f"utter_{k}" for k in routing.SENSE_ANSWERS.values()} <= set(domain["responses"])
