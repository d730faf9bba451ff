"""Votes on answers ("Was this helpful?"): what can be rated, how a vote is stored, and that it changes
nothing in the conversation (bot/channels/feedback.py, the channels, the staff shell)."""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from rasa.shared.core.events import BotUttered, UserUttered

from bot.channels import feedback
from tests.helpers import ROOT, SMS_ENV, stored_events


@pytest.mark.parametrize(
    ("response", "rateable"),
    [
        ("utter_faq/iop_cost", True), ("utter_iop_eye", True), ("utter_iop_stock", True),
        ("utter_php_programming", True), ("utter_human_handoff", True), ("utter_medical_advice", True),
        ("utter_facility_question", True),
        ("utter_greet", False), ("utter_crisis", False), ("utter_crisis_resources", False),
        ("utter_did_you_mean", False), ("utter_ask_rephrase", False), ("utter_default", False),
        ("utter_ask_iop_sense", False), ("utter_out_of_scope", False), ("utter_thanks", False), (None, False),
    ],
)
def test_which_replies_can_be_rated(response, rateable):
    assert feedback.is_rateable(response) is rateable


def answer(response: str) -> BotUttered:
    return BotUttered("...", metadata={"utter_action": response})


def vote_event(key: str, vote: str, reason: str | None = None) -> UserUttered:
    entities = [{"entity": "answer_key", "value": key}, {"entity": "vote", "value": vote}]
    if reason:
        entities.append({"entity": "reason", "value": reason})
    return UserUttered(feedback.vote_payload(key, vote, reason), {"name": "feedback", "confidence": 1.0}, entities)


def test_votes_are_read_back_from_events_and_stored_dicts():
    event = vote_event("iop_cost", "down", "unclear")
    assert feedback.vote_of(event) == feedback.Vote("iop_cost", "down", "unclear")
    assert feedback.vote_of(event.as_dict()) == feedback.Vote("iop_cost", "down", "unclear")
    assert feedback.vote_of(UserUttered("how much", {"name": "faq", "confidence": 0.9})) is None
    events = [UserUttered("hi"), answer("utter_greet"), UserUttered("cost?"), answer("utter_faq/iop_cost"),
              answer("utter_crisis_resources")]
    assert feedback.answered_keys(events) == {"iop_cost"}


def test_an_sms_yes_or_no_rates_only_the_answer_just_given():
    turn = [UserUttered("how much does it cost"), answer("utter_faq/iop_cost"), answer("utter_crisis_resources")]
    assert feedback.sms_vote("y", turn) == feedback.vote_payload("iop_cost", "up")
    assert feedback.sms_vote("no", turn) == feedback.vote_payload("iop_cost", "down")
    assert feedback.sms_vote("maybe", turn) is None
    assert feedback.sms_vote("y", [*turn, UserUttered("and insurance?")]) is None, "not right after the answer"
    assert feedback.sms_vote("y", [*turn, vote_event("iop_cost", "up")]) is None, "one Y/N per answer"
    assert feedback.sms_vote("y", [UserUttered("hi"), answer("utter_greet")]) is None, "a greeting asks nothing"


@pytest.mark.parametrize(
    ("word", "language", "vote"),
    [
        ("s", "es", "up"), ("si", "es", "up"), ("sí", "es", "up"), ("y", "es", "up"), ("n", "es", "down"),
        ("no", "es", "down"), ("s", "en", None), ("s", None, None), ("sí", "en", "up"), ("maybe", "es", None),
    ],
)
def test_a_spanish_sms_says_s_for_yes(word, language, vote):
    turn = [UserUttered("¿cuánto cuesta?"), answer("utter_faq/iop_cost")]
    expected = feedback.vote_payload("iop_cost", vote) if vote else None
    assert feedback.sms_vote(word, turn, language) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/good", ("up", None)),
        ("/bad", ("down", None)),
        ("/bad wrong", ("down", "wrong")),
        ("/bad too long", ("down", "too_long")),
        ("/BAD confusing", ("down", "unclear")),
        ("/bad it missed the point about insurance", ("down", "other")),
    ],
)
def test_shell_commands(line, expected):
    payload, said = feedback.shell_vote(line, "iop_cost")
    data = json.loads(payload.removeprefix("/feedback"))
    assert (data["vote"], data.get("reason")) == expected and data["answer_key"] == "iop_cost"
    assert said.startswith("(vote recorded: ")
    assert feedback.shell_vote(line, None)[0] is None


