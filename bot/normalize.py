"""Conservative typo correction for the assistant's own words, run before tokenising.

The same function runs on training data and live messages, so both see the same
text. Only words that are not English words are touched, and only when they are
one slip away from a term in ``bot/data/domain_terms.yml``: "insurence" becomes
"insurance", while "impatient" or "progress" stay as typed.
"""
from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from rapidfuzz import fuzz, process

if TYPE_CHECKING:
    from spacy.lookups import Table

TERMS_PATH = Path(__file__).resolve().parent / "data" / "domain_terms.yml"

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


def terms_fingerprint() -> str:
    """Hash of the lexicon, so editing it retrains the model."""
    return hashlib.sha256(TERMS_PATH.read_bytes()).hexdigest()


def is_english_word(word: str) -> bool:
    """True for a lowercase word found in spaCy's English lemma tables (~130k forms)."""
    words, inflected = _english_words()
    return word in words or word in inflected


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
    if len(word) < MIN_LENGTH or word in forms or word in keep or is_english_word(word):
        return None
    # One slip in a long word scores >= 85; in a short one only a dropped or
    # doubled letter scores >= 90. A wrong first letter, or a length off by more
    # than one letter ("cosplays" / "copays"), means a different word.
    cutoff = 85 if len(word) >= 8 else 90
    similar = [term for term in candidates if term[0] == word[0] and abs(len(term) - len(word)) <= 1]
    best = process.extractOne(word, similar, scorer=fuzz.ratio, score_cutoff=cutoff)
    return best[0] if best else None


def _same_case(original: str, word: str) -> str:
    if original.isupper() and len(original) > 1:
        return word.upper()
    return word.capitalize() if original[0].isupper() else word


def _plural(word: str) -> str:
    if word.endswith("y") and word[-2:-1] not in set("aeiou"):
        return word[:-1] + "ies"
    return word + ("es" if word.endswith(("s", "x", "z", "ch", "sh")) else "s")


@lru_cache(maxsize=1)
def _lexicon() -> tuple[frozenset[str], frozenset[str], tuple[str, ...]]:
    """(accepted forms, never-correct words, correction candidates)."""
    data = yaml.safe_load(TERMS_PATH.read_text(encoding="utf-8"))
    terms = {term.lower() for term in data.get("terms", [])}
    plurals = {_plural(term) for term in terms}
    keep = frozenset(word.lower() for word in data.get("keep", []))
    # A made-up plural ("behaviorals") is accepted but never offered as a fix.
    candidates = terms | {plural for plural in plurals if is_english_word(plural)}
    return frozenset(terms | plurals), keep, tuple(sorted(candidates))


@lru_cache(maxsize=1)
def _english_words() -> tuple[frozenset[str], Table]:
    """spacy-lookups-data's English lemma tables: ~130k words in all.

    The lookup table keys its inflected forms ("scheduled") by hash, so it is
    kept for membership tests; lemmas and the other tables are plain strings.
    """
    from spacy.lookups import load_lookups

    tables = load_lookups("en", ["lemma_lookup", "lemma_index", "lemma_exc"])
    inflected = tables.get_table("lemma_lookup")
    words = set(inflected.values())
    for index_words in tables.get_table("lemma_index").values():
        words.update(index_words)
    for exceptions in tables.get_table("lemma_exc").values():
        for form, lemmas in exceptions.items():
            words.add(form)
            words.update(lemmas)
    return frozenset(word.lower() for word in words), inflected
