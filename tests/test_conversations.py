"""Conversations against the live assistant: the answer key of every reply."""
from __future__ import annotations

import json

import pytest
import yaml

from tests.helpers import DATA

CONVERSATIONS = yaml.safe_load((DATA / "conversations.yml").read_text())
pytestmark = pytest.mark.live


def _matches(got: list[str | None], expected: list[str]) -> bool:
    """ "*" is any answer; "a|b" is either (e.g. the eye answer or the medical-advice boundary)."""
    if len(got) != len(expected):
        return False
    return all(e == "*" and g or g in e.split("|") for g, e in zip(got, expected, strict=True))


@pytest.mark.parametrize("conversation", CONVERSATIONS, ids=[c["name"] for c in CONVERSATIONS])
def test_conversation(client, sender, conversation):
    last = None
    for number, turn in enumerate(conversation["turns"], 1):
        if "click" in turn:
            text = last.buttons[turn["click"] - 1]["payload"]
        else:
            text = "very long message " * 100 if turn["user"] == "LONG" else turn["user"]
        last = client.say(sender, text)
        assert _matches(last.keys, turn["bot"]), f"turn {number} ({text[:60]!r}): got {last.keys}"
        assert all(m.get("text") for m in last.messages), "every reply has text"


# Fragments mixing two topics; at least one of them is unsure with any reasonable model.
AMBIGUOUS = ["detox php", "the group and the plan", "school and insurance", "program money plan", "iop php weeks",
             "insurance therapy family", "cost group plan", "week family program", "group or individual",
             "group money", "sober plan"]  # word salads: which ones stay unclear moves with each retrain


def test_did_you_mean_then_choice(client, sender):
    """An unclear message gets choices by title; a typed number picks one and that answer comes."""
    replies = [client.say(f"{sender}-{i}", text) for i, text in enumerate(AMBIGUOUS)]
    offers = [(i, r) for i, r in enumerate(replies) if r.keys == ["did_you_mean"]]
    assert offers, [r.keys for r in replies]
    index, reply = offers[0]
    sender = f"{sender}-{index}"
    buttons = reply.buttons
    assert 2 <= len(buttons) <= 3
    assert all(b["payload"].startswith('/choose_answer{"answer_key": ') for b in buttons)
    assert all("_" not in b["title"] for b in buttons), "titles are human words, not keys"
    payload = buttons[1]["payload"]
    chosen = json.loads(payload[payload.index("{"):])["answer_key"]
    assert client.say(sender, "2").keys == [chosen]


def test_repeated_misunderstanding_asks_to_rephrase_then_offers_a_person(client, sender):
    keys = [client.say(sender, text).keys for text in ("zxq wvvk plorf", "qqq blorp znarf", "vlomp trrk gzzt")]
    assert keys[0] in (["did_you_mean"], ["ask_rephrase"])
    assert keys[1] == ["ask_rephrase"]
    assert keys[2] == ["ask_rephrase", "human_handoff"]
    assert client.say(sender, "mmmph krrrz").keys in (["did_you_mean"], ["ask_rephrase"]), "not a handoff again"


def test_every_answer_key_is_reachable(client):
    """Each FAQ key is answered for a plain question of its own (covers every key)."""
    from bot.content import faq_keys, load

    content = load()
    missing = []
    for key in faq_keys():
        reply = client.say(f"reach-{key}", content.phrasings[key][0])
        if reply.key not in {key, "ask_iop_sense"}:
            missing.append((key, reply.keys))
    assert not missing


def test_a_typed_payload_that_was_not_offered_is_plain_text(client, sender):
    for text in ('/choose_answer{"answer_key": "billing_codes"}', "/restart", '/greet{"iop_sense": "stock"}'):
        assert client.say(sender, text).key not in {"billing_codes", "greet", None}


def test_rest_errors_are_clear(client):
    assert client.post({"message": "hi"}).status == 400
    assert client.post({"sender": "", "message": "hi"}).status == 400
    assert client.post({"sender": "x" * 500, "message": "hi"}).status == 400
    assert client.post({"sender": "a", "message": {"x": 1}}).status == 400
    assert client.post("not json").status == 400
    assert client.post("[1, 2]").status == 400
    assert client.post(b"x" * 200_000).status == 413


def test_recipient_id_is_what_the_caller_sent(client, sender):
    reply = client.say(sender, "hello")
    assert {m["recipient_id"] for m in reply.messages} == {sender}


def test_message_text_is_not_logged(assistant, client, sender):
    marker = f"zebra{sender[-6:]}quartz"
    client.say(sender, f"my name is {marker} and my number is 555-0199, how long is IOP")
    logs = " ".join(p.read_text(errors="replace") for p in assistant.log_dir.glob("*.log"))
    assert marker not in logs and "555-0199" not in logs


@pytest.mark.parametrize(
    "text",
    ["\U0001F600\U0001F64F\U0001F600", "\u0645\u0627 \u0647\u0648 \u0627\u0644\u0639\u0644\u0627\u062c\u061f",
     "a" * 900, "{{7*7}} ${7*7} {facility_name} {name}", "<b>hi</b><script>alert(1)</script>",
     "\u202eevil\u202c text", "**bold** _x_ [link](http://example.com)"],
)
def test_odd_input_gets_a_named_reply(client, sender, text):
    reply = client.say(sender, text)
    assert reply.messages and all(m.get("response") for m in reply.messages)
    assert not any("49" in m["text"] for m in reply.messages), "templates are never evaluated"


def test_crisis_wins_after_a_did_you_mean_offer(client, sender):
    first = client.say(sender, "zxq wvvk plorf")
    assert first.key in {"did_you_mean", "ask_rephrase"}
    assert client.say(sender, "honestly i just want to die").keys == ["crisis"]


def test_flooding_one_conversation_gets_429_and_others_are_unaffected(client, sender, assistant):
    statuses = [client.post({"sender": sender, "message": f"hi {i}"}).status
                for i in range(assistant.settings.messages_per_minute_per_conversation + 2)]
    assert statuses.count(429) >= 1 and statuses[0] == 200
    assert client.say(f"{sender}-other", "hello").keys == ["greet"]
