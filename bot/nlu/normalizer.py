"""NLU component: corrects misspelt domain terms before tokenising (bot/normalize.py).

Registered as a message featurizer, because only tokenizers and featurizers also
process the training data: training and serving then see the same text.
"""
from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot import normalize


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class DomainTermNormalizer(GraphComponent):
    """Rewrites 'intensiv outpatint' to 'intensive outpatient', 'I.O.P.' to 'IOP'."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> DomainTermNormalizer:
        return cls()

    @staticmethod
    def required_packages() -> list[str]:
        return ["rapidfuzz"]

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        return normalize.terms_fingerprint()  # an edited lexicon retrains the model

    def _normalize(self, messages: list[Message]) -> None:
        for message in messages:
            text = message.get(TEXT)
            if text and not text.startswith("/"):
                message.set(TEXT, normalize.normalize(text))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._normalize(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        self._normalize(messages)
        return messages