# ---- the SMS channel's opt-in question, without a server: its own code with a stand-in Rasa


class StandInAssistant:
    """Answers every question with utter_faq/iop_cost and stores what it is sent, as Rasa would;
    with ``language``, the message sets the conversation's ``language`` slot to it."""

    def __init__(self, language: str | None = None) -> None:
        from rasa.core.tracker_store import InMemoryTrackerStore
        from rasa.shared.core.domain import Domain

        self.store = InMemoryTrackerStore(Domain.from_dict({
            "entities": ["language"],
            "slots": {"language": {"type": "categorical", "values": ["en", "es"], "influence_conversation": False,
                                   "mappings": [{"type": "from_entity", "entity": "language"}]}},
        }))
        self.language = language
        self.received: list[str] = []

    async def __call__(self, message: Any) -> None:
        from rasa.shared.core.events import SlotSet

        tracker = await self.store.get_or_create_tracker(message.sender_id)
        self.received.append(message.text)
        vote = message.text.startswith("/feedback")
        tracker.update(UserUttered(message.text, {"name": "feedback" if vote else "faq"},
                                   _entities(message.text) if vote else []))
        if self.language and not vote:
            tracker.update(SlotSet("language", self.language))
        if not vote:
            tracker.update(answer("utter_faq/iop_cost"))
            await message.output_channel.send_response(message.sender_id, {"text": "It varies.",
                                                                           "utter_action": "utter_faq/iop_cost"})
        await self.store.save(tracker)


def _entities(payload: str) -> list[dict[str, str]]:
    data = json.loads(payload.removeprefix("/feedback"))
    return [{"entity": k, "value": v} for k, v in data.items()]


@pytest.fixture
def sms_channel(monkeypatch):
    from bot import settings as settings_module
    from bot.channels import sms

    def make(ask: bool):
        for name, value in {**SMS_ENV, "IOP_FEEDBACK_SMS_ASK": "1" if ask else "0"}.items():
            monkeypatch.setenv(name, value)
        settings_module.load.cache_clear()
        return sms.TwilioSMSInput()

    yield make
    settings_module.load.cache_clear()


def test_sms_asks_nothing_by_default(sms_channel):
    channel, bot = sms_channel(ask=False), StandInAssistant()
    request = SimpleNamespace(app=SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(tracker_store=bot.store))))
    body = asyncio.run(channel._answer(request, bot, "+15550001111", "how much is it"))
    assert body == "It varies."
    assert asyncio.run(channel._answer(request, bot, "+15550001111", "Y")) == "It varies.", "Y is a message"
    assert bot.received == ["how much is it", "Y"]


def test_sms_opt_in_asks_and_stores_a_y_or_n_as_a_vote(sms_channel):
    channel, bot = sms_channel(ask=True), StandInAssistant()
    request = SimpleNamespace(app=SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(tracker_store=bot.store))))
    body = asyncio.run(channel._answer(request, bot, "+15550001111", "how much is it"))
    assert body == "It varies.\n\nWas this helpful? Reply Y or N."
    assert asyncio.run(channel._answer(request, bot, "+15550001111", "n")) is None, "a vote gets no reply"
    assert bot.received[-1] == feedback.vote_payload("iop_cost", "down")
    assert asyncio.run(channel._answer(request, bot, "+15550001111", "n")) == "It varies.\n\nWas this helpful? " \
        "Reply Y or N.", "a second N is a message again"


def stand_in_request(bot: StandInAssistant) -> Any:
    return SimpleNamespace(app=SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(tracker_store=bot.store))))


