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
