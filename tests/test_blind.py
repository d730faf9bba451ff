"""The blind set (tests/data/blind/): fresh visitor messages and conversations, written by someone
who never saw the training data, answered by the live assistant.

Figures are printed at the end of the run. Each floor sits just under the figure reached when it
was set, so a change that makes the assistant worse cannot land; raise them as it improves.
Thresholds are chosen on tests/data/dev/, never here.
"""
from __future__ import annotations

import pytest
import yaml

from bench.evaluate import Scores, answer_keys, score_conversations, score_messages
from tests.helpers import DATA, report

BLIND = DATA / "blind"
# Reached on 2026-12-08 (help read in context, clause readings, facility and medicine cues, eye readings,
# two-question first parts without a question word): singles 0.958 (everyday 0.962, uncovered 0.946,
# senses 1.000, medical 1.000, two questions 0.889), conversations 0.764 (follow-ups 23/36, sense memory
# 8/8, topic switches 11/11); uncovered given an FAQ answer 1/93; wrong-sense 0. Before (2026-12-07):
# singles 0.947 (everyday 0.958, uncovered 0.935, medical 0.969, two questions 0.844), conversations
# 0.727. The floors keep a few messages of margin (CI retrains from scratch). The targets
# (0.97 / 0.95) are not met.
FLOORS = {
    "everyday": 0.94,
    "uncovered": 0.92,
    "senses": 0.98,
    "medical": 0.95,
    "two_questions": 0.84,
    "single messages": 0.94,
    "conversations": 0.72,
}
# share of uncovered questions given some FAQ answer (reached: 1/93; 5/93 before the coverage check)
MAX_UNCOVERED_WITH_FAQ_ANSWER = 0.025
MAX_WRONG_SENSE = 0  # reached: 0 (2 before a company named next to "iop" was a stock cue)

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def scores(client) -> Scores:
    def say(sender: str, text: str) -> list[str]:
        return answer_keys(client.say(sender, text).messages)

    messages = yaml.safe_load((BLIND / "en_messages.yml").read_text(encoding="utf-8"))
    conversations = yaml.safe_load((BLIND / "en_conversations.yml").read_text(encoding="utf-8"))
    assert sum(len(v) for v in messages.values()) >= 400 and len(conversations) >= 40
    result = score_conversations(conversations, say, score_messages(messages, say))
    for line in result.lines():
        report("blind set (English)", line)
    uncovered = len(result.groups["uncovered"])
    report("blind set (English)", f"uncovered given an FAQ answer: {len(result.uncovered_faq)} of {uncovered}; "
                                  f"wrong-sense answers: {len(result.wrong_sense)}")
    for miss in result.misses:
        report("blind set misses", miss)
    return result


@pytest.mark.parametrize("group", sorted(FLOORS))
def test_group_stays_above_its_floor(scores, group):
    assert scores.rate(group) >= FLOORS[group], f"{group}: {scores.rate(group):.3f} < floor {FLOORS[group]}"


def test_uncovered_questions_are_rarely_given_an_faq_answer(scores):
    share = len(scores.uncovered_faq) / len(scores.groups["uncovered"])
    assert share <= MAX_UNCOVERED_WITH_FAQ_ANSWER, scores.uncovered_faq


def test_wrong_sense_answers_stay_at_the_floor(scores):
    assert len(scores.wrong_sense) <= MAX_WRONG_SENSE, scores.wrong_sense
