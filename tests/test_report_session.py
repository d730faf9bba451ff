"""The staff report after a scripted session (issue 12, "Done when"): 200 visitor messages through the
running assistant over REST, SMS (signed Twilio webhooks) and the web chat (socket.io), with votes and
one message from someone at risk on each channel;
then ``python -m bot report --html --csv --suggest`` against that store, ``python -m bot adopt`` on a
copy of the data, and the HTML page in headless Chromium at a phone's size.

The assistant here is this module's own, with its own conversation store: the report must count
only what this script sent. Set IOP_WRITE_DOCS=1 to save the phone screenshot as docs/staff-report.png.
"""
from __future__ import annotations

import asyncio
import csv
import hashlib
import hmac
import os
import re
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
import yaml

from bot import adopt, report
from bot.channels import feedback
from tests.helpers import ROOT, SMS_ENV, Client, free_port, stored_events
from tests.helpers import report as say_in_summary

# Eight ways of asking one question the assistant does not cover. Most get a did-you-mean offer or
# a request to rephrase; how many is the model's business (measured by the blind set), so the report
# is checked against the paraphrases that really went unanswered in this session.
TATTOO = ["is it ok to get a tattoo during the program", "am i allowed to get tattooed while im in treatment",
          "can i get new ink while doing outpatient treatment",
          "is getting a tattoo allowed during the intensive outpatient program",
          "any rules about getting tattoos during treatment", "can i get a tattoo done mid program",
          "is it a bad idea to get tattooed during outpatient", "can i still get inked during my treatment program"]
COVERED = ["how long does iop last", "how much does intensive outpatient cost",
           "does insurance cover intensive outpatient", "what is the difference between iop and php",
           "how many days a week is iop", "what happens in group therapy", "do i have to do drug tests in the program",
           "can i keep working while in iop", "what is partial hospitalization",
           "how do i get started with intensive outpatient", "can my family be involved in treatment",
           "what happens after i finish iop", "do i need detox before outpatient treatment",
           "what if i relapse during the program", "is iop the same as outpatient therapy",
           "will i see an individual therapist too", "do i have to stay overnight", "who is on the treatment team",
           "is iop or inpatient better for me", "what conditions does iop treat"]
GREETINGS = ["hi", "hello there", "thanks", "thank you so much", "bye"]
PHONE_IN_TEXT = "555-201-3344"
OTHERS = ["whats the weather tomorrow", "who won the game last night", "how do i reset my email password",
          f"my number is {PHONE_IN_TEXT}, whats the weather tomorrow", "how long do i bake banana bread",
          "qwpoeiru zxmv"]
# Someone at risk, once per channel: the message ends that channel's second conversation in place of
# its thanks or goodbye (the safety guard answers it with utter_crisis whatever the model says).
CRISIS = {("rest", 1): "i cant do this anymore i want to kill myself",
          ("sms", 1): "i dont want to be alive anymore",
          ("web", 1): "i took a bunch of pills and feel really strange"}
# (channel, conversations, messages): 200 in all
PLAN = [("rest", 6, 80), ("sms", 5, 60), ("web", 5, 60)]
TOTAL = 200
MIN_MISSED = 4  # of the 8 paraphrases left unanswered, or the session has no group worth the name
SET_APART = 1  # of those, the grouping (the sentence encoder) may set one apart, not more


def missed_paraphrases(sent: Any) -> list[str]:
    """The paraphrases the assistant left unanswered in this session (a did-you-mean offer, a request
    to rephrase), in the order of TATTOO."""
    return [t for t in TATTOO if feedback.answer_key((sent.responses[t] or [""])[0]) in report.FALLBACK_KEYS]


