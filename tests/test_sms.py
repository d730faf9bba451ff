"""The SMS channel (bot/channels/sms.py) against the live assistant, with signed requests."""
from __future__ import annotations

import hashlib
import hmac
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from xml.etree import ElementTree

import pytest
from twilio.request_validator import RequestValidator

from bot.channels import sms
from tests.helpers import SMS_ENV, stored_events

URL = SMS_ENV["IOP_PUBLIC_URL"] + sms.WEBHOOK_PATH
GSM_SAFE = re.compile(r"^[\x0a\x0d\x20-\x7e]*$")


def sign(params: dict[str, str], token: str = SMS_ENV["TWILIO_AUTH_TOKEN"]) -> str:
    return RequestValidator(token).compute_signature(URL, params)


class Phone:
    """One texter: a random number, messages signed as Twilio signs them."""

    def __init__(self, assistant) -> None:
        self.assistant = assistant
        self.number = f"+1555{uuid.uuid4().int % 10**7:07d}"

    @property
    def conversation(self) -> str:
        digest = hmac.new(SMS_ENV["IOP_SENDER_KEY"].encode(), self.number.encode(), hashlib.sha256).hexdigest()
        return f"sms:{digest[:32]}"

    def post(self, params: dict[str, str], signature: str | None = "sign") -> tuple[int, str]:
        if signature == "sign":
            signature = sign(params)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if signature is not None:
            headers["X-Twilio-Signature"] = signature
        request = urllib.request.Request(self.assistant.url + sms.WEBHOOK_PATH,
                                         data=urllib.parse.urlencode(params).encode(), headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as reply:
                return reply.status, reply.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def text(self, body: str | None, sid: str | None = None) -> str | None:
        params = {"From": self.number, "To": "+15550000000", "MessageSid": sid or f"SM{uuid.uuid4().hex}"}
        if body is not None:
            params["Body"] = body
        status, xml = self.post(params)
        assert status == 200, xml
        messages = ElementTree.fromstring(xml).findall("Message")
        assert len(messages) <= 1, "one SMS per turn"
        return messages[0].text if messages else None

    def last_response(self) -> str | None:
        bots = [e for e in stored_events(self.assistant.settings.tracker_db, self.conversation) if e["event"] == "bot"]
        return bots[-1]["metadata"].get("utter_action") if bots else None


@pytest.fixture
def phone(assistant) -> Phone:
    return Phone(assistant)


def test_signed_message_gets_an_answer(phone):
    body = phone.text("how long does IOP last")
    assert body and phone.last_response() == "utter_faq/iop_duration"
    assert GSM_SAFE.match(body) and len(body) <= 320


@pytest.mark.parametrize("case", ["forged", "tampered", "unsigned", "wrong token"])
def test_requests_not_from_twilio_are_refused(phone, case):
    params = {"From": phone.number, "Body": "hi", "MessageSid": "SMx"}
    signature = {
        "forged": "bm90IGEgc2lnbmF0dXJl",
        "tampered": sign({**params, "Body": "something else"}),
        "unsigned": None,
        "wrong token": sign(params, token="another-token"),
    }[case]
    status, _ = phone.post(params, signature)
    assert status == 403
    assert stored_events(phone.assistant.settings.tracker_db, phone.conversation) == []


def test_clarifying_question_is_numbered_and_a_number_chooses(phone):
    body = phone.text("what is iop")
    assert phone.last_response() == "utter_ask_iop_sense"
    assert "Reply 1, 2 or 3:" in body and "1. Treatment program" in body and "2. Eye pressure" in body
    assert "/choose_sense" not in body, "payloads are never shown"
    phone.text("2")
    assert phone.last_response() == "utter_iop_eye"


def test_stop_gets_no_reply_and_help_gets_the_help_text(phone):
    assert phone.text("STOP") is None
    assert phone.text("stop") is None
    help_text = phone.text("HELP")
    assert phone.last_response() == "utter_sms_help"
    assert "Msg&data rates may apply" in help_text and "STOP" in help_text


@pytest.mark.parametrize("body", [None, "", "   "])
def test_photo_only_or_empty_message_is_an_empty_message(phone, body):
    assert phone.text(body)
    assert phone.last_response() == "utter_empty_message"


def test_twilio_retry_is_answered_once_with_the_same_reply(phone):
    sid = f"SM{uuid.uuid4().hex}"
    first = phone.text("does insurance cover intensive outpatient", sid=sid)
    again = phone.text("does insurance cover intensive outpatient", sid=sid)
    assert first == again
    users = [e for e in stored_events(phone.assistant.settings.tracker_db, phone.conversation) if e["event"] == "user"]
    assert len(users) == 1


def test_long_answers_use_the_sms_version_and_gsm_text(phone):
    for question in ("what is the difference between iop and php", "how much does an intensive outpatient program cost",
                     "my eye doctor says my iop is 25"):
        body = phone.text(question)
        assert GSM_SAFE.match(body), body
        assert len(body) <= 320, (question, len(body))


def test_the_phone_number_is_never_stored(phone):
    phone.text("can I keep my job during IOP")
    raw = phone.assistant.settings.tracker_db.read_bytes()
    assert phone.number.encode() not in raw and phone.number[2:].encode() not in raw
    assert stored_events(phone.assistant.settings.tracker_db, phone.conversation)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\u201cquoted\u201d \u2014 dash\u2026 \u2019", '"quoted" - dash... \''),
        ("caf\u00e9 \U0001F600 ok", "caf\u00e9 ok"),
        # GSM-7 has é, ñ, ¿ and ¡; á, í, ó and ú lose their accent instead of forcing UCS-2
        ("¿Cuánto cuesta? ¡Sí! Mañana, está aquí", "¿Cuanto cuesta? ¡Si! Mañana, esta aqui"),
    ],
)
def test_gsm_text(text, expected):
    assert sms.to_gsm_text(text) == expected


