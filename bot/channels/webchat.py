"""Website chat: Rasa's socket.io channel, fixed and extended, plus the widget's files.

- ``enter_room`` is awaited (with python-socketio >= 5.10 Rasa's call drops every reply);
- WebSocket and polling connections are accepted only from the allowed origins
  (Rasa passes an empty list, which turns python-socketio's origin check off);
- a session id confirmed by the server is kept by the page; returning visitors
  get their history, new sessions the greeting, sent by the server;
- input hygiene, per-conversation and per-address rate limits, and "clear
  conversation", which deletes the conversation on the server too;
- each bot message carries its response name and answer key, and answers a visitor
  can rate are flagged (``feedback``); a vote (``/feedback{...}``) is stored, never
  answered, and confirmed to the session's tabs with ``feedback_saved``;
- the widget (``/chat/widget.js``), its styles, the socket.io client from npm and
  a demo page (``/chat/``) are served by the same server.
"""
from __future__ import annotations

import json
import logging
import os
import re
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot import privacy
from bot.channels import feedback, hygiene
from bot.channels.common import conversation_id, prepare_text
from bot.channels.limits import RateLimiter
from bot.settings import ROOT
from bot.settings import load as load_settings

logger = logging.getLogger(__name__)
WIDGET_DIR = ROOT / "bot" / "widget"
STATIC = {
    "widget.js": (WIDGET_DIR / "widget.js", "application/javascript"),
    "widget.css": (WIDGET_DIR / "widget.css", "text/css"),
    "demo.css": (WIDGET_DIR / "demo.css", "text/css"),
    "vendor/socket.io.min.js": (ROOT / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js",
                                "application/javascript"),
}
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'")
SESSION_ID = re.compile(r"^[0-9a-f]{32}$")
CHANNEL = "web"


def allowed_origins() -> list[str]:
    settings = load_settings()
    own = [f"http://127.0.0.1:{settings.port}", f"http://localhost:{settings.port}",
           f"http://{settings.host}:{settings.port}"]
    return sorted(set(settings.allowed_origins) | set(own))


def visitor_address(environ: dict[str, Any]) -> str:
    """The visitor's address: nginx's X-Forwarded-For when the server runs behind it (bot/scale.py)."""
    forwarded = environ.get("HTTP_X_FORWARDED_FOR", "") if os.environ.get("SANIC_PROXIES_COUNT") else ""
    return forwarded.split(",")[-1].strip() or environ.get("REMOTE_ADDR") or "?"


class WebOutput(OutputChannel):
    """Sends each bot message as one ``bot_uttered`` event with its response name."""

    def __init__(self, sio: AsyncServer, room: str) -> None:
        self.sio = sio
        self.room = room

    @classmethod
    def name(cls) -> str:
        return "socketio"

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        event: dict[str, Any] = {"text": (message.get("text") or "").strip()}
        buttons = message.get("buttons") or message.get("quick_replies")
        if buttons:
            event["buttons"] = [{"title": b.get("title", ""), "payload": b.get("payload", "")} for b in buttons]
        if message.get("utter_action"):
            event.update(_answer_fields(message["utter_action"]))
        if event["text"] or buttons:
            await self.sio.emit("bot_uttered", event, room=self.room)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})


def _answer_fields(response: str) -> dict[str, Any]:
    """What the widget needs to know of a bot message: its response name, answer key, and whether
    it is an answer the visitor can rate ("Was this helpful?")."""
    fields: dict[str, Any] = {"response": response, "answer_key": feedback.answer_key(response)}
    if feedback.is_rateable(response):
        fields["feedback"] = True
    return fields


def history(events: list[Any]) -> list[dict[str, Any]]:
    """The visible transcript of a stored conversation: button clicks shown by their title, each
    answer with its key and the visitor's last vote on it."""
    shown: list[dict[str, Any]] = []
    offered: list[dict[str, Any]] = []
    for event in events:
        if event.type_name == "bot" and (event.text or (event.data or {}).get("buttons")):
            buttons = (event.data or {}).get("buttons") or []
            response = feedback.response_of(event)
            shown.append({"sender": "bot", "text": event.text or "",
                          **({"buttons": buttons} if buttons else {}),
                          **(_answer_fields(response) if response else {})})
            offered = buttons
        elif feedback.is_vote(event):
            vote = feedback.vote_of(event)
            rated = next((m for m in reversed(shown) if vote and m.get("answer_key") == vote.answer_key
                          and m.get("feedback")), None)
            if vote and rated is not None:
                rated["vote"] = {"vote": vote.vote, **({"reason": vote.reason} if vote.reason else {})}
        elif event.type_name == "user" and event.text:
            if event.text.startswith("/"):
                title = next((b["title"] for b in offered if b.get("payload") == event.text), None)
                if title is None:
                    continue  # internal (greeting, empty message): not something the visitor typed
                shown[-1]["chosen"] = title
                shown.append({"sender": "user", "text": title})
            else:
                shown.append({"sender": "user", "text": event.text})
            offered = []
    return shown


