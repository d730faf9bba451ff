"""Votes on answers ("Was this helpful?"): which replies can be rated, and how a vote is stored.

A vote is the visitor message ``/feedback{"answer_key": ..., "vote": "up"|"down", "reason": ...}``
(the widget's thumbs, the staff shell's ``/good`` and ``/bad``, an SMS "Y"/"N" — "S"/"N" in
Spanish — when ``feedback.sms_ask`` is on). It is stored with its conversation as an ordinary user event
with the intent ``feedback``, which the router policy answers with nothing but
``action_listen``: no reply, no slot change. Input hygiene rebuilds the payload from
checked values (``hygiene.feedback_payload``); a channel takes it only for an answer that
was given in that conversation. The staff report counts the last vote on each answer.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

FEEDBACK_INTENT = "feedback"
# Replies that answer a question and so can be rated: every utter_faq/<key>, the other senses,
# the handoff, the medical boundary and the facility reply. Not greetings, crisis or fallbacks.
RATEABLE_KEYS = frozenset({"iop_eye", "iop_stock", "php_programming", "human_handoff", "medical_advice",
                           "facility_question"})
REASON_LABELS = {  # reason -> what the widget and the report call it
    "wrong": "Wrong answer",
    "incomplete": "Incomplete",
    "too_long": "Too long",
    "unclear": "Hard to understand",
    "other": "Other",
}
# what a staff member may type after /bad
REASON_WORDS = {"wrong": "wrong", "incorrect": "wrong", "incomplete": "incomplete", "missing": "incomplete",
                "long": "too_long", "too_long": "too_long", "too-long": "too_long", "unclear": "unclear",
                "confusing": "unclear", "hard": "unclear", "other": "other"}
SMS_YES, SMS_NO = frozenset({"y", "yes", "yeah", "yep", "si", "sí"}), frozenset({"n", "no", "nope"})
# A Spanish SMS asks "Responde S o N": S is yes there (and only there: in English it means nothing).
SMS_YES_ES = SMS_YES | {"s", "sip", "claro"}


def answer_key(response: str | None) -> str | None:
    """utter_faq/iop_cost -> iop_cost; utter_iop_eye -> iop_eye; None for no response name."""
    if not response or not response.startswith("utter_"):
        return None
    name = response.removeprefix("utter_")
    return name.split("/", 1)[1] if "/" in name else name


def is_rateable(response: str | None) -> bool:
    """Whether a bot message with this response name gets a "Was this helpful?" control."""
    if not response:
        return False
    return response.startswith("utter_faq/") or answer_key(response) in RATEABLE_KEYS


def vote_payload(key: str, vote: str, reason: str | None = None) -> str:
    """The message that records a vote (checked again by input hygiene on the way in)."""
    data: dict[str, str] = {"answer_key": key, "vote": vote}
    if vote == "down" and reason:
        data["reason"] = reason
    return "/feedback" + json.dumps(data)


def _kind(event: Any) -> str | None:
    if isinstance(event, dict):
        return event.get("event")
    return getattr(event, "type_name", None)


def _field(event: Any, name: str) -> Any:
    return event.get(name) if isinstance(event, dict) else getattr(event, name, None)


def response_of(event: Any) -> str | None:
    """The response name a stored bot event came from (its answer key's response)."""
    metadata = _field(event, "metadata") or {}
    return metadata.get("utter_action") if isinstance(metadata, dict) else None


def _parse(event: Any) -> dict[str, Any]:
    """intent and entities of a user event: a stored dict or Rasa's UserUttered."""
    if isinstance(event, dict):
        return event.get("parse_data") or {}
    return {"intent": getattr(event, "intent", None) or {}, "entities": getattr(event, "entities", None) or []}


def intent_of(event: Any) -> str | None:
    return (_parse(event).get("intent") or {}).get("name")


def is_vote(event: Any) -> bool:
    return _kind(event) == "user" and intent_of(event) == FEEDBACK_INTENT


@dataclass(frozen=True)
class Vote:
    answer_key: str
    vote: str  # up | down
    reason: str | None = None


def vote_of(event: Any) -> Vote | None:
    """The vote a stored user event records (its entities), or None."""
    if not is_vote(event):
        return None
    values = {e.get("entity"): e.get("value") for e in _parse(event).get("entities") or [] if isinstance(e, dict)}
    key, vote = values.get("answer_key"), values.get("vote")
    if not isinstance(key, str) or vote not in {"up", "down"}:
        return None
    reason = values.get("reason") if vote == "down" and values.get("reason") in REASON_LABELS else None
    return Vote(key, vote, reason)


def answered_keys(events: Iterable[Any]) -> set[str]:
    """The answer keys of the rateable replies given in a conversation."""
    keys = set()
    for event in events:
        if _kind(event) == "bot" and is_rateable(response_of(event)):
            keys.add(answer_key(response_of(event)) or "")
    return keys - {""}


def last_turn_answer(events: Iterable[Any]) -> str | None:
    """The key of the last rateable reply in the bot's last turn (since the visitor's last message,
    votes aside), or None: what an SMS "Y"/"N" right after an answer rates."""
    for event in reversed(list(events)):
        kind = _kind(event)
        if kind == "user":
            return None  # the visitor spoke since (a vote too: one Y/N per answer)
        if kind == "bot" and is_rateable(response_of(event)):
            return answer_key(response_of(event))
    return None


def sms_vote(word: str, events: Iterable[Any], language: str | None = None) -> str | None:
    """The vote payload for an SMS reply of Y or N (S or N in a Spanish conversation, ``language``
    "es") right after an answer that asked for one, else None. ``word`` is lower-cased."""
    yes = SMS_YES_ES if language == "es" else SMS_YES
    vote = "up" if word in yes else "down" if word in SMS_NO else None
    if vote is None:
        return None
    key = last_turn_answer(events)
    return vote_payload(key, vote) if key else None


def shell_vote(line: str, key: str | None) -> tuple[str | None, str]:
    """A staff shell command ``/good`` or ``/bad [reason]``: (the payload to send or None, what to print)."""
    words = line.strip().split()
    command, rest = words[0].lower(), [w.lower() for w in words[1:]]
    if key is None:
        return None, "(no answer to rate yet: ask a question first)"
    if command == "/good":
        return vote_payload(key, "up"), f"(vote recorded: up for {key})"
    reason = next((REASON_WORDS[w] for w in rest if w in REASON_WORDS), "other" if rest else None)
    if rest and " ".join(rest[:2]) == "too long":
        reason = "too_long"
    said = f", {REASON_LABELS[reason].lower()}" if reason else ""
    return vote_payload(key, "down", reason), f"(vote recorded: down{said} for {key})"
