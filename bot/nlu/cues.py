"""The cue tagger: marks a message that names something only the facility can answer about itself
(its address, parking, phone, opening hours, wait list, transport, childcare, papers, bills,
appointments, complaints) or a medicine, from the staff-editable lists ``bot/data/cues.yml``.

It emits a ``facility_cue`` entity (the phrase found) and a ``medical_cue`` entity ("use" when a
medicine is named by name together with what to do with it, "mention" for any other medicine word),
and changes nothing else. The router (bot/dialogue/routing.py) uses them only to choose the honest
reply for a message it would not otherwise answer ("donde estan ubicados" was read as off-topic,
"hay estacionamiento?" not understood, "is it ok for him to drink energy drinks on concerta" read as
the facility's question), and gives the medical boundary's reply to a question about using a named
medicine, whatever the classifier read. Runs on live messages only.
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

DEFAULT_LIST = Path(__file__).resolve().parents[1] / "data" / "cues.yml"
FACILITY, MEDICAL = "facility_cue", "medical_cue"
LISTS = ("facility", "medication_names", "medication_words", "medication_use")


def _pattern(phrases: list[Any]) -> re.Pattern[str] | None:
    folded = sorted({unaccented(str(p)).strip() for p in phrases if str(p).strip()}, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(p) for p in folded) + r")\b") if folded else None


class Cues:
    """The lists, each as one pattern over lowercase text without accents."""

    def __init__(self, path: Path = DEFAULT_LIST) -> None:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        self.patterns = {name: _pattern(data.get(name) or []) for name in LISTS}

    def _find(self, name: str, folded: str) -> str | None:
        pattern = self.patterns[name]
        found = pattern.search(folded) if pattern else None
        return found.group(0) if found else None

    def facility(self, text: str) -> str | None:
        """The first facility phrase in ``text``, or None."""
        return self._find("facility", unaccented(text))

    def medical(self, text: str) -> str | None:
        """"use" for a medicine named together with what to do with it, "mention" for any other
        medicine word, None without one."""
        folded = unaccented(text)
        named = self._find("medication_names", folded)
        if named and self._find("medication_use", folded):
            return "use"
        return "mention" if named or self._find("medication_words", folded) else None


@lru_cache(maxsize=4)
def cues(path: Path = DEFAULT_LIST) -> Cues:
    return Cues(path)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class CueTagger(ConfiguredComponent, EntityExtractorMixin):
    """Emits ``facility_cue`` and ``medical_cue`` for a message that names the facility's own
    matters or a medicine."""

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
            phrase = self._cues.facility(text)
            if phrase:
                add_entity(message, FACILITY, phrase, self.__class__.__name__)
            medical = self._cues.medical(text)
            if medical:
                add_entity(message, MEDICAL, medical, self.__class__.__name__)
        return messages
