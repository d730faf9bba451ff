"""The term normaliser: conservative typo correction of the assistant's own words, before tokenising.

Only words that are neither English nor Spanish words are touched, and only when they are one
slip away from a term in ``bot/data/domain_terms.yml``: "insurence" becomes
"insurance", while "impatient" or "progress" stay as typed; "I.O.P." becomes
"IOP". The Rasa component is registered as a message featurizer, because only
tokenizers and featurizers also process the training data: training and serving
then see the same text.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.component import ConfiguredComponent
from bot.nlu.fingerprint import fingerprint, module_files
from bot.nlu.fuzzy import Candidates, is_english_word, is_spanish_word

TERMS_PATH = Path(__file__).resolve().parents[1] / "data" / "domain_terms.yml"

# "I.O.P.", "i.o.p", "I. O. P." and "I O P" all mean the acronym; a trailing dot
# belongs to the dotted spelling, so it goes too ("I.O.P.s" -> "IOPs").
_SEP = r"(?:\.\s?|\s)"
_ACRONYMS = [
    (re.compile(rf"(?<![\w.])i{_SEP}o{_SEP}p\b\.?", re.IGNORECASE), "IOP"),
    (re.compile(rf"(?<![\w.])p{_SEP}h{_SEP}p\b\.?", re.IGNORECASE), "PHP"),
]
_WORD = re.compile(r"(?<![A-Za-z0-9_])[A-Za-z]+(?![A-Za-z0-9_])")
_CHUNK = re.compile(r"\S+")
MIN_LENGTH = 5  # shorter words have too many real neighbours to guess safely


def normalize(text: str) -> str:
    """Return ``text`` with dotted acronyms joined and misspelt domain words fixed."""
    for pattern, acronym in _ACRONYMS:
        text = pattern.sub(acronym, text)
    return _CHUNK.sub(_fix_chunk, text)


def known_term(word: str) -> bool:
    """A domain term, one of its plurals, or a word on the never-correct list."""
    forms, keep, _ = _lexicon()
    return word in forms or word in keep


def _fix_chunk(match: re.Match[str]) -> str:
    chunk = match.group()
    if "@" in chunk or "://" in chunk or chunk.lower().startswith("www."):
        return chunk  # addresses are not prose
    return _WORD.sub(_fix_word, chunk)


def _fix_word(match: re.Match[str]) -> str:
    word = match.group()
    correction = _correct(word.lower())
    return word if correction is None else _same_case(word, correction)


@lru_cache(maxsize=4096)
def _correct(word: str) -> str | None:
    forms, keep, candidates = _lexicon()
    if len(word) < MIN_LENGTH or word in forms or word in keep or is_english_word(word) or is_spanish_word(word):
        return None
    # One slip in a long word scores >= 85; in a short one only a dropped or
    # doubled letter scores >= 90. A wrong first letter, or a length off by more
    # than one letter ("cosplays" / "copays"), means a different word.
    return candidates.closest(word, 85 if len(word) >= 8 else 90, max_length_gap=1)


def _same_case(original: str, word: str) -> str:
    if original.isupper() and len(original) > 1:
        return word.upper()
    return word.capitalize() if original[0].isupper() else word


def _plural(word: str) -> str:
    if word.endswith("y") and word[-2:-1] not in set("aeiou"):
        return word[:-1] + "ies"
    return word + ("es" if word.endswith(("s", "x", "z", "ch", "sh")) else "s")


@lru_cache(maxsize=1)
def _lexicon() -> tuple[frozenset[str], frozenset[str], Candidates]:
    """(accepted forms, never-correct words, correction candidates)."""
    data = yaml.safe_load(TERMS_PATH.read_text(encoding="utf-8"))
    terms = {term.lower() for term in data.get("terms", [])}
    plurals = {_plural(term) for term in terms}
    keep = frozenset(word.lower() for word in data.get("keep", []))
    # A made-up plural ("behaviorals") is accepted but never offered as a fix.
    candidates = terms | {plural for plural in plurals if is_english_word(plural)}
    return frozenset(terms | plurals), keep, Candidates(sorted(candidates))


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class DomainTermNormalizer(ConfiguredComponent):
    """Rewrites 'intensiv outpatint' to 'intensive outpatient', 'I.O.P.' to 'IOP'."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    @staticmethod
    def required_packages() -> list[str]:
        return ["rapidfuzz"]

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        return fingerprint(cls.fingerprint_files())

    @staticmethod
    def fingerprint_files() -> list[Path]:
        """Editing the word list or any module this step runs retrains the model."""
        return [TERMS_PATH, *module_files(__name__)]

    def _normalize(self, messages: list[Message]) -> None:
        for message in messages:
            text = message.get(TEXT)
            if text and not text.startswith("/"):
                message.set(TEXT, normalize(text))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._normalize(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        self._normalize(messages)
        return messages
