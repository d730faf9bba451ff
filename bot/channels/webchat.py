"""Website chat: Rasa's socket.io channel, fixed and extended, plus the widget's files.

- ``enter_room`` is awaited (with python-socketio >= 5.10 Rasa's call drops every reply);
- WebSocket and polling connections are accepted only from the allowed origins
  (Rasa passes an empty list, which turns python-socketio's origin check off);
- a session id confirmed by the server is kept by the page; returning visitors
  get their history, new sessions the greeting, sent by the server;
- input hygiene, per-conversation and per-address rate limits, and "clear
  conversation", which deletes the conversation on the server too;
- each bot message carries its response name, answer key and the conversation's
  ``language`` slot after the turn (else the language the visitor wrote in; left out
  while unknown, so the widget keeps the page's), which the widget's own texts follow;
  a page in Spanish gets a Spanish greeting; the channel's own texts (rate limited,
  reload) follow the same language; answers a visitor can rate are flagged
  (``feedback``); a vote (``/feedback{...}``) is stored, never
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
from bot.channels.common import (
    ENGLISH,
    LANGUAGE_SLOT,
    LANGUAGES,
    conversation_id,
    conversation_language,
    message_language,
    prepare_text,
    slot_language,
)
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
# The channel's own texts (every other message is a named response in the conversation's language).
RELOAD_TEXT = {"en": "Please reload the page to start a chat.",
               "es": "Vuelve a cargar la página para empezar el chat."}
RATE_LIMITED_FALLBACK = {"en": "Please slow down a little.", "es": "Ve un poco más despacio, por favor."}


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
    """Sends each bot message of a turn as one ``bot_uttered`` event with its response name and the
    conversation's language. The messages are held until the turn is over (``flush``): only then is
    the ``language`` slot known, since the visitor's message may have set or switched it."""

    def __init__(self, sio: AsyncServer, room: str) -> None:
        self.sio = sio
        self.room = room
        self.pending: list[dict[str, Any]] = []

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
            self.pending.append(event)

    async def flush(self, language: str | None) -> None:
        """Emit the turn's messages, each with ``language`` ("en"/"es") when it is known."""
        events, self.pending = self.pending, []
        for event in events:
            await self.sio.emit("bot_uttered", {**event, **({"language": language} if language else {})},
                                room=self.room)

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
    answer with its key, the conversation's language when it was given, and the visitor's last vote on it."""
    shown: list[dict[str, Any]] = []
    offered: list[dict[str, Any]] = []
    language: str | None = None
    for event in events:
        if event.type_name == "slot" and getattr(event, "key", None) == LANGUAGE_SLOT:
            language = event.value if event.value in LANGUAGES else None
        elif event.type_name == "restart":
            language = None
        elif event.type_name == "bot" and (event.text or (event.data or {}).get("buttons")):
            buttons = (event.data or {}).get("buttons") or []
            response = feedback.response_of(event)
            shown.append({"sender": "bot", "text": event.text or "",
                          **({"buttons": buttons} if buttons else {}),
                          **(_answer_fields(response) if response else {}),
                          **({"language": language} if language else {})})
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
        # socket id -> the conversation's language when last seen, for replies sent without a turn
        # (rate limited): a flood must not cost a store read per message
        languages: dict[str, str] = {}
        limiter = RateLimiter(settings.messages_per_minute_per_conversation, settings.messages_per_minute_per_address)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        def store() -> Any:
            agent = getattr(webhook.ctx, "app", None) and webhook.ctx.app.ctx.agent
            return agent.tracker_store if agent else None

        async def say(session: str, text: str, raw: Any = None) -> str | None:
            """Run a turn; its replies go out with the conversation's language, which is returned."""
            output, conversation = WebOutput(sio, session), conversation_id(CHANNEL, session)
            try:
                await on_new_message(UserMessage(text, output, conversation, input_channel=self.name()))
            finally:
                language = await conversation_language(store(), conversation, raw)
                await output.flush(language)
            return language

        @sio.on("connect")
        async def connect(sid: str, environ: dict, auth: Any = None) -> bool:
            await sio.save_session(sid, {"address": visitor_address(environ)})
            return True

        @sio.on("disconnect")
        async def disconnect(sid: str) -> None:
            sessions.pop(sid, None)
            languages.pop(sid, None)

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
            remember(sid, slot_language(tracker))
            if shown:
                await sio.emit("history", {"messages": shown, **({"language": languages[sid]} if sid in languages
                                                                 else {})}, room=sid)
            else:
                # the server greets a new session, not the page; a page in Spanish asks for a Spanish
                # greeting (a value checked here, so the payload is ours, not the visitor's)
                page = data.get("language") if isinstance(data, dict) else None
                greet = f'/greet{{"language": "{page}"}}' if page in LANGUAGES and page != ENGLISH else "/greet"
                remember(sid, await say(session, greet))

        def remember(sid: str, language: str | None) -> None:
            if language:
                languages[sid] = language
            else:
                languages.pop(sid, None)

        @sio.on("user_uttered")
        async def user_uttered(sid: str, data: Any) -> None:
            session = sessions.get(sid)
            raw = data.get("message") if isinstance(data, dict) else None
            if session is None:
                language = message_language(raw) or ENGLISH
                await sio.emit("error_message", {"text": RELOAD_TEXT[language], "language": language}, room=sid)
                return
            address = (await sio.get_session(sid)).get("address", "?")
            if not limiter.allow(session, address):
                language = languages.get(sid) or message_language(raw) or ENGLISH
                await sio.emit("error_message", {"text": _rate_limited_text(webhook, language),
                                                 "response": "utter_rate_limited", "language": language}, room=sid)
                return
            text = await prepare_text(store(), conversation_id(CHANNEL, session), raw)
            if isinstance(raw, str) and text == raw.strip() and not text.startswith("/"):
                await sio.emit("user_echo", {"text": text}, room=session, skip_sid=sid)
            remember(sid, await say(session, text, raw))
            vote = hygiene.feedback_payload(text)
            if vote:  # stored, never answered: tell every tab of the session it was kept
                await sio.emit("feedback_saved", json.loads(vote[len("/feedback"):]), room=session)

        @sio.on("clear_session")
        async def clear_session(sid: str, data: Any) -> None:
            session = sessions.pop(sid, None)
            if session is None:
                return
            await sio.leave_room(sid, session)
            languages.pop(sid, None)
            if store() is not None:
                privacy.forget(store(), conversation_id(CHANNEL, session))

        return webhook


