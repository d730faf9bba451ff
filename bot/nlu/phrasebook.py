"""The known phrasings of each FAQ answer, as meaning vectors (the sentence encoder), and how near
a message is to each answer's phrasings: used by the two-question reader and the coverage scorer.

The phrasings are those of the training data, encoded once when the server starts.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from bot import content
from bot.nlu.sentence_encoder import encode

TOP_K = 3  # a key's score: the mean similarity of its three nearest phrasings


@dataclass(frozen=True)
class Match:
    key: str
    score: float


class Phrasebook:
    """The known phrasings of each answer key, as meaning vectors."""

    def __init__(self, phrasings: dict[str, list[str]]) -> None:
        self.keys: list[str] = []
        texts: list[str] = []
        for key, examples in phrasings.items():
            for example in examples:
                self.keys.append(key)
                texts.append(example)
        self.vectors = encode(texts, batch_size=64)
        self._key_index = {key: np.array([i for i, k in enumerate(self.keys) if k == key]) for key in phrasings}

    def nearest(self, vector: np.ndarray) -> list[Match]:
        """Answer keys ranked by how near their phrasings are to ``vector`` (a unit vector)."""
        similarity = self.vectors @ vector
        scores = []
        for key, index in self._key_index.items():
            if len(index):
                top = np.sort(similarity[index])[-TOP_K:]
                scores.append(Match(key, float(top.mean())))
        return sorted(scores, key=lambda m: m.score, reverse=True)


@lru_cache(maxsize=1)
def faq_phrasebook() -> Phrasebook:
    loaded = content.load()
    return Phrasebook({key: loaded.phrasings.get(key, []) for key in loaded.faq_keys})
