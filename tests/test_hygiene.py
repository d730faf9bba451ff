"""Input hygiene (bot/channels/hygiene.py): what of a visitor's text reaches Rasa."""
from __future__ import annotations

import pytest
from rasa.shared.core.events import BotUttered, UserUttered

from bot.channels import hygiene

SENSE_BUTTONS = [
    {"title": "Treatment program", "payload": '/choose_sense{"iop_sense": "treatment"}'},
    {"title": "Eye pressure", "payload": '/choose_sense{"iop_sense": "eye"}'},
    {"title": "Stock IPO", "payload": '/choose_sense{"iop_sense": "stock"}'},
]


@pytest.mark.parametrize(
    ("raw", "offered", "expected"),
    [
        ("", [], hygiene.EMPTY),
        ("   \n\t ", [], hygiene.EMPTY),
        ("\u200b\u200d\ufeff", [], hygiene.EMPTY),
        ("\x00\x07\x1b", [], hygiene.EMPTY),
        (None, [], hygiene.EMPTY),
        (42, [], hygiene.EMPTY),
        ("x" * 1001, [], hygiene.TOO_LONG),
        ("x" * 100_000, [], hygiene.TOO_LONG),
        ("x" * 1000, [], "x" * 1000),
        ("how long   does\nIOP last", [], "how long does IOP last"),
        ("what\u200b is IOP", [], "what is IOP"),
        ("2", SENSE_BUTTONS, SENSE_BUTTONS[1]["payload"]),
        (" 3 ", SENSE_BUTTONS, SENSE_BUTTONS[2]["payload"]),
        ("4", SENSE_BUTTONS, "4"),
        ("2", [], "2"),
        ("eye pressure", SENSE_BUTTONS, SENSE_BUTTONS[1]["payload"]),
        (SENSE_BUTTONS[0]["payload"], SENSE_BUTTONS, SENSE_BUTTONS[0]["payload"]),
        # a payload the bot did not offer is plain text
        ('/choose_sense{"iop_sense": "eye"}', [], 'choose_sense{"iop_sense": "eye"}'),
        ("/restart", SENSE_BUTTONS, "restart"),
        ("/nlu_fallback", [], "nlu_fallback"),
        ("//", [], hygiene.EMPTY),
        ("<script>alert(1)</script>", [], "<script>alert(1)</script>"),
        ("{{7*7}} {name}", [], "{{7*7}} {name}"),
        ("مرحبا، ما هو IOP؟", [], "مرحبا، ما هو IOP؟"),
        ("\U0001F600\U0001F600", [], "\U0001F600\U0001F600"),
    ],
)
def test_prepare(raw, offered, expected):
    assert hygiene.prepare(raw, offered, max_chars=1000) == expected


def test_offered_buttons_are_only_those_of_the_last_turn():
    events = [
        BotUttered("old", {"buttons": [{"title": "Old", "payload": "/old"}]}),
        UserUttered("what is iop"),
        BotUttered("Which one?", {"buttons": SENSE_BUTTONS}),
    ]
    assert hygiene.offered_buttons(events) == SENSE_BUTTONS
    assert hygiene.offered_buttons([*events, UserUttered("2")]) == []
    assert hygiene.offered_buttons([]) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('/feedback{"answer_key": "iop_cost", "vote": "up"}', {"answer_key": "iop_cost", "vote": "up"}),
        ('/feedback{"vote": "down", "answer_key": "iop_cost"}', {"answer_key": "iop_cost", "vote": "down"}),
        ('/feedback{"answer_key": "iop_cost", "vote": "down", "reason": "too_long"}',
         {"answer_key": "iop_cost", "vote": "down", "reason": "too_long"}),
        # a reason only goes with a thumbs down, and only a known one
        ('/feedback{"answer_key": "iop_cost", "vote": "up", "reason": "wrong"}',
         {"answer_key": "iop_cost", "vote": "up"}),
        ('/feedback{"answer_key": "iop_cost", "vote": "down", "reason": "<b>bad</b>"}',
         {"answer_key": "iop_cost", "vote": "down"}),
        # nothing else rides along: extra fields (a slot, an entity) are dropped
        ('/feedback{"answer_key": "iop_cost", "vote": "up", "iop_sense": "eye", "topic": "x"}',
         {"answer_key": "iop_cost", "vote": "up"}),
        ('/feedback{"answer_key": "iop_cost", "vote": "sideways"}', None),
        ('/feedback{"answer_key": "iop_cost"}', None),
        ('/feedback{"answer_key": "utter_faq/iop_cost", "vote": "up"}', None),
        ('/feedback{"answer_key": "<img src=x onerror=alert(1)>", "vote": "up"}', None),
        ('/feedback{"answer_key": "Iop_Cost", "vote": "up"}', None),
        ('/feedback{"answer_key": ["iop_cost"], "vote": "up"}', None),
        ('/feedback{"answer_key": "' + "a" * 80 + '", "vote": "up"}', None),
        ('/feedback["iop_cost", "up"]', None),
        ('/feedback{"answer_key": "iop_cost", "vote": "up"', None),
        ('/feedback{"answer_key": "iop_cost", "vote": "up"} and more', None),
        ("/feedback", None),
        ('feedback{"answer_key": "iop_cost", "vote": "up"}', None),
    ],
)
def test_feedback_payload(text, expected):
    import json

    rebuilt = hygiene.feedback_payload(text)
    assert (json.loads(rebuilt.removeprefix("/feedback")) if rebuilt else None) == expected
    if rebuilt:
        assert hygiene.feedback_payload(rebuilt) == rebuilt, "canonical: rebuilding it changes nothing"


def test_a_vote_is_taken_only_on_an_answer_given_in_the_conversation():
    vote = '/feedback{"answer_key": "iop_cost", "vote": "down", "reason": "wrong"}'
    assert hygiene.prepare(vote, [], 1000, answered={"iop_cost"}) == vote
    # any other vote is plain text, like every "/..." text that is not an offered payload
    assert hygiene.prepare(vote, [], 1000, answered={"iop_duration"}) == vote.lstrip("/")
    assert hygiene.prepare(vote, [], 1000, answered=set()) == vote.lstrip("/")
    html = '/feedback{"answer_key": "iop_cost", "vote": "up", "reason": "<script>x</script>"}'
    assert hygiene.prepare(html, [], 1000, answered={"iop_cost"}) == '/feedback{"answer_key": "iop_cost", "vote": "up"}'
    oversize = '/feedback{"answer_key": "iop_cost", "vote": "up", "pad": "' + "x" * 5000 + '"}'
    assert hygiene.prepare(oversize, [], 1000, answered={"iop_cost"}) == hygiene.TOO_LONG


def test_a_vote_is_not_a_turn_for_the_offered_buttons():
    vote = UserUttered('/feedback{"answer_key": "iop_cost", "vote": "up"}',
                       intent={"name": "feedback", "confidence": 1.0},
                       entities=[{"entity": "answer_key", "value": "iop_cost"}, {"entity": "vote", "value": "up"}])
    events = [UserUttered("what is iop"), BotUttered("Which one?", {"buttons": SENSE_BUTTONS}), vote]
    assert hygiene.offered_buttons(events) == SENSE_BUTTONS
    assert hygiene.prepare("2", hygiene.offered_buttons(events), 1000) == SENSE_BUTTONS[1]["payload"]
