"""What every connector of ours shares: conversation ids, offered buttons, the reply collector, and the
language of a channel's own texts (the conversation's ``language`` slot)."""
from __future__ import annotations

from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel
from sanic.request import Request

from bot.channels import feedback, hygiene
from bot.settings import load as load_settings

LANGUAGE_SLOT, LANGUAGES, ENGLISH = "language", ("en", "es"), "en"


def conversation_id(channel: str, sender: str) -> str:
    """Ids are stored as ``<channel>:<id>`` so one channel can't write into another's conversation."""
    return f"{channel}:{sender}"


async def prepare_text(store: Any, conversation: str, raw: Any) -> str:
    """Apply input hygiene, knowing which buttons the bot offered in its last turn."""
    tracker = await store.retrieve(conversation) if store is not None else None
    events = list(tracker.events) if tracker is not None else []
    return hygiene.prepare(raw, hygiene.offered_buttons(events), load_settings().max_message_chars,
                           answered=feedback.answered_keys(events))  # votes only on answers given here


async def text_for_rasa(request: Request, conversation: str, raw: Any) -> str:
    """``prepare_text`` with the store of the app that received ``request``."""
    agent = getattr(request.app.ctx, "agent", None)
    return await prepare_text(agent.tracker_store if agent is not None else None, conversation, raw)


def slot_language(tracker: Any) -> str | None:
    """The conversation's ``language`` slot ("en" or "es"), or None while it has none."""
    slot = (getattr(tracker, "slots", None) or {}).get(LANGUAGE_SLOT)
    value = str(getattr(slot, "value", None) or "").casefold()
    return value if value in LANGUAGES else None


def message_language(text: Any) -> str | None:
    """The language a visitor's message is clearly written in (bot/nlu/language.py), or None."""
    if not isinstance(text, str) or not text.strip() or text.lstrip().startswith("/"):
        return None
    from bot.nlu.language import detect  # lazily: it loads the language models on first use

    return detect(text)


async def conversation_language(store: Any, conversation: str, text: Any = None) -> str | None:
    """The language for a channel's own texts: the conversation's ``language`` slot as stored (after
    the turn, when called after it), else that of the visitor's ``text``, else None (unknown)."""
    tracker = await store.retrieve(conversation) if store is not None else None
    return slot_language(tracker) or message_language(text)


class NamedResponseCollector(CollectingOutputChannel):
    """Collects replies with the name of the response each came from (its answer key)."""

    def __init__(self, channel_name: str, recipient_id: str) -> None:
        super().__init__()
        self._channel_name = channel_name
        self._recipient = recipient_id  # what the caller sent, not the stored id

    def name(self) -> str:  # picks the response variations for this channel
        return self._channel_name

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        before = len(self.messages)
        response = message.get("utter_action")
        await super().send_response(self._recipient, message)
        for sent in self.messages[before:]:
            if response:
                sent["response"] = response

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        # one message per response: Rasa's collector splits paragraphs into several
        await self._persist_message(self._message(recipient_id, text=text.strip()))
