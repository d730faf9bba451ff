"""NLU component: the deterministic crisis guard (bot/safety.py).

Runs after the classifiers and before FallbackClassifier. A message from someone
who may be at risk now gets the ``crisis`` intent, at the top of the ranking
too, so neither the fallback nor a confident FAQ guess can replace it. A message
that only mentions these topics keeps its intent and gets a ``safety: mention``
entity, so the answer is followed by the crisis resources line.
"""
from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot import safety

CRISIS = "crisis"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class SafetyGuard(GraphComponent):
    """Forces the crisis intent for at-risk messages; marks topic mentions."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.min_classifier_confidence = float(config["min_classifier_confidence"])

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # DIET's crisis intent is a second net for wording the lexicon misses; below this
        # confidence, with the lexicon seeing no risk, it is an everyday idiom ("dying to know").
        return {"min_classifier_confidence": 0.8}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SafetyGuard:
        return cls(config)

    @staticmethod
    def required_packages() -> list[str]:
        return ["rapidfuzz"]

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        return safety.lexicon_fingerprint()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if not text or text.startswith("/"):
                continue
            verdict = safety.assess(text)
            if verdict == safety.AT_RISK:
                _promote(message, CRISIS)
            elif verdict == safety.MENTION:
                if (message.get(INTENT) or {}).get("name") == CRISIS:
                    _demote_crisis(message)  # the classifier's second net, overruled by the guard
                _add_entity(message, "mention", len(text))
            elif _is_unsure_crisis(message, self.min_classifier_confidence):
                _demote_crisis(message)
        return messages


def _is_unsure_crisis(message: Message, min_confidence: float) -> bool:
    intent = message.get(INTENT) or {}
    return intent.get("name") == CRISIS and float(intent.get("confidence") or 0) < min_confidence


def _promote(message: Message, name: str) -> None:
    # The others are halved so that no near tie remains for FallbackClassifier's ambiguity check.
    ranking = [{**r, "confidence": float(r.get("confidence") or 0) * 0.5}
               for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != name]
    top = {"name": name, "confidence": 1.0}
    message.set(INTENT, top, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [top, *ranking], add_to_output=True)


def _demote_crisis(message: Message) -> None:
    ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != CRISIS]
    if ranking:
        message.set(INTENT, ranking[0], add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)


def _add_entity(message: Message, value: str, end: int) -> None:
    entity = {"entity": "safety", "value": value, "start": 0, "end": end, "confidence_entity": 1.0,
              "extractor": SafetyGuard.__name__}
    message.set(ENTITIES, [*message.get(ENTITIES, []), entity], add_to_output=True)
