"""The answer keys and where their wording lives, read from the project's data files.

Used by the content check (``python -m bot check``), the did-you-mean offer and
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

# The treatment-program answers (retrieval intent faq/<key>, response utter_faq/<key>).
FAQ_KEYS = (
    "what_is_iop", "iop_conditions", "iop_what_to_expect", "iop_schedule", "iop_duration", "iop_cost",
    "iop_insurance", "iop_vs_php", "iop_vs_inpatient", "iop_vs_outpatient", "what_is_php",
    "what_is_outpatient", "inpatient_vs_residential", "levels_of_care", "work_school", "how_to_start",
    "choosing_program", "family_involvement", "individual_therapy", "group_therapy", "iop_anxiety",
    "drug_testing", "relapse", "after_iop", "sober_living", "detox", "treatment_plan", "treatment_team",
    "twelve_step", "billing_codes", "overnight",
)
# Keys answered through their own intent rather than the faq retrieval intent.
INTENT_KEYS = {
    "greet", "goodbye", "thanks", "bot_challenge", "help", "out_of_scope", "human_handoff",
    "medical_advice", "crisis", "iop_eye", "iop_stock", "php_programming",
}
# Responses that have no intent of their own: sent by actions, rules or channels.
RESPONSE_ONLY_KEYS = {
    "ask_iop_sense", "crisis_resources", "did_you_mean", "ask_rephrase", "default",
    "empty_message", "too_long", "try_again", "rate_limited", "sms_help", "anything_else",
}


@dataclass
class Content:
    phrasings: dict[str, list[str]] = field(default_factory=dict)  # answer key -> examples
    responses: dict[str, list[dict]] = field(default_factory=dict)  # response name -> variations


def _examples(block: str) -> list[str]:
    return [re.sub(r"^\s*-\s?", "", line).strip() for line in block.splitlines() if line.strip().startswith("-")]


def _key_of(intent: str) -> str:
    return intent.split("/", 1)[1] if intent.startswith(f"{FAQ_INTENT}/") else intent


@lru_cache(maxsize=4)
def load(root: Path = ROOT) -> Content:
    content = Content()
    files = [root / "domain.yml", *sorted((root / "data" / "nlu").rglob("*.yml"))]
    for path in files:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in doc.get("nlu", []) or []:
            if "intent" in item:
                content.phrasings.setdefault(_key_of(item["intent"]), []).extend(_examples(item.get("examples", "")))
        for name, variations in (doc.get("responses") or {}).items():
            content.responses.setdefault(name, []).extend(variations or [])
    return content