def script() -> dict[tuple[str, int], list[str]]:
    """Each conversation's messages, spread so that every channel gets covered questions, greetings,
    some of the paraphrases, some other unanswered messages and one crisis message. Deterministic."""
    extras = [*TATTOO, *OTHERS]  # 14 unanswered messages dealt round the 16 conversations
    conversations = [(channel, n) for channel, count, _ in PLAN for n in range(count)]
    out: dict[tuple[str, int], list[str]] = {c: [] for c in conversations}
    sizes = {(channel, n): messages // count + (n < messages % count)
             for channel, count, messages in PLAN for n in range(count)}
    for i, text in enumerate(extras):
        out[conversations[(i * 5) % len(conversations)]].append(text)
    covered = iter(COVERED * 20)
    for i, conversation in enumerate(conversations):
        messages = [GREETINGS[i % 2]]  # hi / hello there
        while len(messages) + len(out[conversation]) < sizes[conversation] - 1:
            messages.append(next(covered))
        # the unanswered ones in the middle of the conversation, a goodbye or thanks at the end
        middle = len(messages) // 2
        messages[middle:middle] = out[conversation]
        messages.append(CRISIS.get(conversation) or GREETINGS[2 + i % 3])
        out[conversation] = messages
    assert sum(len(m) for m in out.values()) == TOTAL
    return out


