"""The language detector: which language a message is written in (English or Spanish).

Lingua (a maintained library that ships its models in the wheel; nothing is
downloaded at run time) scores each message. A ``language`` entity is emitted
only when the message says clearly which language it is in: a switch asked for
("in English please", "en español") or at least two words scored with high
confidence. Short or mixed messages ("ok", "gracias", "IOP?") emit nothing, so
the ``language`` slot keeps the language the conversation already has. Runs on
live messages only (not in training).
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.component import ConfiguredComponent, add_entity, visitor_texts

LANGUAGES = ("en", "es")
ENTITY = "language"
# Asking for a language wins over how the message itself is written.
_SWITCH = {
    # not "en inglés" alone: "IOP son las siglas en inglés de ..." is Spanish
    "en": re.compile(r"\b(in english|english please|english por favor|en ingl[eé]s,? por favor|"
                     r"(?:habla|hablas|hablan|hable|prefiero|quiero|puedes hablar|puede hablar)(?: en)? ingl[eé]s|"
                     r"(?:responde|respondeme|contesta|contestame|escribe|escribeme)(?:me)? en ingl[eé]s|"
                     r"speak english)\b", re.I),
    "es": re.compile(r"\b(en espa[nñ]ol|in spanish|spanish please|espa[nñ]ol por favor|hablan espa[nñ]ol|"
                     r"habla espa[nñ]ol|speak spanish|do you speak spanish)\b", re.I),
}
# Words that say nothing about the language: acronyms, numbers, names of programs.
_NEUTRAL = re.compile(r"^(iop|iops|php|ipo|ok|okay|aa|na|ua|mmhg|\d+)$", re.I)
_WORDS = re.compile(r"[^\W\d_]+", re.UNICODE)


def detect(text: str, min_confidence: float = 0.8, min_words: int = 2, switches: bool = True) -> str | None:
    """"en", "es", or None when the message does not say clearly. ``switches``: a request
    for a language ("in English please") decides (off to read what a text is written in)."""
    for language, pattern in _SWITCH.items():
        if switches and pattern.search(text):
            return language
    words = [w for w in _WORDS.findall(text) if not _NEUTRAL.match(w)]
    if len(words) < min_words:
        return None
    best = max(_detector().compute_language_confidence_values(" ".join(words)), key=lambda c: c.value)
    if best.value < min_confidence:
        return None
    return "es" if best.language.name == "SPANISH" else "en"


# A conversation with no language yet takes its first message's language on a weaker signal:
# nothing is switched, and a Spanish first message no detector is sure of ("aceptan Medicaid
# para el programa intensivo?") is more often Spanish than not. Chosen on tests/data/dev/.
FIRST_MESSAGE_CONFIDENCE, FIRST_MESSAGE_MIN_WORDS = 0.5, 1


@lru_cache(maxsize=1024)  # the NLG asks once per response of a turn, the router once more
def first_language(text: str | None) -> str | None:
    """The language of a conversation's first clear-enough message (weaker than ``detect``'s default)."""
    if not text or text.startswith("/"):
        return None
    return detect(text, FIRST_MESSAGE_CONFIDENCE, FIRST_MESSAGE_MIN_WORDS)


@lru_cache(maxsize=1)
def _detector() -> Any:
    from lingua import Language, LanguageDetectorBuilder

    builder = LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.SPANISH)
    return builder.with_preloaded_language_models().build()


def set_language(message: Message, language: str, extractor: str) -> None:
    """Put (or replace) the message's ``language`` entity."""
    add_entity(message, ENTITY, language, extractor, replace=True)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class LanguageDetector(ConfiguredComponent, EntityExtractorMixin):
    """Emits a ``language`` entity (en | es) for messages whose language is clear."""

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        _detector()  # load the models when the server starts, not on a visitor's message

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"min_confidence": 0.8, "min_words": 2}

    @staticmethod
    def required_packages() -> list[str]:
        return ["lingua"]

    def process(self, messages: list[Message]) -> list[Message]:
        for message, text in visitor_texts(messages):
            language = detect(text, float(self.config["min_confidence"]), int(self.config["min_words"]))
            if language:
                set_language(message, language, self.__class__.__name__)
        return messages
