"""Input hygiene shared by every channel: what text of a visitor's reaches Rasa.

- nothing readable (empty, whitespace, control or zero-width characters) -> the
  internal ``/empty_message`` intent; text over the length limit -> ``/too_long``
  (the text itself never reaches the model);
- a reply that is exactly a payload the bot offered in its last turn, the
  number of one of those buttons ("2"), or its title, -> that button's payload;
- a vote on an answer given in the conversation (``/feedback{...}``, see
  ``bot/channels/feedback.py``) -> the vote, rebuilt from checked values;
- any other text starting with "/" is plain text: the slashes are dropped, so
  nobody can trigger internal intents or set slots (``/restart``,
  ``/greet{"iop_sense": "eye"}``).
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from bot.channels.feedback import is_vote

EMPTY = "/empty_message"
TOO_LONG = "/too_long"
_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def clean_text(raw: str) -> str:
    """NFC-normalised text without control/format characters, whitespace collapsed."""
    text = unicodedata.normalize("NFC", raw)
    # tabs and line breaks are control characters too, but they separate words
    text = "".join(ch for ch in text if ch in "\t\n\r" or unicodedata.category(ch) not in _INVISIBLE)
    return re.sub(r"\s+", " ", text).strip()


def offered_buttons(events: Iterable[Any]) -> list[dict[str, Any]]:
    """Buttons of the bot's messages since the visitor's last message (its last turn; a vote on an
    answer is not a turn, so "2" after a vote still picks the second button)."""
    buttons: list[dict[str, Any]] = []
    for event in reversed(list(events)):
        name = getattr(event, "type_name", None) or (event.get("event") if isinstance(event, dict) else None)
        if name == "user" and not is_vote(event):
            break
        if name == "bot":
            data = event.data if hasattr(event, "data") else event.get("data") or {}
            buttons = list((data or {}).get("buttons") or []) + buttons
    return buttons


def prepare(raw: Any, offered: list[dict[str, Any]], max_chars: int, answered: set[str] | None = None) -> str:
    """The text to hand to Rasa for what the visitor sent. A vote is taken only on an answer key
    in ``answered`` (the answers given in the conversation), when that is known."""
    if not isinstance(raw, str):
        return EMPTY
    if len(raw) > max_chars * 4:  # don't even clean a huge body
        return TOO_LONG
    text = clean_text(raw)
    if not text:
        return EMPTY
    if len(text) > max_chars:
        return TOO_LONG
    payloads = [b.get("payload", "") for b in offered]
    if text in payloads:
        return text
    if re.fullmatch(r"[0-9]{1,2}", text) and 1 <= int(text) <= len(offered):
        return payloads[int(text) - 1]
    by_title = {str(b.get("title", "")).casefold(): b.get("payload", "") for b in offered}
    if text.casefold() in by_title:
        return by_title[text.casefold()]
    vote = feedback_payload(text)
    if vote and (answered is None or json.loads(vote[len("/feedback"):])["answer_key"] in answered):
        return vote
    if text.startswith("/"):
        return text.lstrip("/ ") or EMPTY
    return text


VOTES, REASONS = {"up", "down"}, {"wrong", "incomplete", "too_long", "unclear", "other"}
FEEDBACK = re.compile(r"/feedback(\{.*\})")


def feedback_payload(text: str) -> str | None:
    """A vote on an answer (the widget's thumbs, the shell's /good and /bad), rebuilt from checked
    values so nothing else can ride along; None for anything else."""
    match = FEEDBACK.fullmatch(text)
    if not match:
        return None
    try:
        data = json.loads(match.group(1))
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    key, vote, reason = data.get("answer_key"), data.get("vote"), data.get("reason")
    if not isinstance(key, str) or not re.fullmatch(r"[a-z][a-z0-9_]{1,60}", key) or vote not in VOTES:
        return None
    clean = {"answer_key": key, "vote": vote}
    if vote == "down" and reason in REASONS:
        clean["reason"] = reason
    return "/feedback" + json.dumps(clean)
