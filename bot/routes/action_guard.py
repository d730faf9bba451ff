"""A bounded wait for the action server, with a polite reply when it fails.

Rasa waits up to a hard-coded 300 s for a custom action and, if the action
server is down or fails, sends the visitor nothing. So Rasa's action endpoint
points here instead (``python -m bot run`` writes that into the runtime
endpoints file): this route, on the Rasa server itself and only for loopback
callers holding the per-run key, forwards the call to the real action server
and, if that does not answer within ``limits.action_timeout_seconds`` (default
5 s) or fails, answers for it with the ``utter_try_again`` response.
Everything that needs no custom action (crisis, greetings...) is unaffected.
"""
from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.settings import load as load_settings

logger = logging.getLogger(__name__)
KEY_ENV, TARGET_ENV = "IOP_ACTION_GUARD_KEY", "IOP_ACTION_SERVER_URL"
FALLBACK = {"events": [], "responses": [{"response": "utter_try_again"}]}


class ActionGuard(InputChannel):
    """Registered like a channel so its route lives on the Rasa server; it takes no visitor messages."""

    @classmethod
    def name(cls) -> str:
        return "action_guard"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        guard = Blueprint("iop_action_guard", __name__)
        key, target = os.environ.get(KEY_ENV, ""), os.environ.get(TARGET_ENV, "")
        timeout = aiohttp.ClientTimeout(total=load_settings().action_timeout_seconds)

        @guard.route("/webhook", methods=["POST"])
        async def forward(request: Request) -> HTTPResponse:
            if not key or not hmac.compare_digest(request.args.get("key", ""), key) or request.ip not in {
                "127.0.0.1", "::1"}:
                return response.json({"error": "not found"}, status=404)
            try:
                async with aiohttp.ClientSession(timeout=timeout) as session, session.post(
                    target, data=request.body, headers={"Content-Type": "application/json"}
                ) as reply:
                    body = await reply.read()
                    if reply.status == 200:
                        return response.raw(body, content_type="application/json")
                    logger.error("action server answered HTTP %s", reply.status)
            except Exception as exc:  # down, hanging, or broken: the visitor still gets a reply
                logger.error("action server did not answer in time (%s)", type(exc).__name__)
            return response.json(FALLBACK)

        return guard
