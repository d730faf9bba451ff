"""Deterministic crisis check: is a visitor at risk now, or only asking about a risk topic?

Recall comes first: a false alarm costs one extra message with helpline
numbers, a miss can cost a life. The words live in data/safety_lexicon.yml
(explained at its top) so staff can extend them without touching code.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import yaml
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

AT_RISK = "at_risk"
MENTION = "mention"
LEXICON_PATH = Path(__file__).parent / "data" / "safety_lexicon.yml"

_APOSTROPHES = re.compile("[\u2018\u2019\u201b\u02bc\u2032\u00b4`]")
# "k.m.s" and "o.d." are typed to dodge filters; join dotted single letters.
_DOTTED = re.compile(r"(?<![a-z])([a-z])\.(?=[a-z](?![a-z]))")
# Leetspeak inside words: "su1c1de", "k!ll". Digits only in words with 2+ letters
# so times and codes ("3pm", "24/7") stay as they are.
_LEET_WORD = re.compile(r"[a-z0-9@$!|*]*[a-z][a-z0-9@$!|*]*")
_LEET_DIGITS = str.maketrans({"0": "o", "1": "i", "3": "e", "@": "a", "$": "s"})
_LEET_INNER = re.compile(r"(?<=[a-z])[!|*](?=[a-z])")
_LETTER_RUN = re.compile(r"([a-z])\1{2,}")
_PUNCTUATION = re.compile(r"[^\w\s'-]|_")
_LOOSE_MARKS = re.compile(r"(?<![\w])['-]+|['-]+(?![\w])")
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"(?<![\w'])[a-z]{5,}(?![\w'])")
_MACRO = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class _Lexicon:
    text_speak: list[tuple[re.Pattern[str], str]]
    fuzzy_words: dict[str, list[str]]  # by first letter: typos rarely change it
    never_correct: frozenset[str]
    not_crisis: re.Pattern[str]
    at_risk: dict[str, re.Pattern[str]]
    past_events: re.Pattern[str]
    past: re.Pattern[str]
    now: re.Pattern[str]
    risk_words: re.Pattern[str]
    about_treatment: re.Pattern[str]
    mention: re.Pattern[str]


def assess(text: str) -> str | None:
    """AT_RISK, MENTION or None for one visitor message."""
    return reason(text)[0]


def reason(text: str) -> tuple[str | None, str | None]:
    """The assessment and the lexicon group that decided it (for logs and tests)."""
    found: tuple[str | None, str | None] = (None, None)
    for variant in _variants(text):
        level, group = _classify(variant)
        if level == AT_RISK:
            return level, group
        if level == MENTION:
            found = (level, group)
    return found


def lexicon_fingerprint() -> str:
    """sha256 of the lexicon file, so a Rasa component retrains when it changes."""
    return hashlib.sha256(LEXICON_PATH.read_bytes()).hexdigest()


def normalise(text: str, keep_doubles: bool = False) -> str:
    """The text patterns are written against (see the top of the lexicon file)."""
    lex = _lexicon()
    text = _fold_unicode(text)
    text = _DOTTED.sub(r"\1", text)
    text = _LEET_WORD.sub(_unleet, text)
    # "diiiie" -> "die", but "sleeeep" needs two letters: callers try both.
    text = _LETTER_RUN.sub(r"\1\1" if keep_doubles else r"\1", text)
    for pattern, replacement in lex.text_speak:
        text = pattern.sub(replacement, text)
    text = _PUNCTUATION.sub(" ", text)
    text = _LOOSE_MARKS.sub(" ", text)
    text = _WORD.sub(lambda m: _correct(m.group(0)), text)
    return _SPACES.sub(" ", text).strip()


def _variants(text: str) -> list[str]:
    return list(dict.fromkeys(normalise(text, keep) for keep in (False, True)))


def _classify(text: str) -> tuple[str | None, str | None]:
    lex = _lexicon()
    text = lex.not_crisis.sub(" . ", text)
    risk_text = text
    past_event = lex.past_events.search(text) is not None
    if past_event:
        if lex.past.search(text) and not lex.now.search(text):
            risk_text = lex.past_events.sub(" . ", text)
        else:
            return AT_RISK, "past_events"
    for group, pattern in lex.at_risk.items():
        if pattern.search(risk_text):
            return AT_RISK, group
    # Someone in crisis rarely asks about the program in the same breath.
    if lex.risk_words.search(risk_text) and not lex.about_treatment.search(text):
        return AT_RISK, "risk_words"
    if past_event or lex.mention.search(text):
        return MENTION, "mention"
    return None, None


def _fold_unicode(text: str) -> str:
    # NFKC turns fullwidth and styled letters into plain ones; dropping format
    # characters removes zero-width spaces and joiners hidden inside words;
    # dropping combining marks turns "kïll" into "kill".
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cf", "Mn"))
    text = unicodedata.normalize("NFKC", text).lower()
    return _APOSTROPHES.sub("'", text)


def _unleet(match: re.Match[str]) -> str:
    word = match.group(0)
    if sum(c.isalpha() for c in word) < 2:
        return word
    return _LEET_INNER.sub("i", word.translate(_LEET_DIGITS))


@lru_cache(maxsize=4096)
def _correct(word: str) -> str:
    lex = _lexicon()
    candidates = lex.fuzzy_words.get(word[0], [])
    if word in lex.never_correct or word in candidates:
        return word
    limit = 2 if len(word) >= 11 else 1
    best = process.extractOne(word, candidates, scorer=DamerauLevenshtein.distance,
                              score_cutoff=limit)
    return best[0] if best else word


@cache
def _lexicon() -> _Lexicon:
    data = yaml.safe_load(LEXICON_PATH.read_text(encoding="utf-8"))
    macros = data["macros"]

    def expand(pattern: str) -> str:
        return _MACRO.sub(lambda m: macros[m.group(1)], str(pattern))

    def compile_any(patterns: list[str]) -> re.Pattern[str]:
        # Word edges are added here so staff don't have to write \b.
        body = "|".join(f"(?:{expand(p)})" for p in patterns)
        return re.compile(rf"(?<![\w'])(?:{body})(?![\w'])")

    fuzzy: dict[str, list[str]] = {}
    for word in data["fuzzy_words"]:
        fuzzy.setdefault(word[0], []).append(word)
    return _Lexicon(
        text_speak=[(re.compile(rf"(?<![\w'])(?:{k})(?![\w'])"), v)
                    for k, v in data["text_speak"].items()],
        fuzzy_words=fuzzy,
        never_correct=frozenset(data["never_correct"]),
        not_crisis=compile_any(data["not_crisis"]),
        at_risk={group: compile_any(ps) for group, ps in data["at_risk"].items()},
        past_events=compile_any(data["past_events"]),
        past=compile_any(data["past"]),
        now=compile_any(data["now"]),
        risk_words=compile_any(data["risk_words"]),
        about_treatment=compile_any(data["about_treatment"]),
        mention=compile_any(data["mention"]),
    )
