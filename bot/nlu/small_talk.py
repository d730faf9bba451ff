"""The small-talk reader: greetings, goodbyes, thanks and "help" in the shapes people type them
("heyyy", "ttyl", "ok thx!!", "qué onda", "chao chao", "grax"), read for sure from a word list.

A classifier trained on full sentences is unsure of two or three letters of chat shorthand (it read
"heyy" as not understood and "help" as goodbye). This step gives a message made only of phrases of one
intent in ``bot/data/small_talk.yml`` (plus filler words) that intent, at the top of the ranking.
A message with anything else in it is left to the classifier. A question the classifier takes for a
plain yes or no ("y si no tengo?" after the insurance answer) is sent to the fallback instead, so the
router reads it, in the conversation's context, rather than a rule answering "anything else?". Runs
after the safety guard (a crisis is never small talk) and on live messages only.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.component import ConfiguredComponent, promote_intent, visitor_texts
from bot.nlu.text import unaccented

DEFAULT_LIST = Path(__file__).resolve().parents[1] / "data" / "small_talk.yml"
MAX_WORDS = 6
LONGEST_PHRASE = 4
MIXABLE = ("goodbye", "thanks", "greet")  # together in one message, the first of these counts
YES_NO, FALLBACK = {"affirm", "deny"}, "nlu_fallback"
# (words as plain() gives them: lowercase, no accents, letters typed twice kept once)
QUESTION_START = re.compile(r"(?:what if|and if|what about|how|why|when|where|which|who|y si|que pasa|"
                            r"como|cuando|donde|cual|por que|quien|cuanto)\b")
_WORDS = re.compile(r"[a-z0-9']+")


def plain(text: str) -> list[str]:
    """Lowercase words without accents, letters typed twice or more kept once ("Holaaa!!" -> hola,
    "goodbye" -> godbye: a phrase is compared in the same shape)."""
    return [re.sub(r"(.)\1+", r"\1", word) for word in _WORDS.findall(unaccented(text))]


class SmallTalk:
    """The word list, ready to read messages with."""

    def __init__(self, path: Path = DEFAULT_LIST) -> None:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.phrases: dict[tuple[str, ...], str] = {}
        for intent, phrases in data["intents"].items():
            for phrase in phrases:
                words = tuple(plain(str(phrase)))
                if words:
                    self.phrases[words] = str(intent)
        self.fillers = frozenset(word for filler in data.get("fillers", []) for word in plain(str(filler)))

    def intent(self, text: str) -> str | None:
        """The intent the message is made of, or None."""
        words = plain(text)
        if not words or len(words) > MAX_WORDS:
            return None
        found: set[str] = set()
        i = 0
        while i < len(words):
            for size in range(min(LONGEST_PHRASE, len(words) - i), 0, -1):
                intent = self.phrases.get(tuple(words[i:i + size]))
                if intent:
                    found.add(intent)
                    i += size
                    break
            else:
                if words[i] not in self.fillers:
                    return None
                i += 1
        if len(found) > 1 and "help" not in found:
            # "thanks bye", "hola gracias": the last word of a conversation wins
            return next(intent for intent in MIXABLE if intent in found)
        return found.pop() if found else None


@lru_cache(maxsize=4)
def reader(path: Path = DEFAULT_LIST) -> SmallTalk:
    return SmallTalk(path)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class SmallTalkReader(ConfiguredComponent):
    """Gives greetings, goodbyes, thanks and help requests in chat shorthand their intent."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"list_file": None}

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        super().__init__(config)
        self._reader = reader(self._path())  # read the list at start (a broken file fails there)

    def _path(self) -> Path:
        from bot.settings import ROOT

        name = self.config.get("list_file")
        return ROOT / Path(name) if name else DEFAULT_LIST

    def process(self, messages: list[Message]) -> list[Message]:
        for message, text in visitor_texts(messages):
            current = (message.get(INTENT) or {}).get("name")
            if current == "crisis":
                continue
            intent = self._reader.intent(text)
            if intent:
                promote_intent(message, intent)
            elif current in YES_NO and asks(text):
                promote_intent(message, FALLBACK)  # not understood: the router reads it (in context)
        return messages


def asks(text: str) -> bool:
    """A question of three words or more ("y si no tengo?", "what if i say no to meds"): never a plain
    yes or no, however much it looks like one to the classifier."""
    words = plain(text)
    return len(words) >= 3 and (text.rstrip().endswith("?") or QUESTION_START.match(" ".join(words)) is not None)
