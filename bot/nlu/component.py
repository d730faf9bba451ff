"""The base of our NLU components that need only their config, and helpers they share."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message


class ConfiguredComponent(GraphComponent):
    """Built from its config alone (nothing trained, nothing stored); subclasses say what they do
    in ``process``."""

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        # (None when reached through a Rasa base class's own argument-less super().__init__())
        self.config = config or {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        return cls(config)


def visitor_texts(messages: Iterable[Message]) -> Iterator[tuple[Message, str]]:
    """Each message with text a visitor typed: not empty, not a button's ``/intent`` payload."""
    for message in messages:
        text = message.get(TEXT) or ""
        if text and not text.startswith("/"):
            yield message, text


def add_entity(message: Message, entity: str, value: str, extractor: str, replace: bool = False) -> None:
    """Add an entity that covers the whole message (``replace``: instead of any of that name)."""
    entities = [e for e in message.get(ENTITIES, []) if not (replace and e.get("entity") == entity)]
    entities.append({"entity": entity, "value": value, "start": 0, "end": len(message.get(TEXT) or ""),
                     "confidence_entity": 1.0, "extractor": extractor})
    message.set(ENTITIES, entities, add_to_output=True)


def promote_intent(message: Message, name: str) -> None:
    """Make ``name`` the message's intent, at the top of the ranking. The others are halved so that
    no near tie remains for FallbackClassifier's ambiguity check."""
    ranking = [{**r, "confidence": float(r.get("confidence") or 0) * 0.5}
               for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != name]
    top = {"name": name, "confidence": 1.0}
    message.set(INTENT, top, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [top, *ranking], add_to_output=True)
