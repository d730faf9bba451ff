"""The answer keys and where their wording lives, read from the project's data files.

The one source of truth for keys: the treatment answers (``faq/<key>``) are read
from the data, the few other kinds are named once here. Used by the content check
(``python -m bot check``), the router, the did-you-mean offer, the benchmarks and
the tests, so that all of them agree on what the keys are.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from bot.settings import ROOT

FAQ_INTENT = "faq"
MIN_PHRASINGS = 12
CHAT_LIMIT = 600
SMS_LIMIT = 320
# Every response has a text per language, as variations with a condition on the ``language``
# slot (English has none); Spanish runs longer than English, so its SMS may take three segments.
LANGUAGE_SLOT = "language"
LANGUAGES = ("en", "es")
SPANISH_SMS_SEGMENTS = 3
SMS_CHANNEL = "twilio"
# GSM 03.38: the basic alphabet (one septet a character) and its extension table (two)
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

# Keys answered through their own intent rather than the faq retrieval intent.
INTENT_KEYS = {
    "greet", "goodbye", "thanks", "bot_challenge", "help", "out_of_scope", "human_handoff", "facility_question",
    "medical_advice", "crisis", "iop_eye", "iop_stock", "php_programming",
}
# Intent-answered keys that a did-you-mean offer may propose (each has an utter_title_<key>).
OFFERABLE_INTENT_KEYS = frozenset({"iop_eye", "iop_stock", "php_programming", "human_handoff", "medical_advice"})
# Small talk: answered by a rule, never offered.
CONVERSATION_KEYS = frozenset({"greet", "goodbye", "thanks", "bot_challenge", "help"})
# Responses that have no intent of their own: sent by actions, rules or channels.
RESPONSE_ONLY_KEYS = {
    "ask_iop_sense", "crisis_resources", "did_you_mean", "ask_rephrase", "default",
    "empty_message", "too_long", "try_again", "rate_limited", "sms_help", "anything_else",
}


@dataclass
class Content:
    phrasings: dict[str, list[str]] = field(default_factory=dict)  # answer key -> examples
    responses: dict[str, list[dict]] = field(default_factory=dict)  # response name -> variations
    faq_keys: tuple[str, ...] = ()  # the treatment answers, in the order the data files give them

    def response_name(self, key: str) -> str:
        return f"utter_{FAQ_INTENT}/{key}" if key in self.faq_keys else f"utter_{key}"


def language_of(variation: dict) -> str:
    """The language a response variation is written in: its condition on the language slot, else English."""
    for condition in variation.get("condition") or []:
        if condition.get("type") == "slot" and condition.get("name") == LANGUAGE_SLOT:
            return str(condition.get("value")).casefold()
    return LANGUAGES[0]


def sms_variations(variations: list[dict], language: str) -> list[dict]:
    """The variations an SMS in ``language`` is chosen from, as Rasa chooses: that language's
    ``channel: twilio`` ones, else its ones for every channel."""
    own = [v for v in variations if language_of(v) == language]
    return [v for v in own if v.get("channel") == SMS_CHANNEL] or [v for v in own if not v.get("channel")]


def sms_segments(text: str) -> int | None:
    """How many SMS segments ``text`` takes in GSM-7 (160 septets alone, 153 each when split),
    or None when a character is outside GSM-7 and the whole message would go as UCS-2."""
    if any(ch not in GSM7_BASIC and ch not in GSM7_EXTENSION for ch in text):
        return None
    septets = len(text) + sum(ch in GSM7_EXTENSION for ch in text)
    return 1 if septets <= 160 else -(-septets // 153)


def _examples(block: str) -> list[str]:
    return [re.sub(r"^\s*-\s?", "", line).strip() for line in block.splitlines() if line.strip().startswith("-")]


def _key_of(intent: str) -> str:
    return intent.split("/", 1)[1] if intent.startswith(f"{FAQ_INTENT}/") else intent


@lru_cache(maxsize=4)
def load(root: Path = ROOT) -> Content:
    content = Content()
    faq_keys: dict[str, None] = {}
    files = [root / "domain.yml", *sorted((root / "data" / "nlu").rglob("*.yml"))]
    for path in files:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in doc.get("nlu", []) or []:
            if "intent" in item:
                if str(item["intent"]).startswith(f"{FAQ_INTENT}/"):
                    faq_keys[_key_of(item["intent"])] = None
                content.phrasings.setdefault(_key_of(item["intent"]), []).extend(_examples(item.get("examples", "")))
        for name, variations in (doc.get("responses") or {}).items():
            if name.startswith(f"utter_{FAQ_INTENT}/"):
                faq_keys[name.split("/", 1)[1]] = None
            content.responses.setdefault(name, []).extend(variations or [])
    content.faq_keys = tuple(faq_keys)
    return content


def first_english_phrasing(key: str, root: Path = ROOT) -> str:
    """The first training phrasing of ``key`` outside the Spanish data (data/nlu/es/): what the bench
    asks, so that an English-only reference bot and ours are asked the same thing."""
    spanish = root / "data" / "nlu" / "es"
    for path in sorted((root / "data" / "nlu").rglob("*.yml")):
        if spanish in path.parents:
            continue
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in doc.get("nlu", []) or []:
            if "intent" in item and _key_of(item["intent"]) == key and _examples(item.get("examples", "")):
                return _examples(item["examples"])[0]
    raise KeyError(f"no English phrasing for {key}")


def faq_keys(root: Path = ROOT) -> tuple[str, ...]:
    """The treatment answer keys: every ``faq/<key>`` intent or ``utter_faq/<key>`` response in the data."""
    return load(root).faq_keys