def test_a_spanish_sms_is_asked_in_spanish_and_s_is_a_yes(sms_channel):
    channel, bot = sms_channel(ask=True), StandInAssistant(language="es")
    request = stand_in_request(bot)
    body = asyncio.run(channel._answer(request, bot, "+15550002222", "¿cuánto cuesta el programa?"))
    assert body == "It varies.\n\n¿Te fue util? Responde S o N.", "Spanish, in GSM-7 (ú without its accent)"
    assert asyncio.run(channel._answer(request, bot, "+15550002222", "SÍ")) is None, "a vote gets no reply"
    assert bot.received[-1] == feedback.vote_payload("iop_cost", "up")
    asyncio.run(channel._answer(request, bot, "+15550002222", "¿y el seguro?"))
    assert asyncio.run(channel._answer(request, bot, "+15550002222", "s")) is None
    assert bot.received[-1] == feedback.vote_payload("iop_cost", "up"), "S is a yes in Spanish"


def test_without_a_language_slot_the_sms_follows_the_message(sms_channel, monkeypatch):
    channel, bot = sms_channel(ask=True), StandInAssistant()
    request = stand_in_request(bot)
    spanish = asyncio.run(channel._answer(request, bot, "+15550003333", "¿cuánto cuesta el programa intensivo?"))
    assert spanish.endswith("Responde S o N.")
    english = asyncio.run(channel._answer(request, bot, "+15550004444", "how much does the program cost"))
    assert english.endswith("Reply Y or N.")
    assert asyncio.run(channel._answer(request, bot, "+15550004444", "s")) is not None, "S is no vote in English"
    assert asyncio.run(channel._answer(request, bot, "+15550005555", "ok")).endswith("Reply Y or N."), "else English"


def test_the_spanish_question_is_a_setting(sms_channel, monkeypatch, tmp_path):
    from bot import settings as settings_module

    assert settings_module.load().feedback_sms_ask_text_es == "¿Te fue útil? Responde S o N."
    custom = tmp_path / "settings.yml"
    custom.write_text('feedback:\n  sms_ask: true\n  sms_ask_text_es: "¿Le sirvió? Responda S o N."\n',
                      encoding="utf-8")
    monkeypatch.setattr(settings_module, "SETTINGS_FILE", custom)
    channel, bot = sms_channel(ask=True), StandInAssistant(language="es")
    body = asyncio.run(channel._answer(stand_in_request(bot), bot, "+15550006666", "¿cuánto cuesta?"))
    assert body == "It varies.\n\n¿Le sirvio? Responda S o N."


# ---- live: a vote is stored, answered with nothing, and changes nothing


SCRIPT = [  # (message, vote to send after it: (key, vote, reason) or None)
    ("my eye doctor says my iop is a bit high", ("iop_eye", "up", None)),
    ("what is iop", None),  # the remembered sense answers: the vote must not have changed it
    ("how long does intensive outpatient treatment last", ("iop_duration", "down", "too_long")),
    ("and for teens?", ("iop_duration", "up", None)),  # a follow-up read against the topic slot
    ("is there an online version of the program", ("iop_duration", "down", "wrong")),
    ("1", None),  # a number picks an offered button, even after a vote
    ("what is iop", None),
]


def slots_of(events: list[dict[str, Any]]) -> dict[str, Any]:
    slots: dict[str, Any] = {}
    for event in events:
        if event["event"] == "slot":
            slots[event["name"]] = event["value"]
    return slots


