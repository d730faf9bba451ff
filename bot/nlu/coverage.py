"""The coverage scorer: how near a message is, in meaning, to the known phrasings of the answers
the response selector ranks (the mean cosine similarity of each answer's three nearest phrasings).

The selector always ranks some answer first, however far the message is from everything it was
trained on ("is it ok to get a tattoo during the program" came out as the 12-step answer); the
router treats an answer whose phrasings are all far from the message as a guess (did-you-mean),
with a threshold chosen on the development set (bot/dialogue/routing.py, MIN_COVERAGE).

It reads the message's meaning vector from the sentence encoder's feature (no second encoding)
and emits ``faq_coverage``: answer key -> similarity, for the keys in the selector's ranking and the
reading below; and
``faq_reading``: the three answers the phrasebook's classifier (a logistic regression over the
known phrasings' vectors) finds likeliest, with their probabilities. The router reads a short
follow-up by it when the classifier takes the message for something else ("ok how do i sign up
then" read as a question about the facility). Runs on live messages only; changes nothing else.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.component import ConfiguredComponent, visitor_texts
from bot.nlu.phrasebook import faq_phrasebook
from bot.nlu.sentence_encoder import SentenceEncoder, encode

COVERAGE = "faq_coverage"
READING = "faq_reading"
FAQ = "faq"


def meaning_vector(message: Message) -> np.ndarray:
    """The message's unit meaning vector: the sentence encoder's feature when present."""
    for feature in message.features:
        if feature.origin == SentenceEncoder.__name__ and feature.attribute == TEXT and feature.is_dense():
            vector = np.asarray(feature.features, dtype=np.float32).reshape(-1)
            return vector / max(float(np.linalg.norm(vector)), 1e-12)
    return encode([message.get(TEXT) or ""])[0]


def ranked_keys(message: Message) -> list[str]:
    selector = (message.get("response_selector") or {}).get(FAQ) or {}
    return [str(r.get("intent_response_key", "")).split("/", 1)[-1] for r in selector.get("ranking") or []]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class CoverageScorer(ConfiguredComponent):
    """Emits ``faq_coverage`` for the answers the selector ranks (among the classifiers: it scores
    them, it changes no intent)."""

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        faq_phrasebook()  # encode the known phrasings when the server starts

    @staticmethod
    def required_packages() -> list[str]:
        return ["onnxruntime", "tokenizers"]

    def process(self, messages: list[Message]) -> list[Message]:
        for message, text in visitor_texts(messages):
            keys = ranked_keys(message)
            if not keys:
                continue
            book, vector = faq_phrasebook(), meaning_vector(message)
            scores = {m.key: round(m.score, 4) for m in book.nearest(vector)}
            reading = {m.key: round(m.score, 4) for m in book.classify(vector, text)[:3]}
            message.set(COVERAGE, {key: scores[key] for key in [*keys, *reading] if key in scores}, add_to_output=True)
            message.set(READING, reading, add_to_output=True)
        return messages
