"""The website chat's socket.io channel without a browser: origins, sessions, history, limits, and
the language its own texts and each message are in. Tests with the ``assistant`` are live."""
from __future__ import annotations

import asyncio
import urllib.error
import urllib.request

import pytest
import socketio
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered

from bot.channels import webchat


def polling_handshake(url: str, origin: str) -> int:
    request = urllib.request.Request(f"{url}/socket.io/?EIO=4&transport=polling", headers={"Origin": origin})
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status
    except urllib.error.HTTPError as err:
        return err.code


def test_polling_from_an_unknown_origin_is_refused(assistant):
    assert polling_handshake(assistant.url, "http://evil.example") == 400
    assert polling_handshake(assistant.url, assistant.url) == 200


def test_websocket_from_an_unknown_origin_is_refused(assistant):
    import websockets

    async def connect(origin: str) -> bool:
        url = assistant.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        try:
            async with websockets.connect(url, origin=origin, open_timeout=10) as ws:
                first = await asyncio.wait_for(ws.recv(), 10)
                return str(first).startswith("0")  # engine.io "open" packet
        except (websockets.exceptions.InvalidStatusCode, websockets.exceptions.ConnectionClosed):
            return False

    assert asyncio.run(connect("http://evil.example")) is False
    assert asyncio.run(connect(assistant.url)) is True


