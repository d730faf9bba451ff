"""SMS over Twilio: a webhook that answers inline with TwiML.

Unlike Rasa's built-in channel it checks ``X-Twilio-Signature`` (403 otherwise),
stores a keyed HMAC of the phone number instead of the number, sends one SMS per
turn in plain GSM-7 text with buttons as a numbered list ("Reply 1, 2 or 3:"),
never answers STOP-type keywords, answers HELP with ``utter_sms_help``, treats a
photo-only message as an empty one, and answers a retried ``MessageSid`` once,
from a cache. It asks for no feedback unless ``feedback.sms_ask`` is on: then an
answer ends with "Reply Y or N" and a Y or N sent right after is stored as a vote
on it (bot/channels/feedback.py), unanswered. The channel's own words follow the
conversation's ``language`` slot as it is after the turn, else the language the
message is written in, else English: "Responde 1, 2 o 3:", "Responde S o N" (S,
SI or SÍ is a yes).
No outbound API call is made: nothing blocks on the network.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import unicodedata
import urllib.parse
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from bot.channels import feedback
from bot.channels.common import (
    ENGLISH,
    NamedResponseCollector,
    conversation_id,
    message_language,
    slot_language,
    text_for_rasa,
)
from bot.settings import load as load_settings

logger = logging.getLogger(__name__)
CHANNEL = "sms"
WEBHOOK_PATH = "/webhooks/twilio/webhook"
MAX_SMS_CHARS = 1600  # Twilio's limit for one message (it splits into segments)
STOP_WORDS = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "revoke"}
HELP_WORDS = {"help", "info"}
HELP_PAYLOAD = "/sms_help"
_GSM_REPLACEMENTS = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-", "\u2026": "...", "\u00a0": " ", "\u2022": "-",
    "\u2192": "->", "\u2713": "", "\u00b7": "-",
}


class MissingSecret(RuntimeError):
    """SMS is enabled but a secret it needs is not in the environment."""


def secrets_from_env() -> tuple[str, bytes]:
    token, key = os.environ.get("TWILIO_AUTH_TOKEN", ""), os.environ.get("IOP_SENDER_KEY", "")
    missing = [name for name, value in (("TWILIO_AUTH_TOKEN", token), ("IOP_SENDER_KEY", key)) if not value]
    if missing:
        raise MissingSecret(
            f"SMS is enabled but {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: "
            "export TWILIO_AUTH_TOKEN (from the Twilio console) and IOP_SENDER_KEY (a long random secret, "
            "e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`), or set IOP_SMS_ENABLED=0."
        )
    return token, key.encode()


def sender_hash(key: bytes, phone: str) -> str:
    """A stable conversation id for a phone number that does not reveal the number."""
    return hmac.new(key, phone.strip().encode(), hashlib.sha256).hexdigest()[:32]


# The GSM-7 basic alphabet's letters beyond ASCII: kept as they are ("¿Cuánto?" keeps ¿,
# loses the accent on á, which GSM-7 lacks; one such character would make the SMS UCS-2).
GSM7_EXTRA = set("£¥èéùìòÇØøÅåΔΦΓΛΩΠΨΣΘΞÆæßÉÄÖÑÜ§¿äöñüà¡")


def to_gsm_text(text: str) -> str:
    """Plain text that fits the GSM-7 alphabet: smart quotes, dashes and emoji replaced or dropped,
    accented letters GSM-7 lacks written without the accent."""
    out = []
    for ch in text:
        ch = _GSM_REPLACEMENTS.get(ch, ch)
        if len(ch) == 1 and ord(ch) > 127 and ch not in GSM7_EXTRA:
            ch = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
        out.append(ch)
    lines = [" ".join(line.split()) for line in "".join(out).splitlines()]
    return "\n".join(lines).strip()


# How the numbered list of buttons is introduced, by language: (verb, "or").
_REPLY_WORDS = {"en": ("Reply", "or"), "es": ("Responde", "o")}


def reply_prompt(count: int, language: str | None = None) -> str:
    """"Reply 1, 2 or 3:" ("Responde 1, 2 o 3:" in Spanish) for ``count`` numbered buttons."""
    verb, either = _REPLY_WORDS.get(language or "en", _REPLY_WORDS["en"])
    numbers = [str(i) for i in range(1, count + 1)]
    return f"{verb} {', '.join(numbers[:-1])} {either} {numbers[-1]}:" if count > 1 else f"{verb} 1:"


def format_reply(messages: list[dict[str, Any]], language: str | None = None) -> str:
    """One SMS for the whole turn: texts, then buttons as a numbered list introduced in the
    conversation's ``language`` (English unless "es")."""
    parts: list[str] = []
    for message in messages:
        text = message.get("text")
        if text:
            parts.append(text.strip())
        buttons = message.get("buttons") or []
        if buttons:
            numbers = [str(i) for i in range(1, len(buttons) + 1)]
            how = reply_prompt(len(buttons), language)
            choices = (f"{n}. {b.get('title', '')}" for n, b in zip(numbers, buttons, strict=True))
            parts.append("\n".join([how, *choices]))
    body = to_gsm_text("\n\n".join(parts))
    return body if len(body) <= MAX_SMS_CHARS else body[: MAX_SMS_CHARS - 3].rstrip() + "..."


