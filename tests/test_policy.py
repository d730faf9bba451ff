"""The router policy and the NLG with a real Rasa domain and tracker (no model, no server)."""
from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.dialogue.policy import RouterPolicy
from bot.nlg import FacilityNLG
from tests.helpers import ROOT


@pytest.fixture(scope="module")
def domain() -> Domain:
    faq = sorted(str(path) for path in (ROOT / "data" / "nlu" / "faq").glob("*.yml"))
    return Domain.load([str(ROOT / "domain.yml"), *faq])


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> RouterPolicy:
    storage = LocalModelStorage(tmp_path_factory.mktemp("storage"))
    context = ExecutionContext(GraphSchema({}), "test")
    return RouterPolicy.create(RouterPolicy.get_default_config(), storage, Resource("router"), context)


def parse(text: str, intent: str, selector: tuple[tuple[str, float], ...] = (),
          entities: tuple[tuple[str, str], ...] = ()) -> dict[str, Any]:
    return {
        "text": text,
        "intent": {"name": intent, "confidence": 0.95},
        "intent_ranking": [{"name": intent, "confidence": 0.95}],
        "entities": [{"entity": k, "value": v} for k, v in entities],
        "response_selector": {"faq": {"ranking": [{"intent_response_key": f"faq/{k}", "confidence": c}
                                                  for k, c in selector]}},
    }


def turn(policy: RouterPolicy, domain: Domain, tracker: DialogueStateTracker, data: dict[str, Any]) -> list[str]:
    """One message as Rasa's processor runs it: predict, log the prediction's events and the action, repeat."""
    tracker.update(UserUttered(data["text"], data["intent"], data["entities"], data))
    for name, value in data.get("slots", {}).items():
        tracker.update(SlotSet(name, value))
    sent = []
    for _ in range(10):
        prediction = policy.predict_action_probabilities(tracker, domain)
        if prediction.max_confidence == 0:
            return sent + ["<rules>"]
        action = domain.action_names_or_texts[prediction.max_confidence_index]
        tracker.update_with_events(prediction.optional_events, domain)
        tracker.update(ActionExecuted(action, prediction.policy_name, prediction.max_confidence))
        if action == ACTION_LISTEN_NAME:
            return sent
        sent.append(action)
    raise AssertionError(f"no action_listen after {sent}")


def new_tracker(domain: Domain, sender: str = "t") -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender, domain.slots)
    tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
    return tracker


def test_an_faq_answer_then_listen_with_its_slots(policy, domain):
    tracker = new_tracker(domain)
    sent = turn(policy, domain, tracker, parse("how long is iop", "faq", (("iop_duration", 0.9), ("iop_cost", 0.05)),
                                               (("acronym", "iop"),)))
    assert sent == ["utter_faq/iop_duration"]
    assert tracker.get_slot("iop_sense") == "treatment"
    assert tracker.get_slot("topic") == "iop_duration"


def test_the_sense_question_then_the_choice(policy, domain):
    tracker = new_tracker(domain)
    assert turn(policy, domain, tracker, parse("what is iop", "faq", (("what_is_iop", 0.9), ("iop_cost", 0.05)),
                                               (("acronym", "iop"),))) == ["utter_ask_iop_sense"]
    assert tracker.get_slot("pending_answer") == "what_is_iop"
    data = parse("2", "choose_sense", entities=(("iop_sense", "eye"),)) | {"slots": {"iop_sense": "eye"}}
    assert turn(policy, domain, tracker, data) == ["utter_iop_eye"]
    assert tracker.get_slot("pending_answer") is None


def test_two_answers_and_the_resources_line_in_order(policy, domain):
    tracker = new_tracker(domain)
    data = parse("how much is it and does insurance pay", "faq", (("iop_cost", 0.6), ("iop_insurance", 0.3)),
                 (("first_question", "iop_cost"), ("second_question", "iop_insurance"), ("safety", "mention")))
    assert turn(policy, domain, tracker, data) == ["utter_faq/iop_cost", "utter_faq/iop_insurance",
                                                   "utter_crisis_resources"]


def test_crisis_greetings_and_channel_messages_are_left_to_the_rules(policy, domain):
    for intent in ("crisis", "greet", "empty_message", "affirm"):
        assert turn(policy, domain, new_tracker(domain), parse("x", intent)) == ["<rules>"]
    assert RouterPolicy.get_default_config()["priority"] < 6  # the RulePolicy's: a crisis rule wins any tie


