"""The content check: tells an editor in plain words what is missing or clashing."""
from __future__ import annotations

import re
from collections import defaultdict

from bot import content as content_module
from bot.content import (
    CHAT_LIMIT,
    INTENT_KEYS,
    LANGUAGES,
    MIN_PHRASINGS,
    OFFERABLE_INTENT_KEYS,
    RESPONSE_ONLY_KEYS,
    SMS_CHANNEL,
    SMS_LIMIT,
    SPANISH_SMS_SEGMENTS,
    Content,
    language_of,
    sms_segments,
    sms_variations,
)

# intents whose phrasings are not answers of their own (replies to a question, yes/no)
HELPER_INTENTS = {"choose_sense", "affirm", "deny"}


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


def check_responses(content: Content) -> list[str]:
    problems = []
    faq_keys = content.faq_keys
    for key in (*faq_keys, *sorted(INTENT_KEYS), *sorted(RESPONSE_ONLY_KEYS)):
        name = content.response_name(key)
        if name not in content.responses:
            where = "data/nlu/faq/*.yml" if key in faq_keys else "domain.yml"
            problems.append(f"answer '{key}' has no response: add '{name}' to {where}")
    for key in (*faq_keys, *sorted(OFFERABLE_INTENT_KEYS)):
        if f"utter_title_{key}" not in content.responses:
            problems.append(f"answer '{key}' has no button title: add 'utter_title_{key}' to domain.yml")
    for name, variations in content.responses.items():
        english = [v for v in variations if language_of(v) == "en"]
        plain = [v for v in english if not v.get("channel")]
        sms = [v for v in english if v.get("channel") == SMS_CHANNEL]
        for v in plain:
            if len(v.get("text", "")) > CHAT_LIMIT:
                problems.append(f"'{name}' is {len(v['text'])} characters: keep chat answers under {CHAT_LIMIT}")
            if len(v.get("text", "")) > SMS_LIMIT and not sms:
                problems.append(f"'{name}' is over {SMS_LIMIT} characters and needs an SMS version (channel: twilio)")
        for v in sms:
            if len(v.get("text", "")) > SMS_LIMIT:
                problems.append(f"the SMS version of '{name}' is {len(v['text'])} characters: at most {SMS_LIMIT}")
        problems += check_spanish(name, variations)
    return problems


SPANISH_CONDITION = "condition: [{type: slot, name: language, value: es}]"


def check_spanish(name: str, variations: list[dict]) -> list[str]:
    """Every response has its Spanish text, and a Spanish SMS one wherever English has one:
    Rasa prefers a variation for the channel over one for the language, so without it a
    Spanish texter would get the English SMS."""
    problems = []
    unknown = sorted({language_of(v) for v in variations} - set(LANGUAGES))
    if unknown:
        problems.append(f"'{name}' has a condition on a language this assistant doesn't speak: {', '.join(unknown)}")
    spanish = [v for v in variations if language_of(v) == "es"]
    plain = [v for v in spanish if not v.get("channel")]
    sms = [v for v in spanish if v.get("channel") == SMS_CHANNEL]
    if not plain:
        problems.append(f"'{name}' has no Spanish text: add a variation with {SPANISH_CONDITION} "
                        "(utter_crisis in domain.yml shows how)")
    english_sms = [v for v in variations if language_of(v) == "en" and v.get("channel") == SMS_CHANNEL]
    if english_sms and not sms:
        problems.append(f"'{name}' has an English SMS version but no Spanish one: add a variation with "
                        f"channel: twilio and {SPANISH_CONDITION}, or Spanish texters get the English SMS")
    for v in plain:
        if len(v.get("text", "")) > CHAT_LIMIT:
            problems.append(f"the Spanish text of '{name}' is {len(v['text'])} characters: "
                            f"keep chat answers under {CHAT_LIMIT}")
        if len(v.get("text", "")) > SMS_LIMIT and not sms:
            problems.append(f"the Spanish text of '{name}' is over {SMS_LIMIT} characters and needs a Spanish "
                            f"SMS version (channel: twilio and {SPANISH_CONDITION})")
    for variation in sms_variations(variations, "es"):
        body = spanish_sms_body(variation)
        segments = sms_segments(body)
        if segments is None:
            odd = "".join(sorted({ch for ch in body if sms_segments(ch) is None}))
            problems.append(f"the Spanish SMS of '{name}' has characters GSM-7 lacks even after folding: {odd}")
        elif segments > SPANISH_SMS_SEGMENTS:
            problems.append(f"the Spanish SMS of '{name}' takes {segments} SMS segments: "
                            f"shorten it to at most {SPANISH_SMS_SEGMENTS}")
    return problems


def spanish_sms_body(variation: dict) -> str:
    """The SMS a Spanish texter gets from a variation: Spanish facility details filled in, buttons
    numbered, folded to GSM-7, all as the SMS channel does it."""
    from bot.channels.sms import format_reply
    from bot.nlg import spanish_template_values
    from bot.settings import load as load_settings

    loaded = load_settings()
    values = {**loaded.template_values(), **spanish_template_values(loaded.facility)}
    text = str(variation.get("text", ""))
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return format_reply([{"text": text, "buttons": variation.get("buttons") or []}], "es")


def check_phrasings(content: Content) -> list[str]:
    problems = []
    for key in (*content.faq_keys, *sorted(INTENT_KEYS - {"crisis"}), "crisis", *sorted(HELPER_INTENTS)):
        count = len(content.phrasings.get(key, []))
        if count < MIN_PHRASINGS:
            problems.append(f"answer '{key}' has {count} training phrasings: it needs at least {MIN_PHRASINGS}")
    seen: dict[str, set[str]] = defaultdict(set)
    for key, examples in content.phrasings.items():
        for example in examples:
            seen[_norm(example)].add(key)
    for text, keys in sorted(seen.items()):
        if len(keys) > 1:
            answers = ", ".join(sorted(keys))
            problems.append(f"the phrasing '{text}' is under several answers ({answers}): keep it under one")
    return problems


def run_checks(content: Content | None = None) -> list[str]:
    content = content or content_module.load()
    return check_responses(content) + check_phrasings(content)