def test_format_reply_numbers_buttons_and_caps_length():
    buttons = [{"title": "A", "payload": "/a"}, {"title": "B", "payload": "/b"}]
    reply = sms.format_reply([{"text": "Which?", "buttons": buttons}])
    assert reply == "Which?\n\nReply 1 or 2:\n1. A\n2. B"
    assert len(sms.format_reply([{"text": "x " * 2000}])) <= sms.MAX_SMS_CHARS


@pytest.mark.parametrize(
    ("language", "count", "prompt"),
    [
        ("en", 3, "Reply 1, 2 or 3:"), ("es", 3, "Responde 1, 2 o 3:"), ("es", 2, "Responde 1 o 2:"),
        ("es", 1, "Responde 1:"), ("en", 1, "Reply 1:"), (None, 2, "Reply 1 or 2:"), ("fr", 2, "Reply 1 or 2:"),
    ],
)
def test_the_numbered_list_is_introduced_in_the_conversations_language(language, count, prompt):
    buttons = [{"title": f"Opción {i}", "payload": f"/o{i}"} for i in range(1, count + 1)]
    reply = sms.format_reply([{"text": "¿Cuál?", "buttons": buttons}], language)
    assert reply.split("\n")[2] == prompt
    assert reply.split("\n")[3] == "1. Opcion 1", "GSM-7 text: ó loses its accent"
    assert all(ord(c) < 128 or c in sms.GSM7_EXTRA for c in reply)


def test_enabling_sms_without_secrets_fails_clearly(monkeypatch):
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    monkeypatch.setenv("IOP_SENDER_KEY", "k")
    with pytest.raises(sms.MissingSecret, match="TWILIO_AUTH_TOKEN"):
        sms.secrets_from_env()


def test_crisis_by_sms_even_mid_question(phone):
    phone.text("what is iop")
    body = phone.text("i cant do this anymore i want to kill myself")
    assert phone.last_response() == "utter_crisis"
    assert "988" in body and "911" in body


def test_spanish_crisis_sms_is_gsm7_and_within_two_segments():
    from bot import content

    variations = content.load().responses["utter_crisis"]
    spanish = [v["text"] for v in variations if v.get("condition")]
    assert spanish
    for text in spanish:
        body = sms.format_reply([{"text": text}])
        assert all(ord(c) < 128 or c in sms.GSM7_EXTRA for c in body), "one non-GSM-7 character makes the SMS UCS-2"
        assert len(body) <= 306, len(body)  # two concatenated GSM-7 segments
        assert "988" in body and "AYUDA" in body and "911" in body and "1-800-662-4357" in body


def test_crisis_in_spanish_by_sms_even_mid_question(phone):
    phone.text("what is iop")
    body = phone.text("ya no kiero vivir, me quiero morir")
    assert phone.last_response() == "utter_crisis"
    assert body and "AYUDA" in body and "988" in body and "911" in body and "1-800-662-4357" in body


def test_ayuda_alone_by_sms_gets_the_spanish_crisis_reply_not_the_help_text(phone):
    # "AYUDA" is 988's Spanish text keyword: whoever sends it alone may be at risk, so it is read
    # by the safety guard like any message (not taken as a carrier HELP keyword)
    body = phone.text("AYUDA")
    assert phone.last_response() == "utter_crisis"
    assert body and "988" in body and "AYUDA" in body and "911" in body and "1-800-662-4357" in body
    assert "Msg&data" not in body
