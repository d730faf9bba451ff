"""The Spanish blind set (tests/data/blind/es_*.yml): fresh Spanish visitor messages and
conversations, written by someone who never saw the training data, answered by the live assistant.

Besides the answer keys, each reply's language is checked: a Spanish message gets its answer in
Spanish and an English turn (``lang: en``) in English. The reply's language is read from the reply
text itself with the same detector the assistant uses, so this measures what the visitor sees.
Floors sit just under the figures reached when they were set; thresholds are chosen on
tests/data/dev/, never here.
"""
from __future__ import annotations

import threading

import pytest
import yaml

from bench.evaluate import Scores, answer_keys, score_conversations, score_messages
from bot.nlu.language import detect
from tests.helpers import DATA, report

BLIND = DATA / "blind"
# Reached on 2026-12-08: single messages 0.857 (everyday 0.849, uncovered 0.883, senses 0.977, medical
# 0.857, two questions 0.677 with min_probability_es 0.4), conversations 0.720 (18/25). Before
# (2026-12-07): 0.821 (two questions 0.452) and 0.680. (Earlier models reached 0.714 to 0.804 singles and
# 0.48 to 0.60 conversations: Spanish figures move by a few points from one retrain to the next, so the
# floors keep that margin.) The targets are 0.93 / 0.90 / 0.98: the first two are not met.
FLOORS = {
    "single messages": 0.83,
    "conversations": 0.60,
}
MIN_LANGUAGE_RIGHT = 0.97



def reply_language(messages: list[dict]) -> str | None:
    """The language a reply is written in (None when it has no words to tell)."""
    text = " ".join(m.get("text") or "" for m in messages)
    return detect(text, min_confidence=0.5, min_words=3, switches=False)


def expected_languages(messages: dict, conversations: list[dict]) -> dict[str, str]:
    wanted = {item["text"]: item.get("lang", "es") for items in messages.values() for item in items}
    for conversation in conversations:
        for turn in conversation["turns"]:
            wanted[turn["user"]] = turn.get("lang", "es")
    return wanted


@pytest.fixture(scope="module")
def scores(client) -> tuple[Scores, list[tuple[str, str, str | None]]]:
    messages = yaml.safe_load((BLIND / "es_messages.yml").read_text(encoding="utf-8"))
    conversations = yaml.safe_load((BLIND / "es_conversations.yml").read_text(encoding="utf-8"))
    assert sum(len(v) for v in messages.values()) >= 200 and len(conversations) >= 15
    wanted = expected_languages(messages, conversations)
    languages: list[tuple[str, str, str | None]] = []
    lock = threading.Lock()

    def say(sender: str, text: str) -> list[str]:
        reply = client.say(sender, text).messages
        with lock:
            languages.append((text, wanted.get(text, "es"), reply_language(reply)))
        return answer_keys(reply)

    result = score_conversations(conversations, say, score_messages(messages, say))
    for line in result.lines():
        report("blind set (Spanish)", line)
    right = sum(1 for _, want, got in languages if got == want)
    report("blind set (Spanish)", f"replies in the visitor's language: {right / len(languages):.3f} "
                                  f"({right}/{len(languages)}); wrong-sense answers: {len(result.wrong_sense)}")
    for miss in result.misses:
        report("blind set misses (Spanish)", miss)
    for text, want, got in languages:
        if got != want:
            report("blind set language misses (Spanish)", f"wanted {want}, got {got}: {text}")
    return result, languages


@pytest.mark.parametrize("group", sorted(FLOORS))
def test_spanish_group_stays_above_its_floor(scores, group):
    result, _ = scores
    assert result.rate(group) >= FLOORS[group], f"{group}: {result.rate(group):.3f} < floor {FLOORS[group]}"


def test_replies_come_in_the_visitors_language(scores):
    _, languages = scores
    right = sum(1 for _, want, got in languages if got == want)
    assert right / len(languages) >= MIN_LANGUAGE_RIGHT


def test_reply_language_is_read_from_the_text():
    assert reply_language([{"text": "Un programa ambulatorio intensivo es un tratamiento de varias horas."}]) == "es"
    assert reply_language([{"text": "An intensive outpatient program is a few hours of treatment a day."}]) == "en"
    assert reply_language([{"text": "988"}]) is None
    # a Spanish answer that names the English acronym is still Spanish
    assert reply_language([{"text": "IOP son las siglas en inglés de programa intensivo ambulatorio."}]) == "es"


@pytest.mark.parametrize(("text", "language"), [
    ("in English please", "en"), ("me puedes contestar en inglés por favor", "en"), ("hablas inglés?", "en"),
    ("en español por favor", "es"), ("do you speak spanish", "es"),
    ("qué significa IOP en inglés? no entiendo las siglas", "es"),  # asks about English, not for it
])
def test_a_visitor_asking_for_a_language_switches_but_naming_one_does_not(text, language):
    assert detect(text) == language
