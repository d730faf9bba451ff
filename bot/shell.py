"""The staff shell: chat with the assistant in a terminal over the REST channel.

Buttons are shown as a numbered list and a typed number chooses one (the REST
channel maps it). ``--debug`` prints, for each message, the intent and its
confidence, the answer key given, and the sense the assistant now remembers,
read from the conversation store. ``/good`` and ``/bad [reason]`` rate the last
answer (a vote, stored like the widget's thumbs; it gets no reply).
"""
from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
import uuid
from typing import Any, TextIO

from bot.channels import feedback

PROMPT = "you> "


def post(url: str, sender: str, text: str) -> list[dict[str, Any]]:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as reply:
        return json.loads(reply.read() or b"[]")


def is_up(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/webhooks/rest/", timeout=2) as reply:
            return reply.status == 200
    except OSError:
        return False


def last_parse(store: Any, conversation: str) -> dict[str, Any]:
    """The stored parse of the last user message and the remembered sense (SQLite or PostgreSQL)."""
    event = store.SQLEvent
    with store.session_scope() as session:
        rows = (session.query(event.type_name, event.data).filter(event.sender_id == conversation)
                .order_by(event.id.desc()).limit(50).all())
    info: dict[str, Any] = {}
    for kind, data in rows:
        stored = json.loads(data)
        if kind == "slot" and stored.get("name") == "iop_sense" and "sense" not in info:
            info["sense"] = stored.get("value")
        if kind == "user":
            info["parse"] = stored.get("parse_data") or {}
            break
    return info


def render(messages: list[dict[str, Any]], out: TextIO) -> None:
    for message in messages:
        out.write(f"bot> {message.get('text', '')}\n")
        for number, button in enumerate(message.get("buttons") or [], 1):
            out.write(f"     {number}. {button.get('title', '')}\n")


def debug_line(messages: list[dict[str, Any]], info: dict[str, Any]) -> str:
    parse = info.get("parse") or {}
    intent = parse.get("intent") or {}
    selector = ((parse.get("response_selector") or {}).get("faq") or {}).get("response") or {}
    keys = [m.get("response", "?") for m in messages]
    entities = {e["entity"]: e["value"] for e in parse.get("entities") or []}
    return (f"  [intent {intent.get('name')} {float(intent.get('confidence') or 0):.2f}"
            f" | faq {selector.get('intent_response_key', '-')} {float(selector.get('confidence') or 0):.2f}"
            f" | answer {', '.join(keys) or '-'} | entities {entities or '-'} "
            f"| remembered sense {info.get('sense')}]\n")


def last_answer(messages: list[dict[str, Any]], previous: str | None) -> str | None:
    """The answer key /good and /bad rate: the last rateable reply, else the one before."""
    keys = [feedback.answer_key(m.get("response")) for m in messages if feedback.is_rateable(m.get("response"))]
    return keys[-1] if keys else previous


def chat(url: str, store: Any, debug: bool, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout) -> int:
    sender = f"staff-{uuid.uuid4().hex[:8]}"
    out.write("Staff shell: type a message; a number picks a button; /good or /bad [wrong|incomplete|too long|"
              "unclear|other] rates the last answer; 'quit' or Ctrl-D ends.\n")
    render(post(url, sender, "hello"), out)
    rated: str | None = None  # the answer key /good and /bad apply to
    while True:
        out.write(PROMPT)
        out.flush()
        line = stdin.readline()
        if not line or line.strip().lower() in {"quit", "exit"}:
            out.write("\n")
            return 0
        text = line.rstrip("\n")
        vote, said = None, ""
        if text.strip().lower().split(maxsplit=1)[:1] in (["/good"], ["/bad"]):
            vote, said = feedback.shell_vote(text, rated)
            if vote is None:
                out.write(said + "\n")
                continue
        try:
            messages = post(url, sender, vote or text)
        except urllib.error.HTTPError as err:
            out.write(f"error: HTTP {err.code}: {err.read().decode(errors='replace')}\n")
            continue
        if vote:
            out.write(said + "\n")  # a vote gets no reply
            continue
        render(messages, out)
        rated = last_answer(messages, rated)
        if debug:
            out.write(debug_line(messages, last_parse(store, f"rest:{sender}")))
