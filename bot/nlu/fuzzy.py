"""Typo tools shared by the NLU steps: English vocabulary and the closest known word.

Each step keeps its own bar (how far a word may be from a known one), because the
cost of a wrong guess differs: the term normaliser rewrites text everyone sees,
the sense tagger only reads cues, the safety guard errs towards recall.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from rapidfuzz import fuzz, process

if TYPE_CHECKING:
    from spacy.lookups import Table


class Candidates:
    """Known words grouped by first letter: a typo rarely changes the first letter."""

    def __init__(self, words: Iterable[str]) -> None:
        self._by_letter: dict[str, list[str]] = {}
        for word in dict.fromkeys(words):
            if word:
                self._by_letter.setdefault(word[0], []).append(word)

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and bool(word) and word in self._by_letter.get(word[0], ())

    def closest(
        self,
        word: str,
        cutoff: float,
        *,
        max_length_gap: int | None = None,
        scorer: Callable[..., Any] = fuzz.ratio,
    ) -> str | None:
        """The known word nearest ``word`` with the same first letter, if it scores past ``cutoff``
        (a similarity for ``fuzz`` scorers, a largest distance for distance scorers)."""
        similar = self._by_letter.get(word[:1], [])
        if max_length_gap is not None:
            similar = [w for w in similar if abs(len(w) - len(word)) <= max_length_gap]
        best = process.extractOne(word, similar, scorer=scorer, score_cutoff=cutoff)
        return best[0] if best else None


def is_english_word(word: str) -> bool:
    """True for a lowercase word found in spaCy's English lemma tables (~130k forms)."""
    words, inflected = _english_words()
    return word in words or word in inflected


def is_spanish_word(word: str) -> bool:
    """True for a lowercase word form in spaCy's Spanish lemma table (~490k forms)."""
    return word in _spanish_forms()


@lru_cache(maxsize=1)
def _spanish_forms() -> Table:
    from spacy.lookups import load_lookups

    return load_lookups("es", ["lemma_lookup"]).get_table("lemma_lookup")


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