def vote_after(channel: str, n: int, turn: int) -> tuple[str, str | None] | None:
    """Whether to vote on the answer just given: (up/down, reason) on some answers, in a fixed pattern."""
    if (turn + n) % 4 != 1:
        return None
    kind = (turn // 4 + n) % 3
    return ("up", None) if kind != 1 else ("down", ["too_long", "wrong", None][turn % 3] if channel != "sms" else None)


@dataclass
class Sent:
    """What the session sent and what the assistant answered, per channel."""

    messages: Counter = field(default_factory=Counter)  # channel -> visitor messages
    conversations: dict[str, set[str]] = field(default_factory=dict)  # channel -> ids
    answers: dict[str, Counter] = field(default_factory=dict)  # answer key -> channel -> rateable replies
    votes: dict[str, Counter] = field(default_factory=dict)  # answer key -> up/down/reason -> count
    responses: dict[str, list[str]] = field(default_factory=dict)  # text -> responses (last time sent)
    replies: dict[str, Counter] = field(default_factory=dict)  # channel -> response key -> replies received
    numbers: list[str] = field(default_factory=list)  # the SMS senders' phone numbers

    def record(self, channel: str, conversation: str, text: str, responses: list[str]) -> None:
        self.messages[channel] += 1
        self.conversations.setdefault(channel, set()).add(conversation)
        self.responses[text] = responses
        self.replies.setdefault(channel, Counter()).update(feedback.answer_key(r) or "" for r in responses)
        for response in responses:
            if feedback.is_rateable(response):
                self.answers.setdefault(feedback.answer_key(response) or "", Counter())[channel] += 1

    def voted(self, key: str, vote: str, reason: str | None) -> None:
        tally = self.votes.setdefault(key, Counter())
        tally[vote] += 1
        if reason:
            tally[reason] += 1


def rated_key(responses: list[str]) -> str | None:
    """The key a vote right after this turn rates: its last rateable reply."""
    keys = [feedback.answer_key(r) for r in responses if feedback.is_rateable(r)]
    return keys[-1] if keys else None


def test_a_third_miss_answered_with_a_person_is_still_unanswered(tmp_path):
    """After repeated misses the router asks to rephrase and offers a person (utter_ask_rephrase +
    utter_human_handoff): the message was not answered, so it is grouped with the unanswered ones and
    counted as a fallback, and the handoff is counted too."""
    from tests.test_report import DAY, NOW, bot, open_sqlite, save, user

    store = open_sqlite(tmp_path / "c.db")
    save(store, "rest:misses", [user("is it ok to get a tattoo during the program", "nlu_fallback", 0.3),
                                bot("utter_did_you_mean"),
                                user("can i get a tattoo done mid program", "nlu_fallback", 0.3),
                                bot("utter_ask_rephrase"),
                                user("any rules about getting tattoos during treatment", "nlu_fallback", 0.3),
                                bot("utter_ask_rephrase"), bot("utter_human_handoff")], NOW - DAY)
    built = report.build(report.read(store, None, 90, now=NOW))
    rest = built.by_channel["rest"]
    assert (rest["unanswered"], rest["handoffs"], rest["fallback_rate"]) == (3, 1, 1.0)
    assert rest["answer_rate"] == 0.0
    assert built.groups[0].size == 3


# ---- the three channels


def talk_rest(url: str, sent: Sent, conversations: list[list[str]]) -> None:
    client = Client(url)
    for n, messages in enumerate(conversations):
        sender = f"session-{uuid.uuid4().hex[:10]}"
        for turn, text in enumerate(messages):
            responses = [m.get("response") or "" for m in client.say(sender, text).messages]
            sent.record("rest", f"rest:{sender}", text, responses)
            choice, key = vote_after("rest", n, turn), rated_key(responses)
            if choice and key:
                assert client.say(sender, feedback.vote_payload(key, *choice)).messages == [], "a vote gets no reply"
                sent.voted(key, *choice)


def talk_sms(url: str, db: Path, sent: Sent, conversations: list[list[str]]) -> None:
    from twilio.request_validator import RequestValidator

    from bot.channels import sms

    signer = RequestValidator(SMS_ENV["TWILIO_AUTH_TOKEN"])

    def text(number: str, body: str) -> str | None:
        params = {"From": number, "To": "+15550000000", "Body": body, "MessageSid": f"SM{uuid.uuid4().hex}"}
        request = urllib.request.Request(url + sms.WEBHOOK_PATH, data=urllib.parse.urlencode(params).encode(),
                                         headers={"Content-Type": "application/x-www-form-urlencoded",
                                                  "X-Twilio-Signature": signer.compute_signature(
                                                      SMS_ENV["IOP_PUBLIC_URL"] + sms.WEBHOOK_PATH, params)})
        with urllib.request.urlopen(request, timeout=60) as reply:
            assert reply.status == 200
            found = ElementTree.fromstring(reply.read().decode()).findall("Message")
        return found[0].text if found else None

    for n, messages in enumerate(conversations):
        number = f"+1555{uuid.uuid4().int % 10**7:07d}"
        sent.numbers.append(number)
        digest = hmac.new(SMS_ENV["IOP_SENDER_KEY"].encode(), number.encode(), hashlib.sha256).hexdigest()
        conversation = f"sms:{digest[:32]}"
        for turn, body in enumerate(messages):
            seen = len(stored_events(db, conversation))
            assert text(number, body), body
            # TwiML carries only text: the response names are the bot events this turn stored
            responses = [e["metadata"].get("utter_action") or "" for e in stored_events(db, conversation)[seen:]
                         if e["event"] == "bot"]
            sent.record("sms", conversation, body, responses)
            choice, key = vote_after("sms", n, turn), rated_key(responses)
            if choice and key:  # feedback.sms_ask is on: a Y or N right after an answer is a vote on it
                assert text(number, "Y" if choice[0] == "up" else "N") is None, "a vote gets no reply"
                sent.voted(key, choice[0], None)


def talk_web(url: str, sent: Sent, conversations: list[list[str]]) -> None:
    import socketio

    async def one(n: int, messages: list[str]) -> None:
        events: asyncio.Queue = asyncio.Queue()
        sio = socketio.AsyncClient()
        for name in ("session_confirm", "bot_uttered", "feedback_saved", "error_message"):
            sio.on(name, (lambda name: lambda data=None: events.put_nowait((name, data)))(name))

        async def drain() -> list[tuple[str, Any]]:
            await asyncio.sleep(0.05)  # the replies were emitted before the acknowledgement
            got = []
            while not events.empty():
                got.append(events.get_nowait())
            return got

        await sio.connect(url, socketio_path="/socket.io", headers={"Origin": url}, transports=["polling"])
        await sio.emit("session_request", {"session_id": None})
        name, session = await asyncio.wait_for(events.get(), 30)
        assert name == "session_confirm"
        greeting = await asyncio.wait_for(events.get(), 30)
        assert greeting[1]["response"] == "utter_greet"
        for turn, text in enumerate(messages):
            # call() returns once the server's handler has run the turn and sent its replies
            await sio.call("user_uttered", {"message": text, "session_id": session}, timeout=60)
            got = await drain()
            assert all(name == "bot_uttered" for name, _ in got), got
            responses = [data["response"] for _, data in got]
            sent.record("web", f"web:{session}", text, responses)
            choice, key = vote_after("web", n, turn), rated_key(responses)
            if choice and key:
                await sio.call("user_uttered", {"message": feedback.vote_payload(key, *choice), "session_id": session},
                               timeout=60)
                saved = await drain()
                assert [name for name, _ in saved] == ["feedback_saved"], saved
                sent.voted(key, *choice)
        await sio.disconnect()

    async def every() -> None:
        for n, messages in enumerate(conversations):
            await one(n, messages)

    asyncio.run(every())


# ---- the session, the report, the suggestions


def plain_env(**extra: str) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("IOP_")}, **extra}


