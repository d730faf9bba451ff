"""The facility cue tagger: marks a message that names something only the facility can answer
about itself (its address, parking, phone, opening hours, wait list, transport, childcare, papers,
bills, appointments, complaints), from the staff-editable list ``bot/data/facility_cues.yml``.

It emits a ``facility_cue`` entity with the phrase found and changes nothing else: the router
(bot/dialogue/routing.py) uses it only to choose between two honest replies, the facility's and the
off-topic one, or the facility's instead of a did-you-mean offer for a message it does not
understand ("donde estan ubicados" was read as off-topic, "hay estacionamiento?" not understood).
Runs on live messages only.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.component import ConfiguredComponent, add_entity, visitor_texts
from bot.nlu.text import unaccented

DEFAULT_LIST = Path(__file__).resolve().parents[1] / "data" / "facility_cues.yml"
ENTITY = "facility_cue"


class FacilityCues:
    """The phrase list, as one pattern over lowercase text without accents."""

    def __init__(self, path: Path = DEFAULT_LIST) -> None:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        phrases = sorted({unaccented(str(p)).lower().strip() for p in data["phrases"] if str(p).strip()},
                         key=len, reverse=True)
        self.pattern = re.compile(r"\b(?:" + "|".join(re.escape(p) for p in phrases) + r")\b")

    def find(self, text: str) -> str | None:
        """The first listed phrase in ``text``, or None."""
        found = self.pattern.search(unaccented(text).lower())
        return found.group(0) if found else None


@lru_cache(maxsize=4)
def cues(path: Path = DEFAULT_LIST) -> FacilityCues:
    return FacilityCues(path)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class FacilityCueTagger(ConfiguredComponent, EntityExtractorMixin):
    """Emits ``facility_cue`` for a message that names something about the facility itself."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"list_file": None}

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        super().__init__(config)
        from bot.settings import ROOT

        name = self.config.get("list_file")
        self._cues = cues(ROOT / Path(name) if name else DEFAULT_LIST)  # a broken file fails at start

    def process(self, messages: list[Message]) -> list[Message]:
        for message, text in visitor_texts(messages):
            phrase = self._cues.find(text)
            if phrase:
                add_entity(message, ENTITY, phrase, self.__class__.__name__)
        return messages
