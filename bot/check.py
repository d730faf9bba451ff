"""The content check: tells an editor in plain words what is missing or clashing."""
from __future__ import annotations

import re
from collections import defaultdict

from bot import content as content_module
from bot.content import (
    CHAT_LIMIT,
    INTENT_KEYS,
    MIN_PHRASINGS,
    OFFERABLE_INTENT_KEYS,
    RESPONSE_ONLY_KEYS,
    SMS_LIMIT,
    Content,
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
        plain = [v for v in variations if not v.get("channel")]
        sms = [v for v in variations if v.get("channel") == "twilio"]
        for v in plain:
            if len(v.get("text", "")) > CHAT_LIMIT:
                problems.append(f"'{name}' is {len(v['text'])} characters: keep chat answers under {CHAT_LIMIT}")
            if len(v.get("text", "")) > SMS_LIMIT and not sms:
                problems.append(f"'{name}' is over {SMS_LIMIT} characters and needs an SMS version (channel: twilio)")
        for v in sms:
            if len(v.get("text", "")) > SMS_LIMIT:
                problems.append(f"the SMS version of '{name}' is {len(v['text'])} characters: at most {SMS_LIMIT}")
    return problems


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
