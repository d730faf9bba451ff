"""The gibberish guard: a message with no word of English, Spanish or the domain ("zxq wvvk plorf",
"asdfgh") is not understood, however sure a classifier is about it.

Sentence vectors and character n-grams give every string some meaning, so DIET can be confident
about noise (it read "zxq wvvk plorf" as thanks). This step sets the intent to ``nlu_fallback``
(at the top of the ranking) for such messages, so the visitor gets a did-you-mean offer or a
request to rephrase. Runs after the safety guard (a crisis is never noise) and on live messages
only.
"""
from __future__ import annotations

import re

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.component import ConfiguredComponent, promote_intent, visitor_texts
from bot.nlu.fuzzy import is_english_word, is_spanish_word
from bot.nlu.normalizer import known_term

FALLBACK = "nlu_fallback"
_WORDS = re.compile(r"[^\W\d_]+", re.UNICODE)
# Short words people type that the lemma tables lack.
CHAT_WORDS = frozenset("u ur r k ok okay pls plz thx ty lol omg idk hi hey hola yo ya yes no si nah yep "
                       "iop iops php ipo aa na ua dbt cbt mat".split())


def is_noise(text: str) -> bool:
    """No word at all that a dictionary, the domain or chat shorthand knows."""
    words = [w.lower() for w in _WORDS.findall(text)]
    if not words:
        return False  # digits or emoji only: left to the classifier and the channels
    return not any(w in CHAT_WORDS or is_english_word(w) or is_spanish_word(w) or known_term(w) for w in words)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class GibberishGuard(ConfiguredComponent):
    """Sends messages without a single known word to the fallback."""

    def __init__(self, config: dict | None = None) -> None:
        super().__init__(config)
        is_english_word("a"), is_spanish_word("a")  # load the word tables at start

    def process(self, messages: list[Message]) -> list[Message]:
        for message, text in visitor_texts(messages):
            if (message.get(INTENT) or {}).get("name") != "crisis" and is_noise(text):
                promote_intent(message, FALLBACK)
        return messages