class WebChatInput(SocketIOInput):
    """The website chat channel (socket.io) and the widget's files."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        return cls(socketio_path=credentials.get("socketio_path", "/socket.io"), session_persistence=True)

    def get_output_channel(self) -> OutputChannel | None:
        return None  # replies go to a session's room; there is no channel-wide output

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        settings = load_settings()
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=allowed_origins(),
                          max_http_buffer_size=settings.max_body_bytes)
        self.sio = sio
        webhook = _WidgetBlueprint(sio, self.socketio_path or "/socket.io", "iop_webchat", __name__)
        sessions: dict[str, str] = {}  # socket id -> session id
        limiter = RateLimiter(settings.messages_per_minute_per_conversation, settings.messages_per_minute_per_address)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        def store() -> Any:
            agent = getattr(webhook.ctx, "app", None) and webhook.ctx.app.ctx.agent
            return agent.tracker_store if agent else None

        async def say(session: str, text: str) -> None:
            await on_new_message(UserMessage(text, WebOutput(sio, session), conversation_id(CHANNEL, session),
                                             input_channel=self.name()))

        @sio.on("connect")
        async def connect(sid: str, environ: dict, auth: Any = None) -> bool:
            await sio.save_session(sid, {"address": visitor_address(environ)})
            return True

        @sio.on("disconnect")
        async def disconnect(sid: str) -> None:
            sessions.pop(sid, None)

        @sio.on("session_request")
        async def session_request(sid: str, data: Any) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            session = requested if isinstance(requested, str) and SESSION_ID.match(requested) else uuid.uuid4().hex
            old = sessions.get(sid)
            if old and old != session:
                await sio.leave_room(sid, old)
            sessions[sid] = session
            await sio.enter_room(sid, session)  # awaited: Rasa's unawaited call loses every reply
            await sio.emit("session_confirm", session, room=sid)
            tracker = await store().retrieve(conversation_id(CHANNEL, session)) if store() else None
            shown = history(list(tracker.events)) if tracker else []
            if shown:
                await sio.emit("history", {"messages": shown}, room=sid)
            else:
                await say(session, "/greet")  # the server greets a new session, not the page

        @sio.on("user_uttered")
        async def user_uttered(sid: str, data: Any) -> None:
            session = sessions.get(sid)
            if session is None:
                await sio.emit("error_message", {"text": "Please reload the page to start a chat."}, room=sid)
                return
            address = (await sio.get_session(sid)).get("address", "?")
            if not limiter.allow(session, address):
                await sio.emit("error_message", {"text": _rate_limited_text(webhook), "response": "utter_rate_limited"},
                               room=sid)
                return
            raw = data.get("message") if isinstance(data, dict) else None
            text = await prepare_text(store(), conversation_id(CHANNEL, session), raw)
            if isinstance(raw, str) and text == raw.strip() and not text.startswith("/"):
                await sio.emit("user_echo", {"text": text}, room=session, skip_sid=sid)
            await say(session, text)
            vote = hygiene.feedback_payload(text)
            if vote:  # stored, never answered: tell every tab of the session it was kept
                await sio.emit("feedback_saved", json.loads(vote[len("/feedback"):]), room=session)

        @sio.on("clear_session")
        async def clear_session(sid: str, data: Any) -> None:
            session = sessions.pop(sid, None)
            if session is None:
                return
            await sio.leave_room(sid, session)
            if store() is not None:
                privacy.forget(store(), conversation_id(CHANNEL, session))

        return webhook


def _rate_limited_text(webhook: _WidgetBlueprint) -> str:
    """The domain's utter_rate_limited, sent without running the model."""
    agent = webhook.ctx.app.ctx.agent
    variations = agent.domain.responses.get("utter_rate_limited") or [{"text": "Please slow down a little."}]
    return variations[0]["text"]


class _WidgetBlueprint(SocketBlueprint):
    """Attaches socket.io and the widget's files (``/chat/...``) to the app."""

    def register(self, app: Sanic, options: dict[str, Any]) -> None:
        self.ctx.app = app
        super().register(app, options)
        app.add_route(_demo_page, "/chat/", methods=["GET"], name="iop_chat_demo")
        app.add_route(_static, "/chat/<name:path>", methods=["GET"], name="iop_chat_static")


async def _demo_page(request: Request) -> HTTPResponse:
    return _file(WIDGET_DIR / "index.html", "text/html; charset=utf-8")


async def _static(request: Request, name: str) -> HTTPResponse:
    if name in {"", "index.html"}:
        return await _demo_page(request)
    if name not in STATIC:
        return response.json({"error": "not found"}, status=404)
    path, kind = STATIC[name]
    return _file(path, f"{kind}; charset=utf-8")


def _file(path: Path, kind: str) -> HTTPResponse:
    if not path.exists():
        return response.json({"error": f"{path.name} is missing: run make setup"}, status=404)
    headers = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}
    return response.raw(path.read_bytes(), content_type=kind, headers=headers)