def twiml(body: str | None) -> HTTPResponse:
    reply = MessagingResponse()
    if body:
        reply.message(body)
    return response.text(str(reply), content_type="application/xml")


class _ReplyCache:
    """Replies by MessageSid, so a Twilio retry gets the same answer without a second turn."""

    def __init__(self, size: int = 2000) -> None:
        self.size = size
        self._items: OrderedDict[str, asyncio.Future] = OrderedDict()

    def get_or_start(self, sid: str) -> tuple[asyncio.Future, bool]:
        if sid in self._items:
            self._items.move_to_end(sid)
            return self._items[sid], False
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._items[sid] = future
        while len(self._items) > self.size:
            self._items.popitem(last=False)
        return future, True


class TwilioSMSInput(InputChannel):
    """The SMS channel: Twilio calls ``POST /webhooks/twilio/webhook``."""

    def __init__(self) -> None:
        self.auth_token, self.sender_key = secrets_from_env()
        self.public_url = load_settings().public_url.rstrip("/")
        if not self.public_url:
            raise MissingSecret("SMS is enabled but IOP_PUBLIC_URL (the https address Twilio calls) is not set")
        self.validator = RequestValidator(self.auth_token)
        self.replies = _ReplyCache()

    @classmethod
    def name(cls) -> str:
        return "twilio"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("iop_twilio_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if len(request.body or b"") > load_settings().max_body_bytes:
                return response.text("request body too large", status=413)
            # keep blank values: Twilio signs "Body=" of a photo-only message too
            form = urllib.parse.parse_qs((request.body or b"").decode("utf-8", "replace"), keep_blank_values=True)
            params = {key: values[0] for key, values in form.items()}
            signature = request.headers.get("X-Twilio-Signature", "")
            if not signature or not self.validator.validate(self.public_url + WEBHOOK_PATH, params, signature):
                return response.text("invalid signature", status=403)
            phone = params.get("From", "")
            if not phone:
                return response.text("missing From", status=400)
            sid = params.get("MessageSid") or params.get("SmsSid") or ""
            if sid:
                future, first = self.replies.get_or_start(sid)
                if not first:
                    return twiml(await asyncio.shield(future))
            try:
                body = await self._answer(request, on_new_message, phone, params.get("Body"))
            except Exception:
                logger.exception("sms.turn.failed")
                body = None
            if sid:
                future.set_result(body)
            return twiml(body)

        return webhook

    async def _answer(self, request: Request, on_new_message: Callable, phone: str, raw: str | None) -> str | None:
        word = unicodedata.normalize("NFC", (raw or "").strip().lower()).strip(".!¡?¿ ")
        if word in STOP_WORDS:
            return None  # Twilio handles opt-out itself; never reply to STOP
        conversation = conversation_id(CHANNEL, sender_hash(self.sender_key, phone))
        settings = load_settings()
        vote = None
        if settings.feedback_sms_ask:  # the Y/N answers a question asked in the conversation's language
            before = await _tracker(request, conversation)
            vote = feedback.sms_vote(word, list(before.events) if before is not None else [], slot_language(before))
        text = vote or (HELP_PAYLOAD if word in HELP_WORDS else await text_for_rasa(request, conversation, raw or ""))
        collector = NamedResponseCollector(self.name(), conversation)
        await on_new_message(UserMessage(text, collector, conversation, input_channel=self.name()))
        if vote:
            return None  # a Y/N right after an answer is stored as a vote, not answered
        # the turn may have set or switched the language: read it after the turn
        language = slot_language(await _tracker(request, conversation)) or message_language(raw) or ENGLISH
        body = format_reply(collector.messages, language)
        if settings.feedback_sms_ask and body and any(feedback.is_rateable(m.get("response"))
                                                      for m in collector.messages):
            ask = settings.feedback_sms_ask_text_es if language == "es" else settings.feedback_sms_ask_text
            body = f"{body}\n\n{to_gsm_text(ask)}"  # opt-in: off by default
        return body or None


async def _tracker(request: Request, conversation: str) -> Any:
    """The conversation's stored tracker, or None (for the opt-in Y/N vote and the language)."""
    agent = getattr(request.app.ctx, "agent", None)
    return await agent.tracker_store.retrieve(conversation) if agent is not None else None
