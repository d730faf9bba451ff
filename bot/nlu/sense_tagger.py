"""NLU component: reads which sense of "IOP"/"PHP" a message has (bot/senses.py).

Emits entities the dialogue uses: ``iop_sense`` (treatment | eye | stock),
``php_sense`` (treatment | programming) and ``acronym`` (iop | php) when the
acronym itself appears. Nothing is emitted for a message without cues.
"""
from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.utils.spacy_utils import SpacyModel
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot import senses

SPACY_DOC = "text_spacy_doc"  # where SpacyNLP keeps the parsed message


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False, model_from="SpacyNLP"
)
class SenseTagger(GraphComponent, EntityExtractorMixin):
    """Cue-based sense reading with spaCy's PhraseMatcher over lemmas and rapidfuzz."""

    def __init__(self, config: dict[str, Any]) -> None:
        self._config = config
        self._tagger: senses.SenseTagger | None = None

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"cues_file": None}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SenseTagger:
        return cls(config)

    @staticmethod
    def required_packages() -> list[str]:
        return ["spacy", "rapidfuzz"]

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        return senses.cues_fingerprint(*cls._cues_args(config))  # an edited cue list retrains

    @staticmethod
    def _cues_args(config: dict[str, Any]) -> tuple:
        from pathlib import Path

        from bot.settings import ROOT

        path = config.get("cues_file")
        return (ROOT / Path(path),) if path else ()

    def _get_tagger(self, model: SpacyModel) -> senses.SenseTagger:
        if self._tagger is None:
            self._tagger = senses.SenseTagger(model.model, *self._cues_args(self._config))
        return self._tagger

    def process_training_data(self, training_data: TrainingData, model: SpacyModel) -> TrainingData:
        return training_data

    def process(self, messages: list[Message], model: SpacyModel) -> list[Message]:
        tagger = self._get_tagger(model)
        for message in messages:
            doc = message.get(SPACY_DOC)
            text = message.get(TEXT) or ""
            if doc is None or not text:
                continue
            reading = tagger.read(doc)
            found = [
                ("iop_sense", reading.iop_sense),
                ("php_sense", reading.php_sense),
                ("acronym", "iop" if reading.mentions_iop else None),
                ("acronym", "php" if reading.mentions_php and not reading.mentions_iop else None),
            ]
            entities = [
                {
                    "entity": name,
                    "value": value,
                    "start": 0,
                    "end": len(text),
                    "confidence_entity": 1.0,
                    "extractor": self.__class__.__name__,
                }
                for name, value in found
                if value
            ]
            message.set(ENTITIES, [*message.get(ENTITIES, []), *entities], add_to_output=True)
        return messages