class Visitor:
    """A socket.io client as the widget uses it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sio = socketio.AsyncClient()
        self.events: asyncio.Queue = asyncio.Queue()
        for name in ("session_confirm", "bot_uttered", "history", "error_message", "user_echo"):
            self.sio.on(name, self._collector(name))

    def _collector(self, name: str):
        async def collect(data=None):
            await self.events.put((name, data))
        return collect

    async def connect(self, session_id: str | None = None) -> str:
        await self.sio.connect(self.url, socketio_path="/socket.io", headers={"Origin": self.url},
                               transports=["polling"])  # the client's websocket needs a newer aiohttp
        await self.sio.emit("session_request", {"session_id": session_id})
        name, data = await self.next()
        assert name == "session_confirm"
        return data

    async def next(self, timeout: float = 30):
        return await asyncio.wait_for(self.events.get(), timeout)

    async def say(self, session: str, text: str):
        await self.sio.emit("user_uttered", {"message": text, "session_id": session})
        return await self.next()

    async def turn(self, session: str, text: str, quiet: float = 2.0) -> list:
        """Every event a message brings, until none arrives for ``quiet`` seconds."""
        events = [await self.say(session, text)]
        while True:
            try:
                events.append(await self.next(timeout=quiet))
            except asyncio.TimeoutError:
                return events


def test_new_session_greets_returning_session_gets_history(assistant):
    async def scenario():
        first = Visitor(assistant.url)
        session = await first.connect()
        assert len(session) == 32
        name, greeting = await first.next()
        assert (name, greeting["response"]) == ("bot_uttered", "utter_greet")
        name, answer = await first.say(session, "how much does intensive outpatient cost")
        assert answer["response"] == "utter_faq/iop_cost" and answer["text"]

        second = Visitor(assistant.url)  # a new tab: same stored id
        assert await second.connect(session) == session
        name, history = await second.next()
        assert name == "history"
        texts = [m["text"] for m in history["messages"]]
        assert "how much does intensive outpatient cost" in texts and answer["text"] in texts

        await second.sio.emit("user_uttered", {"message": "and insurance?", "session_id": session})
        seen_by_first = [await first.next(), await first.next()]
        assert ("user_echo", {"text": "and insurance?"}) in seen_by_first, "the other tab sees the message"
        await first.sio.disconnect()
        await second.sio.disconnect()

    asyncio.run(scenario())


def test_a_forged_session_id_gets_a_fresh_session(assistant):
    async def scenario():
        visitor = Visitor(assistant.url)
        session = await visitor.connect("../../etc/passwd")
        assert session != "../../etc/passwd" and len(session) == 32
        await visitor.sio.disconnect()

    asyncio.run(scenario())


def test_flooding_gets_the_rate_limited_reply(assistant):
    async def scenario():
        visitor = Visitor(assistant.url)
        session = await visitor.connect()
        await visitor.next()  # greeting
        limit = assistant.settings.messages_per_minute_per_conversation
        for i in range(limit + 3):
            await visitor.sio.emit("user_uttered", {"message": f"hello {i}", "session_id": session})
            await asyncio.sleep(0.05)  # one message per poll: the server caps packets per request
        names = []
        while True:
            try:
                names.append(await visitor.next(timeout=20))
            except asyncio.TimeoutError:
                break
            if sum(1 for n, d in names if n == "error_message") >= 3:
                break
        limited = [d for n, d in names if n == "error_message"]
        assert limited and all(d["response"] == "utter_rate_limited" for d in limited)
        await visitor.sio.disconnect()

    asyncio.run(scenario())


def test_widget_files_are_served_with_a_strict_policy(assistant):
    for path in ("/chat/", "/chat/widget.js", "/chat/widget.css", "/chat/demo.css", "/chat/vendor/socket.io.min.js"):
        with urllib.request.urlopen(assistant.url + path, timeout=10) as reply:
            assert reply.status == 200
            assert "default-src 'self'" in reply.headers["Content-Security-Policy"]
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(assistant.url + "/chat/../settings.yml", timeout=10)
    assert err.value.code == 404


def test_crisis_in_the_web_chat(assistant):
    async def scenario():
        visitor = Visitor(assistant.url)
        session = await visitor.connect()
        await visitor.next()  # greeting
        name, reply = await visitor.say(session, "i took a bunch of pills and feel really strange")
        assert reply["response"] == "utter_crisis" and "988" in reply["text"]
        await visitor.sio.disconnect()

    asyncio.run(scenario())


# ---- the language of the channel's own texts and of each message (no server)


def test_the_rate_limited_reply_is_in_the_conversations_language():
    from bot import content

    variations = content.load().responses["utter_rate_limited"]
    english = next(v["text"] for v in variations if not v.get("condition") and not v.get("channel"))
    spanish = next(v["text"] for v in variations if v.get("condition") and not v.get("channel"))
    assert webchat.variation_text(variations, "es") == spanish and "despacio" in spanish
    assert webchat.variation_text(variations, "en") == english
    assert webchat.variation_text(variations, None) == english


def test_the_variation_is_the_web_chats_and_falls_back_to_english():
    es = [{"type": "slot", "name": "language", "value": "es"}]
    variations = [
        {"text": "SMS en", "channel": "twilio"},
        {"text": "SMS es", "channel": "twilio", "condition": es},
        {"text": "English"},
        {"text": "Español", "condition": es},
    ]
    assert webchat.variation_text(variations, "es") == "Español", "not another channel's"
    assert webchat.variation_text(variations, "en") == "English"
    assert webchat.variation_text(variations[:3], "es") == "English", "no Spanish: the English one"
    assert webchat.variation_text([], "es") == webchat.RATE_LIMITED_FALLBACK["es"]
    assert webchat.variation_text([], "en") == webchat.RATE_LIMITED_FALLBACK["en"]


def test_history_says_the_language_each_answer_was_given_in():
    events = [
        BotUttered("Hi!", metadata={"utter_action": "utter_greet"}),
        UserUttered("how much does it cost"), SlotSet("language", "en"),
        BotUttered("It varies.", metadata={"utter_action": "utter_faq/iop_cost"}),
        UserUttered("¿y cuánto dura?"), SlotSet("language", "es"),
        BotUttered("Depende.", metadata={"utter_action": "utter_faq/iop_duration"}),
    ]
    bots = [m for m in webchat.history(events) if m["sender"] == "bot"]
    assert [m.get("language") for m in bots] == [None, "en", "es"], "unknown before the slot is set"


def test_each_message_of_a_turn_goes_out_with_the_language_known_after_it():
    class Recorder:
        def __init__(self) -> None:
            self.sent: list[tuple[str, dict]] = []

        async def emit(self, name, data, room=None):
            self.sent.append((name, data))

    async def turn(language):
        sio = Recorder()
        output = webchat.WebOutput(sio, "room")
        await output.send_response("x", {"text": "Depende.", "utter_action": "utter_faq/iop_duration"})
        assert sio.sent == [], "held until the turn is over"
        await output.flush(language)
        return sio.sent

    [(name, data)] = asyncio.run(turn("es"))
    assert name == "bot_uttered" and data["language"] == "es" and data["answer_key"] == "iop_duration"
    [(_, data)] = asyncio.run(turn(None))
    assert "language" not in data, "unknown: the widget keeps its own"


# ---- live: the server says the conversation's language


def test_a_spanish_conversation_is_marked_spanish(assistant):
    async def scenario():
        visitor = Visitor(assistant.url)
        session = await visitor.connect()
        name, greeting = await visitor.next()
        assert greeting["response"] == "utter_greet" and "language" not in greeting, "no language yet"
        replies = await visitor.turn(session, "¿Cuánto tiempo dura un programa intensivo ambulatorio?")
        assert replies and all(n == "bot_uttered" and d["language"] == "es" for n, d in replies)
        replies = await visitor.turn(session, "how long does intensive outpatient treatment last")
        assert replies and all(d["language"] == "en" for n, d in replies), "the conversation switched back"
        await visitor.sio.disconnect()

        tab = Visitor(assistant.url)  # history: each answer with its language
        await tab.connect(session)
        name, history = await tab.next()
        assert name == "history" and history["language"] == "en"
        assert [m.get("language") for m in history["messages"] if m["sender"] == "bot"][-2:] == ["es", "en"]
        await tab.sio.disconnect()

    asyncio.run(scenario())


def test_a_page_in_spanish_is_greeted_in_spanish(assistant):
    async def scenario():
        visitor = Visitor(assistant.url)
        await visitor.sio.connect(assistant.url, socketio_path="/socket.io", headers={"Origin": assistant.url},
                                  transports=["polling"])
        await visitor.sio.emit("session_request", {"session_id": None, "language": "es"})
        name, _ = await visitor.next()
        assert name == "session_confirm"
        name, greeting = await visitor.next()
        assert greeting["response"] == "utter_greet" and greeting["language"] == "es"
        assert greeting["text"].startswith("¡Hola!"), greeting["text"]
        await visitor.sio.disconnect()

        other = Visitor(assistant.url)  # anything else asked for is ignored
        await other.sio.connect(assistant.url, socketio_path="/socket.io", headers={"Origin": assistant.url},
                                transports=["polling"])
        await other.sio.emit("session_request", {"session_id": None, "language": '"}/restart{"'})
        await other.next()
        name, greeting = await other.next()
        assert greeting["response"] == "utter_greet" and "language" not in greeting
        await other.sio.disconnect()

    asyncio.run(scenario())


def test_the_rate_limited_reply_follows_a_spanish_conversation(assistant):
    async def scenario():
        visitor = Visitor(assistant.url)
        session = await visitor.connect()
        await visitor.next()  # greeting
        await visitor.turn(session, "¿Cuánto cuesta un programa intensivo ambulatorio?")
        limit = assistant.settings.messages_per_minute_per_conversation
        for i in range(limit + 2):
            await visitor.sio.emit("user_uttered", {"message": f"hola {i}", "session_id": session})
            await asyncio.sleep(0.05)
        limited = []
        while not limited:
            name, data = await visitor.next(timeout=30)
            if name == "error_message":
                limited.append(data)
        assert limited[0]["response"] == "utter_rate_limited" and limited[0]["language"] == "es"
        assert "despacio" in limited[0]["text"]
        await visitor.sio.disconnect()

    asyncio.run(scenario())
