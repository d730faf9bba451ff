"""REST channel: ``POST /webhooks/rest/webhook`` with ``{"sender": ..., "message": ...}``.

Unlike Rasa's own, it rejects a request without a sender (400) instead of filing
it under a shared conversation, caps the body size (413), applies input hygiene,
stores the conversation as ``rest:<sender>``, and tells which response (answer
key) each reply came from.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.common import NamedResponseCollector, conversation_id, text_for_rasa
from bot.channels.limits import RateLimiter
from bot.settings import load as load_settings

logger = logging.getLogger(__name__)
MAX_SENDER_CHARS = 128


def _error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": message}, status=status)


class RestInput(InputChannel):
    """The REST channel used by the staff shell, tests and server-side integrations."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"iop_{self.name()}_webhook", __name__)
        settings = load_settings()
        limiter = RateLimiter(settings.messages_per_minute_per_conversation, settings.messages_per_minute_per_address)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if len(request.body or b"") > settings.max_body_bytes:
                return _error(413, "request body too large")
            try:
                payload = json.loads(request.body or b"")
            except (ValueError, UnicodeDecodeError):
                return _error(400, "the body must be JSON: {\"sender\": \"...\", \"message\": \"...\"}")
            if not isinstance(payload, dict):
                return _error(400, "the body must be a JSON object")
            sender, message = payload.get("sender"), payload.get("message")
            if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
                return _error(400, f"'sender' must be a non-empty string of at most {MAX_SENDER_CHARS} characters")
            if message is not None and not isinstance(message, str):
                return _error(400, "'message' must be a string")
            conversation = conversation_id(self.name(), sender)
            # behind nginx, remote_addr is the visitor's (X-Forwarded-For, trusted by SANIC_PROXIES_COUNT)
            if not limiter.allow(conversation, request.remote_addr or request.ip or "?"):
                return _error(429, "too many messages: please slow down")
            text = await text_for_rasa(request, conversation, message)
            collector = NamedResponseCollector(self.name(), sender)
            await on_new_message(UserMessage(text, collector, conversation, input_channel=self.name()))
            return response.json(collector.messages)

        return webhook