def test_a_vote_changes_no_reply_and_no_slot(client, assistant):
    with_votes, without = f"votes-{uuid.uuid4().hex[:8]}", f"plain-{uuid.uuid4().hex[:8]}"
    db = assistant.settings.tracker_db
    replies: dict[str, list[Any]] = {with_votes: [], without: []}
    slots: dict[str, list[dict[str, Any]]] = {with_votes: [], without: []}
    for text, vote in SCRIPT:
        for sender in (with_votes, without):
            reply = client.say(sender, text)
            replies[sender].append([(m.get("response"), m.get("text"), m.get("buttons")) for m in reply.messages])
            slots[sender].append(slots_of(stored_events(db, f"rest:{sender}")))
        if vote:
            assert vote[0] in feedback.answered_keys(stored_events(db, f"rest:{with_votes}")), replies[with_votes]
            assert client.say(with_votes, feedback.vote_payload(*vote)).messages == [], "a vote gets no reply"
    assert replies[with_votes] == replies[without]
    assert slots[with_votes] == slots[without]
    events = stored_events(db, f"rest:{with_votes}")
    votes = [i for i, e in enumerate(events) if feedback.is_vote(e)]
    assert [feedback.vote_of(events[i]) for i in votes] == [feedback.Vote(*v) for _, v in SCRIPT if v]
    for i in votes:  # nothing but Rasa's bookkeeping and action_listen follows a vote
        after = next(j for j in range(i + 1, len(events)) if events[j]["event"] == "user")
        assert {e["event"] for e in events[i + 1:after]} <= {"user_featurization", "action"}
        assert [e["name"] for e in events[i + 1:after] if e["event"] == "action"] == ["action_listen"]


def test_a_vote_on_an_answer_not_given_is_not_a_vote(client, assistant, sender):
    client.say(sender, "how much does intensive outpatient cost")
    client.say(sender, feedback.vote_payload("billing_codes", "down"))
    events = stored_events(assistant.settings.tracker_db, f"rest:{sender}")
    assert not any(feedback.is_vote(e) for e in events)
    last = [e for e in events if e["event"] == "user"][-1]
    assert last["text"] == 'feedback{"answer_key": "billing_codes", "vote": "down"}', "plain text, like any '/...'"


def test_web_chat_sends_answer_keys_stores_votes_and_shows_them_again(assistant):
    from tests.test_webchat import Visitor

    async def scenario():
        visitor = Visitor(assistant.url)
        visitor.sio.on("feedback_saved", visitor._collector("feedback_saved"))
        session = await visitor.connect()
        name, greeting = await visitor.next()
        assert greeting["answer_key"] == "greet" and "feedback" not in greeting, "greetings are not rated"
        name, reply = await visitor.say(session, "how much does intensive outpatient cost")
        assert (reply["answer_key"], reply["feedback"]) == ("iop_cost", True)
        await visitor.sio.emit("user_uttered", {"message": feedback.vote_payload("iop_cost", "down", "incomplete"),
                                                "session_id": session})
        name, saved = await visitor.next()
        assert (name, saved) == ("feedback_saved", {"answer_key": "iop_cost", "vote": "down", "reason": "incomplete"})
        events = stored_events(assistant.settings.tracker_db, f"web:{session}")
        assert [feedback.vote_of(e) for e in events if feedback.is_vote(e)] == [
            feedback.Vote("iop_cost", "down", "incomplete")]
        await visitor.sio.disconnect()

        again = Visitor(assistant.url)
        await again.connect(session)
        name, history = await again.next()
        rated = [m for m in history["messages"] if m.get("answer_key") == "iop_cost"]
        assert name == "history" and rated[0]["vote"] == {"vote": "down", "reason": "incomplete"}
        assert rated[0]["feedback"] is True and rated[0]["response"] == "utter_faq/iop_cost"
        assert not any(m["text"].startswith("/feedback") for m in history["messages"]), "votes are not shown as text"
        await again.sio.disconnect()

    asyncio.run(scenario())


def test_shell_good_and_bad_rate_the_last_answer(assistant):
    script = "/good\nhow much does intensive outpatient cost\n/bad too long\nquit\n"
    done = subprocess.run([sys.executable, "-m", "bot", "shell", "--url", assistant.url], input=script,
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "(no answer to rate yet" in done.stdout
    assert "(vote recorded: down, too long for iop_cost)" in done.stdout
    import sqlite3

    with sqlite3.connect(assistant.settings.tracker_db) as conn:
        rows = conn.execute("SELECT data FROM events WHERE sender_id LIKE 'rest:staff-%' AND intent_name = 'feedback'"
                            ).fetchall()
    votes = [feedback.vote_of(json.loads(row[0])) for row in rows]
    assert feedback.Vote("iop_cost", "down", "too_long") in votes