def test_a_vote_gets_no_reply_and_changes_no_slot(policy, domain):
    tracker = new_tracker(domain)
    turn(policy, domain, tracker, parse("how long is iop", "faq", (("iop_duration", 0.9), ("iop_cost", 0.05))))
    before = tracker.current_slot_values()
    vote = parse('/feedback{"answer_key": "iop_duration", "vote": "down"}', "feedback",
                 entities=(("answer_key", "iop_duration"), ("vote", "down")))
    assert turn(policy, domain, tracker, vote) == []
    assert tracker.current_slot_values() == before


def test_did_you_mean_buttons_come_from_the_offers_slot_in_the_language(policy, domain):
    tracker = new_tracker(domain)
    data = parse("cost or insurance", "faq", (("iop_cost", 0.4), ("iop_insurance", 0.38)))
    assert turn(policy, domain, tracker, data) == ["utter_did_you_mean"]
    assert tracker.get_slot("offers")[:2] == ["iop_cost", "iop_insurance"]
    nlg = FacilityNLG(domain=domain)
    message = asyncio.run(nlg.generate("utter_did_you_mean", tracker, "rest"))
    titles = [b["title"] for b in message["buttons"]]
    english = [domain.responses[f"utter_title_{k}"][0]["text"] for k in ("iop_cost", "iop_insurance")]
    assert titles[:2] == english
    assert [b["payload"] for b in message["buttons"]][:1] == ['/choose_answer{"answer_key": "iop_cost"}']
    assert tracker.get_slot("misses") == 1


def test_every_response_the_router_can_send_exists(domain):
    from bot import content
    from bot.dialogue import routing

    names = {f"utter_faq/{k}" for k in content.faq_keys()} | {
        "utter_ask_iop_sense", "utter_iop_eye", "utter_iop_stock", "utter_php_programming", "utter_out_of_scope",
        "utter_medical_advice", "utter_did_you_mean", "utter_ask_rephrase", "utter_human_handoff",
        "utter_crisis_resources", "utter_facility_question"}
    assert names <= set(domain.action_names_or_texts)
    assert {f"utter_{k}" for k in routing.SENSE_ANSWERS.values()} <= set(domain.responses)


def test_a_follow_up_that_asks_more_about_the_last_answer_stays_on_it(policy, domain):
    tracker = new_tracker(domain)
    first = parse("do you do drug testing in the program", "faq", (("drug_testing", 0.9), ("iop_cost", 0.05)))
    assert turn(policy, domain, tracker, first) == ["utter_faq/drug_testing"]
    # read alone, the classifier takes it for the schedule; read after the previous message, it is more testing
    follow_up = parse("how often do they do it tho", "faq", (("iop_schedule", 0.55), ("drug_testing", 0.3)))
    assert turn(policy, domain, tracker, follow_up) == ["utter_faq/drug_testing"]
    # the same message as a first message has no previous one to lean on: the classifier's reading stands
    assert turn(policy, domain, new_tracker(domain), follow_up) == ["utter_faq/iop_schedule"]


def test_the_previous_text_skips_buttons(domain):
    from bot.dialogue.policy import previous_text

    tracker = new_tracker(domain)
    tracker.update(UserUttered("how long is iop", {"name": "faq"}))
    assert previous_text(tracker) is None  # no message before the latest
    tracker.update(UserUttered("and is it covered", {"name": "faq"}))
    assert previous_text(tracker) == "how long is iop"
    tracker.update(UserUttered('/choose_answer{"answer_key": "iop_cost"}', {"name": "choose_answer"}))
    tracker.update(UserUttered("ok thanks", {"name": "thanks"}))
    assert previous_text(tracker) is None


def test_a_message_not_understood_as_a_whole_is_answered_by_its_surest_clause(policy, domain):
    # a story first, then the question; the selector torn between three answers
    story = parse("ive been sober a year thru aa, but my sponsor wants more structure. i work 7 to 3, "
                  "can i still keep my job and do the program", "faq",
                  (("iop_schedule", 0.4), ("work_school", 0.35), ("twelve_step", 0.2)))
    assert turn(policy, domain, new_tracker(domain), story) == ["utter_faq/work_school"]
    # one clause only: nothing to read apart, the visitor gets the offer
    torn = parse("can i still keep my job and do the program", "faq",
                 (("iop_schedule", 0.4), ("work_school", 0.35), ("twelve_step", 0.2)))
    assert turn(policy, domain, new_tracker(domain), torn) == ["utter_did_you_mean"]