def _rate_limited_text(webhook: _WidgetBlueprint, language: str | None = None) -> str:
    """The domain's utter_rate_limited in the conversation's language, sent without running the model."""
    return variation_text(webhook.ctx.app.ctx.agent.domain.responses.get("utter_rate_limited") or [], language)


def _variation_language(variation: dict[str, Any]) -> str | None:
    """The language a response variation's condition asks for (``language`` slot), None without one."""
    for condition in variation.get("condition") or []:
        if condition.get("type") == "slot" and condition.get("name") == LANGUAGE_SLOT:
            return str(condition.get("value") or "").casefold() or None
    return None


def variation_text(variations: list[dict[str, Any]], language: str | None) -> str:
    """The text of the variation for ``language`` ("es": the one whose condition is ``language: es``;
    otherwise the unconditional one), for this channel or any (not another channel's, e.g. SMS)."""
    ours = [v for v in variations if v.get("text") and v.get("channel") in {None, WebOutput.name()}]
    wanted = language if language in LANGUAGES and language != ENGLISH else None
    match = next((v for v in ours if _variation_language(v) == wanted), None)
    match = match or next((v for v in ours if _variation_language(v) is None), None)
    return str(match["text"]) if match else RATE_LIMITED_FALLBACK.get(language or ENGLISH, RATE_LIMITED_FALLBACK["en"])


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