@dataclass
class Session:
    sent: Sent
    folder: Path
    stdout: str

    @property
    def html(self) -> str:
        return (self.folder / "report.html").read_text(encoding="utf-8")

    def csv(self, name: str) -> list[dict[str, str]]:
        with (self.folder / "csv" / f"{name}.csv").open(encoding="utf-8") as handle:
            return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    from bot import settings as settings_module
    from bot.server import Assistant

    folder = tmp_path_factory.mktemp("report-session")
    db = folder / "conversations.db"
    sent = Sent()
    plan = script()
    with pytest.MonkeyPatch.context() as env:  # read by the server process; restored afterwards
        env.setenv("IOP_TRACKER_DB", str(db))
        env.setenv("IOP_MESSAGES_PER_MINUTE_PER_ADDRESS", "100000")
        env.setenv("IOP_MESSAGES_PER_MINUTE_PER_CONVERSATION", "100000")
        env.setenv("IOP_FEEDBACK_SMS_ASK", "1")
        for name, value in SMS_ENV.items():
            env.setenv(name, value)
        settings_module.load.cache_clear()
        running = Assistant(settings_module.load(), "127.0.0.1", free_port(), log_dir=folder / "logs")
        running.start()
        try:
            running.wait_ready()
            for channel, count, _ in PLAN:
                mine = [plan[(channel, n)] for n in range(count)]
                if channel == "rest":
                    talk_rest(running.url, sent, mine)
                elif channel == "sms":
                    talk_sms(running.url, db, sent, mine)
                else:
                    talk_web(running.url, sent, mine)
        finally:
            running.stop()
    settings_module.load.cache_clear()
    done = subprocess.run([sys.executable, "-m", "bot", "report", "--since", "1d", "--html",
                           str(folder / "report.html"), "--csv", str(folder / "csv"), "--suggest",
                           str(folder / "suggest.yml")], cwd=ROOT, env=plain_env(IOP_TRACKER_DB=str(db)),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return Session(sent, folder, done.stdout)


@pytest.mark.live
def test_the_session_sent_what_was_planned(session):
    sent = session.sent
    assert sum(sent.messages.values()) == TOTAL
    assert dict(sent.messages) == {channel: messages for channel, _, messages in PLAN}
    assert {c: len(ids) for c, ids in sent.conversations.items()} == {c: n for c, n, _ in PLAN}
    assert len(missed_paraphrases(sent)) >= MIN_MISSED, {t: sent.responses[t] for t in TATTOO}
    assert sum(sum(t.values()) for t in sent.answers.values()) >= 150, "the covered questions were answered"
    assert sum(v["up"] + v["down"] for v in sent.votes.values()) >= 20
    assert {c: sent.responses[text] for (c, _), text in CRISIS.items()} == {c: ["utter_crisis"] for c, _ in CRISIS}


@pytest.mark.live
def test_totals_per_channel_match_what_was_sent(session):
    sent = session.sent
    rows = {row["channel"]: row for row in session.csv("totals")}
    for channel, conversations, messages in PLAN:
        assert int(rows[channel]["messages"]) == messages == sent.messages[channel]
        assert int(rows[channel]["conversations"]) == conversations
    assert set(rows) == {"rest", "sms", "web", "all"}, "nothing else was in this store"
    assert int(rows["all"]["messages"]) == TOTAL
    assert f"{TOTAL} visitor messages in {sum(c for _, c, _ in PLAN)} conversations" in session.stdout
    up = sum(v["up"] for v in sent.votes.values())
    down = sum(v["down"] for v in sent.votes.values())
    assert (int(rows["all"]["votes_up"]), int(rows["all"]["votes_down"])) == (up, down)
    say_in_summary("staff report after the scripted session", "; ".join(
        f"{c}: {rows[c]['messages']} messages, {rows[c]['conversations']} conversations, {rows[c]['answers']} "
        f"answers, {rows[c]['unanswered']} unanswered" for c in ("rest", "sms", "web", "all")))


@pytest.mark.live
def test_offers_rephrase_requests_and_crisis_replies_match_the_replies_received(session):
    """Counted from the replies this script's clients got (REST and socket.io messages, the SMS turns'
    stored bot events): how many were offers or requests to rephrase is the model's business."""
    sent = session.sent
    rows = {row["channel"]: row for row in session.csv("totals")}
    columns = {"did_you_mean": "did_you_mean", "rephrase": "ask_rephrase", "crisis": "crisis"}
    for channel in ("rest", "sms", "web"):
        for column, key in columns.items():
            assert int(rows[channel][column]) == sent.replies[channel][key], (channel, column)
    for column, key in columns.items():
        assert int(rows["all"][column]) == sum(replies[key] for replies in sent.replies.values()), column
    assert int(rows["all"]["crisis"]) == len(CRISIS), "one crisis reply per crisis message, none elsewhere"
    missed = len(missed_paraphrases(sent))
    assert int(rows["all"]["did_you_mean"]) + int(rows["all"]["rephrase"]) >= missed >= MIN_MISSED
    days = [row for row in session.csv("daily") if row["channel"] == "all"]  # the session may cross midnight
    assert [sum(int(row[column]) for row in days) for column in columns] == [int(rows["all"][c]) for c in columns]
    say_in_summary("staff report after the scripted session", "did-you-mean offers / rephrase requests / crisis "
                   "replies: " + ", ".join(f"{c} {rows[c]['did_you_mean']} / {rows[c]['rephrase']} / "
                                           f"{rows[c]['crisis']}" for c in ("rest", "sms", "web")))


@pytest.mark.live
def test_answers_per_key_match_the_responses_given(session):
    table = {row["answer_key"]: {c: int(row[c]) for c in ("rest", "sms", "web")} for row in session.csv("answers")}
    given = {key: {c: counts[c] for c in ("rest", "sms", "web")} for key, counts in session.sent.answers.items()}
    assert table == given
    per_day: dict[str, Counter] = {}  # answers_daily.csv: the same counts, per day
    for row in session.csv("answers_daily"):
        per_day.setdefault(row["answer_key"], Counter()).update({c: int(row[c]) for c in ("rest", "sms", "web")})
    assert {key: {c: counts[c] for c in ("rest", "sms", "web")} for key, counts in per_day.items()} == given


@pytest.mark.live
def test_votes_per_key_match_the_votes_sent(session):
    rows = {row["answer_key"]: row for row in session.csv("feedback")}
    assert set(rows) == set(session.sent.votes)
    for key, tally in session.sent.votes.items():
        assert (int(rows[key]["up"]), int(rows[key]["down"])) == (tally["up"], tally["down"]), key
        for reason in feedback.REASON_LABELS:
            assert int(rows[key][reason]) == tally[reason], (key, reason)


@pytest.mark.live
def test_the_largest_unanswered_group_holds_the_paraphrases(session):
    groups = session.csv("unanswered_groups")  # the CSV shows a few examples; --suggest lists the group's texts
    shown = groups[0]["examples"].split(" | ")
    first = yaml.safe_load((session.folder / "suggest.yml").read_text(encoding="utf-8"))["suggestions"][0]
    members = [p["text"] for p in first["phrasings"]]
    missed = missed_paraphrases(session.sent)
    held = [t for t in missed if t in members]
    assert first["group"] == 1 and len(held) >= len(missed) - SET_APART, (missed, members, groups[:3])
    assert set(shown) <= set(members)
    assert not set(members) & {*COVERED, *OTHERS}, "no answered question, nor the unrelated unanswered ones"
    assert len(held) <= int(groups[0]["messages"]) <= len(TATTOO)
    assert all(int(g["messages"]) < len(held) for g in groups[1:])
    say_in_summary("staff report after the scripted session",
                   f"largest unanswered group: {groups[0]['messages']} messages ({len(held)} of the {len(missed)} "
                   f"unanswered of {len(TATTOO)} paraphrases), most like {groups[0]['most_like_key']}; "
                   f"{len(groups)} groups in all")


@pytest.mark.live
def test_no_phone_number_or_conversation_id_in_the_outputs(session):
    outputs = [session.html, session.stdout, (session.folder / "suggest.yml").read_text(encoding="utf-8"),
               *(p.read_text(encoding="utf-8") for p in sorted((session.folder / "csv").glob("*.csv")))]
    ids = [i.partition(":")[2] for ids in session.sent.conversations.values() for i in ids]
    for text in outputs:
        digits = re.sub(r"\D", "", text)
        for number in session.sent.numbers:
            assert number not in text and number[2:] not in digits  # not even as a digit run without +1
        assert PHONE_IN_TEXT not in text and "5552013344" not in digits
        assert not [i for i in ids if i in text]
        assert not [t for t in CRISIS.values() if t in text], "a crisis message is never shown"
    assert "my number is [phone], whats the weather tomorrow" in session.html, "shown, masked"


def project_copy(root: Path) -> Path:
    """What adopt reads and writes, copied: the real data/ is never touched."""
    shutil.copytree(ROOT / "data", root / "data")
    shutil.copytree(ROOT / "tests" / "data", root / "tests" / "data")
    shutil.copy(ROOT / "domain.yml", root / "domain.yml")
    return root


@pytest.mark.live
def test_a_suggested_phrasing_accepted_and_adopted(session, tmp_path):
    from bot import content

    path = session.folder / "suggest.yml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    first = document["suggestions"][0]
    texts = [p["text"] for p in first["phrasings"]]
    accepted = next(t for t in missed_paraphrases(session.sent) if t in texts)
    assert first["group"] == 1 and all(p["accept"] is False for p in first["phrasings"])
    # the reviewer's part: accept one phrasing, under the answer for questions about the program's own
    # rules (whatever the group most resembled)
    first["key"] = "facility_question"
    next(p for p in first["phrasings"] if p["text"] == accepted)["accept"] = True
    reviewed = tmp_path / "reviewed.yml"
    reviewed.write_text(report.SUGGEST_HEADER + yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    project = project_copy(tmp_path / "project")
    real = {p: p.read_text(encoding="utf-8") for p in (ROOT / "data").rglob("*.yml")}
    done = subprocess.run([sys.executable, "-m", "bot", "adopt", str(reviewed), "--root", str(project)], cwd=ROOT,
                          env=plain_env(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    where = adopt.phrasing_file(project, "facility_question")
    assert where is not None and where.parent == project / "data" / "nlu"
    assert f"added under facility_question (data/nlu/{where.name}): {accepted}" in done.stdout, done.stdout
    assert f"    - {accepted}\n" in where.read_text(encoding="utf-8")
    assert "1 phrasing(s) added; content check: OK" in done.stdout
    content.load.cache_clear()
    try:
        assert accepted in content.load(project).phrasings["facility_question"]
        assert not [t for t in TATTOO if t != accepted and t in content.load(project).phrasings["facility_question"]]
    finally:
        content.load.cache_clear()
    assert {p: p.read_text(encoding="utf-8") for p in real} == real, "the real data untouched"


# ---- the page on a phone

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
MIN_CHART_WIDTH = 300


@pytest.mark.live
@pytest.mark.browser
def test_the_page_reads_on_a_phone(session, tmp_path):
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: run `make test-deps`")
    target = ROOT / "docs" / "staff-report.png" if os.environ.get("IOP_WRITE_DOCS") == "1" else \
        tmp_path / "staff-report.png"
    page_file = session.folder / "report.html"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"])
        try:
            context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
            requests: list[str] = []
            context.on("request", lambda r: requests.append(r.url))
            page = context.new_page()
            page.goto(page_file.as_uri())
            page.wait_for_load_state("load")
            width = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
            assert width[0] <= width[1] == PHONE["width"], f"horizontal scroll: {width}"
            charts = page.evaluate("() => [...document.images].map(i => [i.alt.slice(0, 40), "
                                   "i.getBoundingClientRect().width, i.naturalWidth])")
            assert len(charts) == 4, charts  # messages, rates, groups, votes
            assert all(shown >= MIN_CHART_WIDTH and natural > 0 for _, shown, natural in charts), charts
            assert [u for u in requests if not u.startswith(("file:", "data:"))] == [], "self-contained"
            target.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(target), full_page=True)
            context.close()
        finally:
            browser.close()
    assert target.stat().st_size > 10_000
    say_in_summary("staff report after the scripted session", f"phone screenshot: {target}")
