"""The deterministic crisis check (bot/nlu/safety_guard.py): recall first, then precision."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from bot.content import faq_keys
from bot.nlu import safety_guard as safety
from bot.nlu.safety_guard import AT_RISK, MENTION, assess, normalise
from tests.helpers import report

DATA = Path(__file__).parent / "data"
TREATMENT_KEYS = set(faq_keys())  # the treatment answers, read from the data


def _lines(name: str) -> list[str]:
    text = (DATA / name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _misses(texts: list[str], wanted: set[str | None]) -> list[str]:
    misses = [f"{safety.reason(t)} {t!r}" for t in texts if assess(t) not in wanted]
    print("\n".join(misses))
    return misses


AT_RISK_LINES = _lines("crisis_at_risk.txt")
ORDINARY_LINES = _lines("crisis_ordinary.txt")
MENTIONS = yaml.safe_load((DATA / "crisis_mentions.yml").read_text(encoding="utf-8"))


# --- the data files -----------------------------------------------------------

def test_every_at_risk_message_is_at_risk():
    assert len(AT_RISK_LINES) >= 130
    assert len(set(AT_RISK_LINES)) == len(AT_RISK_LINES), "duplicate lines"
    assert not _misses(AT_RISK_LINES, {AT_RISK})


def test_every_topic_question_is_a_mention():
    assert len(MENTIONS) >= 45
    assert not _misses([m["text"] for m in MENTIONS], {MENTION})


def test_topic_questions_name_a_treatment_answer():
    unknown = [m for m in MENTIONS if m["key"] not in TREATMENT_KEYS]
    assert not unknown


def test_no_ordinary_message_is_at_risk():
    assert len(ORDINARY_LINES) >= 120
    assert not _misses(ORDINARY_LINES, {None, MENTION})


def test_heldout_phrasings_are_never_at_risk():
    path = DATA / "heldout.yml"
    phrasings = [t for texts in yaml.safe_load(path.read_text(encoding="utf-8")).values()
                 for t in texts]
    assert not _misses(phrasings, {None, MENTION})


def _pattern_literals() -> list[str]:
    """Patterns (or top-level alternatives) that are plain words, not regex."""
    lexicon = yaml.safe_load(safety.LEXICON_PATH.read_text(encoding="utf-8"))
    patterns = [p for group in lexicon["at_risk"].values() for p in group]
    return [alt for p in patterns for alt in p.split("|")
            if re.fullmatch(r"[a-z' -]+", alt) and " " in alt.strip()]


def test_at_risk_lines_are_not_copies_of_patterns():
    literals = _pattern_literals()
    assert literals, "no plain-word patterns found: update _pattern_literals"
    copies = [(line, lit) for line in map(normalise, AT_RISK_LINES) for lit in literals
              if fuzz.ratio(line, lit) >= 90]
    assert not copies


# --- tables -------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "i wanna die",
    "im gonna kms",
    "gonna kms rn",
    "i might just kys tonight",
    "ima unalive myself",
    "cant do this no more, i wanna sleep 4ever",
    "u would all b better off without me",
    "thinkin bout sewerslide",
    "i wanna ctb",
    "dont wanna wake up tmrw",
])
def test_text_speak_is_at_risk(text):
    assert assess(text) == AT_RISK


@pytest.mark.parametrize("text", [
    "i feel suicidle",
    "thinking about sucide",
    "i want to kil myself",
    "gonna hurt myslef",
    "i took an overdoce",
    "my friend overdossed",
    "he isnt breating",
    "she is unconsious",
    "i think hes having a seizur",
    "im siucidal",
])
def test_misspellings_are_at_risk(text):
    assert assess(text) == AT_RISK


@pytest.mark.parametrize("text", [
    "i want to k\u200bill myself",          # zero-width space
    "i want to di\u200de",                   # zero-width joiner
    "\ufeffkms",                             # byte-order mark
    "ｉ ｗａｎｔ ｔｏ ｄｉｅ",                     # fullwidth letters
    "𝐢 𝐰𝐚𝐧𝐭 𝐭𝐨 𝐝𝐢𝐞",                         # mathematical bold
    "i want to kïll myself",                 # diacritic
    "I’m going to end it all",               # curly apostrophe
    "I WANT TO DIIIIIE",
    "su1c1dal thoughts again",
    "k.m.s",
])
def test_hidden_or_styled_characters_are_at_risk(text):
    assert assess(text) == AT_RISK


@pytest.mark.parametrize("text, expected", [
    ("i attempted suicide two years ago, can iop help me now?", MENTION),
    ("i attempted suicide two years ago and i still think about it", AT_RISK),
    ("i used to cut in college, is that something iop works on", MENTION),
    ("i used to cut and i did it again tonight", AT_RISK),
    ("my brother overdosed last year, is there a family group", MENTION),
    ("my brother just overdosed", AT_RISK),
    ("i'm suicidal, does iop help?", AT_RISK),
    ("does iop help people with suicidal thoughts", MENTION),
    ("what if someone overdoses during group", MENTION),
])
def test_past_and_general_versus_now(text, expected):
    assert assess(text) == expected


@pytest.mark.parametrize("text", [
    "this program is killing my budget",
    "i'm dying to know the cost",
    "my dead phone won't charge, can you email me",
    "how do i kill time between groups",
    "i have an overdue bill, can i still enroll",
    "shot",
    "do i need a flu shot first",
    "my feelings got hurt in group",
    "i'm overcoming my drinking, is outpatient enough",
    "i keep overdoing it at the gym",
    "i'm cutting back on weed",
    "i want to take my life back",
    "goodbye",
    "",
    "   ",
])
def test_near_misses_are_not_at_risk(text):
    assert assess(text) != AT_RISK


@pytest.mark.parametrize("raw, normal", [
    ("Im  SO tired", "i'm so tired"),
    ("i cant, u know", "i can't you know"),
    ("wanna go", "want to go"),
    ("diiiie", "die"),
    ("a\u200bb\u00adc", "abc"),
    ("ＩＯＰ", "iop"),
])
def test_normalise(raw, normal):
    assert normalise(raw) == normal




# --- properties ----------------------------------------------------------------

_CRISIS_BITS = st.sampled_from([
    "i", "i'm", "want", "to", "die", "kill", "myself", "kms", "od", "overdosed", "not",
    "breathing", "suicide", "iop", "cost", "?", "'", "-", "\u200b", "ｋ", "9", "@",
])


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.one_of(st.text(), st.lists(_CRISIS_BITS, max_size=25).map(" ".join)))
def test_assess_never_raises_and_answers_one_of_three(text):
    assert assess(text) in (AT_RISK, MENTION, None)


# --- blind sets (tests/data/blind/): written by someone who never saw the lexicon ---------
# The lexicons were tuned on tests/data/dev/ only; where a blind case failed, the cause was
# fixed in general (the commits say which cases).
BLIND = DATA / "blind"


@pytest.mark.parametrize(("language", "max_false_alarms"), [("en", 0.01), ("es", 0.02)])
def test_blind_at_risk_messages_are_all_recognised(language, max_false_alarms):
    at_risk = _lines(f"blind/{language}_crisis_at_risk.txt")
    ordinary = _lines(f"blind/{language}_crisis_ordinary.txt")
    assert len(at_risk) >= 120 and len(ordinary) >= (400 if language == "en" else 300)
    misses = _misses(at_risk, {AT_RISK})
    false_alarms = [t for t in ordinary if assess(t) == AT_RISK]
    caught = len(at_risk) - len(misses)
    report_line = (f"{language}: recall {caught / len(at_risk):.3f} ({caught}/{len(at_risk)}), "
                   f"false alarms {len(false_alarms) / len(ordinary):.2%} ({len(false_alarms)}/{len(ordinary)})")
    report("crisis lexicon on the blind sets", report_line)
    assert not misses
    assert len(false_alarms) / len(ordinary) <= max_false_alarms, false_alarms


def test_spanish_questions_that_only_mention_a_risk_are_not_a_crisis():
    mentions = _lines("blind/es_crisis_mentions.txt")
    assert len(mentions) >= 40
    verdicts = [assess(t) for t in mentions]
    assert AT_RISK not in verdicts, [t for t, v in zip(mentions, verdicts, strict=False) if v == AT_RISK]
    assert verdicts.count(MENTION) / len(mentions) >= 0.8  # the answer then carries the resources line


@pytest.mark.parametrize(("text", "language"), [
    ("quiero morir", "es"),
    ("tomé demasiadas pastillas", "es"),
    ("no quiero vivir más", "es"),
    ("KIERO MATARME", "es"),
    ("me kiero suisidar", "es"),
    ("i want to kill myself", "en"),
    ("hola, necesito info pero la verdad ya no quiero vivir", "es"),
])
def test_the_language_of_the_risk_is_known(text, language):
    assert safety.language_of_risk(text) == language


@pytest.mark.parametrize("text", [
    "cuánto cuesta el programa", "¿hablan español?", "me muero de hambre", "este horario me mata",
    "me corté el pelo ayer", "mi papá murió hace años de una sobredosis, ¿ayudan a las familias?",
])
def test_ordinary_spanish_is_not_at_risk(text):
    assert assess(text) != AT_RISK
