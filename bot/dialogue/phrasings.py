"""Typo-tolerant lookup of a message among the known training phrasings (for did-you-mean)."""
from __future__ import annotations

from functools import lru_cache

from rapidfuzz import fuzz, process

from bot import content

MIN_SCORE = 75  # token_sort_ratio: only near-identical wording (typos) counts


@lru_cache(maxsize=1)
def _index() -> tuple[list[str], list[str]]:
    offerable = set(content.faq_keys()) | content.OFFERABLE_INTENT_KEYS  # what a did-you-mean may offer
    texts, keys = [], []
    for key, examples in content.load().phrasings.items():
        if key not in offerable:
            continue
        for example in examples:
            texts.append(example.lower())
            keys.append(key)
    return texts, keys


def fuzzy_candidates(text: str, limit: int = 5) -> dict[str, float]:
    """A small bonus per answer key whose known phrasings resemble ``text``."""
    texts, keys = _index()
    bonus: dict[str, float] = {}
    for _, score, idx in process.extract(text.lower(), texts, scorer=fuzz.token_sort_ratio, limit=limit):
        if score >= MIN_SCORE:
            bonus[keys[idx]] = max(bonus.get(keys[idx], 0.0), (score - MIN_SCORE) / 100)
    return bonus
