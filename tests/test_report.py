"""The staff report (bot/report.py) and adopting suggested phrasings (bot/adopt.py).

Most tests fill a temporary SQLite store with conversations built from Rasa's own
events; the live tests at the end run a scripted session through the running assistant
(web chat, SMS, REST, with votes) and check the report against what was sent.
"""
from __future__ import annotations

import asyncio
import csv
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import adopt, report
from bot.channels.feedback import vote_payload
from tests.helpers import ROOT

DAY = 86400.0
NOW = 1_780_000_000.0  # a fixed "now" (2026-05-28 UTC); events are placed relative to it


# ---- building stored conversations


def user(text: str, intent: str, confidence: float = 0.95, selector: float | None = None,
         entities: list[dict[str, Any]] | None = None) -> tuple:
    return ("user", text, intent, confidence, selector, entities or [])


def bot(response: str, text: str = "...") -> tuple:
    return ("bot", response, text)


def vote(key: str, up_or_down: str, reason: str | None = None) -> tuple:
    payload = vote_payload(key, up_or_down, reason)
    entities = [{"entity": "answer_key", "value": key}, {"entity": "vote", "value": up_or_down}]
    if reason:
        entities.append({"entity": "reason", "value": reason})
    return user(payload, "feedback", 1.0, None, entities)


def events_of(script: list[tuple], start: float) -> list[Any]:
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

    events: list[Any] = [ActionExecuted("action_session_start", timestamp=start),
                         ActionExecuted("action_listen", timestamp=start)]
    for n, step in enumerate(script):
        stamp = start + n + 1
        if step[0] == "user":
            _, text, intent, confidence, selector, entities = step
            parse: dict[str, Any] = {"text": text, "intent": {"name": intent, "confidence": confidence},
                                     "entities": entities}
            if selector is not None:
                parse["response_selector"] = {"faq": {"response": {"confidence": selector}}}
            events.append(UserUttered(text, parse["intent"], entities, parse, timestamp=stamp))
        else:
            _, response, text = step
            events.append(ActionExecuted(response, timestamp=stamp))
            events.append(BotUttered(text, metadata={"utter_action": response}, timestamp=stamp))
            events.append(ActionExecuted("action_listen", timestamp=stamp))
    return events


def open_sqlite(path: Path) -> Any:
    from rasa.core.tracker_store import SQLTrackerStore

    return SQLTrackerStore(dialect="sqlite", db=str(path))


def save(store: Any, conversation: str, script: list[tuple], start: float) -> None:
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker.from_events(conversation, events_of(script, start))
    asyncio.run(store.save(tracker))


# Three channels and the staff shell on two days: what each sent is known exactly.
WEB = [
    user("/greet", "greet", 1.0), bot("utter_greet"),
    user("how much does iop cost", "faq", 0.97, 0.96), bot("utter_faq/iop_cost"),
    vote("iop_cost", "up"),
    vote("iop_cost", "down", "too_long"),  # changed its mind: the last vote counts
    user("can i do iop over zoom", "nlu_fallback", 0.3), bot("utter_did_you_mean"),
    user("is there a virtual iop", "nlu_fallback", 0.28), bot("utter_ask_rephrase"),
    user("I want to talk to someone, call me at 555-010-7788", "human_handoff", 0.99), bot("utter_human_handoff"),
]
SMS = [
    user("how long does iop last", "faq", 0.99, 0.98), bot("utter_faq/iop_duration"),
    user("should I stop taking my meds", "medical_advice", 0.93), bot("utter_medical_advice"),
    user("i want to end my life", "crisis", 1.0), bot("utter_crisis"),
    user("thanks", "thanks", 0.99), bot("utter_thanks"),
]
REST = [
    user("what is iop", "faq", 0.9, 0.9), bot("utter_ask_iop_sense"),
    user('/choose_sense{"iop_sense": "eye"}', "choose_sense", 1.0), bot("utter_iop_eye"),
    vote("iop_eye", "up"),
    user("whats the weather tomorrow", "out_of_scope", 0.91), bot("utter_out_of_scope"),
    user("does insurance pay", "faq", 0.62, 0.6), bot("utter_faq/iop_insurance"),  # answered, barely
    vote("iop_duration", "down"),  # not an answer of this conversation: not counted
]
SHELL = [user("how long does iop last", "faq", 0.99, 0.99), bot("utter_faq/iop_duration"),
         vote("iop_duration", "down", "wrong")]


@pytest.fixture
def store(tmp_path):
    store = open_sqlite(tmp_path / "conversations.db")
    save(store, "web:" + "a" * 32, WEB, NOW - 2 * DAY)
    save(store, "sms:" + "b" * 32, SMS, NOW - 2 * DAY + 100)
    save(store, "rest:alice", REST, NOW - DAY)
    save(store, "rest:staff-1234abcd", SHELL, NOW - DAY + 100)
    return store


@pytest.fixture(scope="module")
def centroid_cache():
    return None  # the default: .state/report/, keyed by a hash of the phrasings (encoding them takes ~20 s)


def built(store: Any, cache: Path | None, since: float | None = None, retention: float = 90) -> report.Report:
    return report.build(report.read(store, since, retention, now=NOW), cache_dir=cache)


def test_figures_per_channel_match_what_was_sent(store, centroid_cache):
    r = built(store, centroid_cache)
    web, sms, rest, shell = (r.by_channel[c] for c in ("web", "sms", "rest", "shell"))
    assert list(r.by_channel) == ["web", "sms", "rest", "shell"]
    # the web chat's own /greet is not a visitor message, nor is a vote
    assert (web["conversations"], web["messages"], web["answers"]) == (1, 4, 2)
    assert (web["did_you_mean"], web["rephrase"], web["handoffs"]) == (1, 1, 1)
    assert (sms["messages"], sms["answers"], sms["medical_advice"], sms["crisis"]) == (4, 2, 1, 1)
    assert (rest["messages"], rest["answers"], rest["unanswered"], rest["low_confidence"]) == (4, 2, 1, 1)
    assert shell["messages"] == 1 and shell["answers"] == 1
    assert r.overall["messages"] == 13 and r.overall["conversations"] == 4
    # rates are over questions: web asked 4, of which 2 answered (cost, handoff), 2 fell back
    assert web["answer_rate"] == pytest.approx(0.5) and web["fallback_rate"] == pytest.approx(0.5)
    assert web["handoff_rate"] == pytest.approx(0.25)
    # sms: duration and medical boundary answered; crisis and thanks are not questions
    assert sms["answer_rate"] == pytest.approx(1.0)
    answers = {row["key"]: row for row in r.answers}
    assert answers["iop_duration"]["total"] == 2 and answers["iop_duration"]["sms"] == 1
    assert answers["iop_duration"]["shell"] == 1 and answers["iop_cost"]["web"] == 1
    assert r.answers[0]["key"] == "iop_duration", "most given first"


def test_per_day_rows_add_up(store, centroid_cache):
    r = built(store, centroid_cache)
    days = sorted({row["day"] for row in r.daily})
    assert days == [report._day(NOW - 2 * DAY), report._day(NOW - DAY)]
    first = {row["channel"]: row for row in r.daily if row["day"] == days[0]}
    assert set(first) == {"web", "sms", "all"} and first["all"]["messages"] == 8
    assert sum(row["messages"] for row in r.daily if row["channel"] == "all") == r.overall["messages"]


# Two UTC days with different figures on each, and one conversation running over midnight: a message
# counts on the day it was sent, its replies with it.
MIDNIGHT = NOW - NOW % DAY  # the start of NOW's day (UTC)
DAY_A, DAY_B = report._day(MIDNIGHT - 1), report._day(MIDNIGHT)
REST_A = [
    user("how much does iop cost", "faq", 0.97, 0.96), bot("utter_faq/iop_cost"),
    user("and the price per week", "faq", 0.95, 0.9), bot("utter_faq/iop_cost"),
    user("how long does iop last", "faq", 0.99, 0.98), bot("utter_faq/iop_duration"),
    user("can i do iop over zoom", "nlu_fallback", 0.3), bot("utter_did_you_mean"),
    user("is there a virtual iop", "nlu_fallback", 0.28), bot("utter_ask_rephrase"),
    user("i want to end my life", "crisis", 1.0), bot("utter_crisis"),
]
WEB_A = [
    user("/greet", "greet", 1.0), bot("utter_greet"),
    user("should I stop taking my meds", "medical_advice", 0.93), bot("utter_medical_advice"),
    user("how much does iop cost", "faq", 0.97, 0.96), bot("utter_faq/iop_cost"),
    user("let me talk to a person", "human_handoff", 0.99), bot("utter_human_handoff"),
    user("qwpoeiru zxmv", "nlu_fallback", 0.2), bot("utter_ask_rephrase"),
    user("thanks", "thanks", 0.99), bot("utter_thanks"),
]
OVER_MIDNIGHT = [  # starts 3 s before midnight: the first message on day A, the second at midnight (day B)
    user("what does iop cost", "faq", 0.96, 0.95), bot("utter_faq/iop_cost"),
    user("does insurance pay", "faq", 0.94, 0.92), bot("utter_faq/iop_insurance"),
]
SMS_B = [
    user("how long does iop last", "faq", 0.99, 0.98), bot("utter_faq/iop_duration"),
    user("how many weeks is it", "faq", 0.9, 0.88), bot("utter_faq/iop_duration"),
    user("can i get a tattoo during the program", "nlu_fallback", 0.3), bot("utter_did_you_mean"),
    user("any rules about tattoos", "nlu_fallback", 0.3), bot("utter_did_you_mean"),
    user("tattoo rules?", "nlu_fallback", 0.3), bot("utter_ask_rephrase"), bot("utter_human_handoff"),  # third miss
    user("i cant do this anymore i want to kill myself", "crisis", 1.0), bot("utter_crisis"),
    user("please help i took too many pills", "crisis", 1.0), bot("utter_crisis"),
    user("bye", "goodbye", 0.99), bot("utter_goodbye"),
]


@pytest.fixture
def two_days(tmp_path):
    store = open_sqlite(tmp_path / "two-days.db")
    save(store, "rest:day-a", REST_A, MIDNIGHT - DAY + 3600)
    save(store, "web:" + "c" * 32, WEB_A, MIDNIGHT - DAY + 7200)
    save(store, "rest:late", OVER_MIDNIGHT, MIDNIGHT - 3)
    save(store, "sms:" + "d" * 32, SMS_B, MIDNIGHT + 3600)
    return store


def test_answers_per_key_per_day_match_what_was_given(two_days, centroid_cache, tmp_path):
    r = built(two_days, centroid_cache)
    assert list(r.by_channel) == ["web", "sms", "rest"]
    got = {(row["day"], row["key"]): (row["web"], row["sms"], row["rest"], row["total"]) for row in r.answers_daily}
    assert got == {
        (DAY_A, "iop_cost"): (1, 0, 3, 4),  # rest:day-a twice, the web once, rest:late before midnight
        (DAY_A, "iop_duration"): (0, 0, 1, 1),
        (DAY_A, "medical_advice"): (1, 0, 0, 1),
        (DAY_A, "human_handoff"): (1, 0, 0, 1),
        (DAY_B, "iop_duration"): (0, 2, 0, 2),
        (DAY_B, "human_handoff"): (0, 1, 0, 1),  # offered with the third miss's rephrase request
        (DAY_B, "iop_insurance"): (0, 0, 1, 1),  # rest:late at midnight
    }
    assert [(row["day"], row["key"]) for row in r.answers_daily][:2] == [(DAY_A, "iop_cost"), (DAY_A, "human_handoff")]
    for row in r.answers:  # the days add up to the totals per key
        assert sum(d["total"] for d in r.answers_daily if d["key"] == row["key"]) == row["total"], row["key"]
    # the phone-sized view: each day's three most given keys, the rest of that day's answers summed
    assert report.top_answers_per_day(r) == [
        [DAY_A, "iop_cost", 4], [DAY_A, "human_handoff", 1], [DAY_A, "iop_duration", 1],
        [DAY_A, "other (1 key)", 1],
        [DAY_B, "iop_duration", 2], [DAY_B, "human_handoff", 1], [DAY_B, "iop_insurance", 1],
    ]
    page = report.to_html(r)
    assert f'<th scope="row">{DAY_A}</th><td>iop_cost</td><td>4</td>' in page
    assert f'<th scope="row">{DAY_B}</th><td>iop_duration</td><td>2</td>' in page
    summary = report.summary(r)
    assert f"  {DAY_A}: iop_cost 4, human_handoff 1, iop_duration 1, other (1 key) 1\n" in summary
    assert f"  {DAY_B}: iop_duration 2, human_handoff 1, iop_insurance 1\n" in summary
    report.write_csv(r, tmp_path / "csv")
    with (tmp_path / "csv" / "answers_daily.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["day", "answer_key", "web", "sms", "rest", "total"]
    assert {(row["day"], row["answer_key"]): (int(row["web"]), int(row["sms"]), int(row["rest"]), int(row["total"]))
            for row in rows} == got
    assert len(rows) == len(got), "one row per day and key"


def test_per_day_figures_match_what_was_sent(two_days, centroid_cache, tmp_path):
    r = built(two_days, centroid_cache)
    rows = {(row["day"], row["channel"]): row for row in r.daily}
    assert set(rows) == {(DAY_A, "web"), (DAY_A, "rest"), (DAY_A, "all"), (DAY_B, "sms"), (DAY_B, "rest"),
                         (DAY_B, "all")}
    names = ("conversations", "messages", "answers", "did_you_mean", "rephrase", "handoffs", "medical_advice",
             "crisis", "unanswered")
    figures = {key: tuple(row[n] for n in names) for key, row in rows.items()}
    assert figures[(DAY_A, "all")] == (3, 12, 7, 1, 2, 1, 1, 1, 3)
    assert figures[(DAY_A, "rest")] == (2, 7, 4, 1, 1, 0, 0, 1, 2)
    assert figures[(DAY_A, "web")] == (1, 5, 3, 0, 1, 1, 1, 0, 1)
    assert figures[(DAY_B, "all")] == (2, 9, 4, 2, 1, 1, 0, 2, 3)
    assert figures[(DAY_B, "sms")] == (1, 8, 3, 2, 1, 1, 0, 2, 3)
    assert figures[(DAY_B, "rest")] == (1, 1, 1, 0, 0, 0, 0, 0, 0)
    # rates over that day's questions (small talk, /greet and crisis messages aside):
    # day A 10 questions, 7 answered, 3 fell back, 1 handed off; day B 6, 3 answered, 3 fell back (the third
    # miss offered a person too)
    rates = {key: tuple(row[n] for n in report.RATES) for key, row in rows.items()}
    assert rates[(DAY_A, "all")] == pytest.approx((0.7, 0.3, 0.1))
    assert rates[(DAY_A, "web")] == pytest.approx((0.75, 0.25, 0.25))
    assert rates[(DAY_B, "all")] == pytest.approx((0.5, 0.5, 1 / 6))
    assert rates[(DAY_B, "rest")] == pytest.approx((1.0, 0.0, 0.0))
    assert r.overall["messages"] == 21 and r.overall["conversations"] == 4, "rest:late counted once overall"
    # the same figures in daily.csv and in the rates chart's text
    report.write_csv(r, tmp_path / "csv")
    with (tmp_path / "csv" / "daily.csv").open() as handle:
        csv_rows = {(row["day"], row["channel"]): row for row in csv.DictReader(handle)}
    assert tuple(int(csv_rows[(DAY_B, "all")][n]) for n in names) == figures[(DAY_B, "all")]
    assert float(csv_rows[(DAY_A, "all")]["fallback_rate"]) == pytest.approx(0.3)
    assert float(csv_rows[(DAY_B, "all")]["handoff_rate"]) == pytest.approx(1 / 6, abs=1e-4)
    page = report.to_html(r)
    assert f"{DAY_A[5:]} 70% / 30% / 10%; {DAY_B[5:]} 50% / 50% / 17%" in page


def test_votes_last_one_counts_worst_first(store, centroid_cache):
    r = built(store, centroid_cache)
    by_key = {row["key"]: row for row in r.votes}
    assert (by_key["iop_cost"]["up"], by_key["iop_cost"]["down"]) == (0, 1)
    assert by_key["iop_cost"]["reasons"] == {"too_long": 1}
    assert (by_key["iop_eye"]["up"], by_key["iop_eye"]["down"]) == (1, 0)
    # the rest conversation's vote on iop_duration rated nothing it was given; the shell's counts
    assert (by_key["iop_duration"]["up"], by_key["iop_duration"]["down"]) == (0, 1)
    assert [row["key"] for row in r.votes][-1] == "iop_eye", "worst first"
    assert r.overall["votes_up"] == 1 and r.overall["votes_down"] == 2


def test_only_conversations_kept_under_retention_and_since(tmp_path, centroid_cache):
    store = open_sqlite(tmp_path / "c.db")
    save(store, "rest:old", [user("how long does iop last", "faq", 0.99, 0.99), bot("utter_faq/iop_duration")],
         NOW - 100 * DAY)
    save(store, "rest:new", [user("how much does iop cost", "faq", 0.99, 0.99), bot("utter_faq/iop_cost")],
         NOW - 5 * DAY)
    assert built(store, centroid_cache).overall["messages"] == 1, "100 days old: past the 90-day retention"
    assert built(store, centroid_cache, retention=365).overall["messages"] == 2
    assert built(store, centroid_cache, since=NOW - 3 * DAY).overall["messages"] == 0


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("call me at 555-010-7788 please", "call me at [phone] please"),
        ("my cell is (555) 010 7788", "my cell is [phone]"),
        ("text +1 555 010 7788 tonight", "text [phone] tonight"),
        ("5550107788", "[phone]"),
        ("write to jane.doe+iop@example.org", "write to [email]"),
        ("my member id is 99812", "my member id is [number]"),
        ("ssn 123-45-6789", "ssn [phone]"),
        ("see https://example.org/me?id=7", "see [link]"),
        ("how much for 8 weeks of iop in 2026", "how much for 8 weeks of iop in 2026"),
    ],
)
def test_masking(text, masked):
    assert report.mask(text) == masked


def test_since_takes_durations_and_dates():
    assert report.parse_since("30d", now=NOW) == NOW - 30 * DAY
    assert report.parse_since("12h", now=NOW) == NOW - 12 * 3600
    assert report.parse_since("2w", now=NOW) == NOW - 14 * DAY
    assert report.parse_since("2026-05-01") == 1_777_593_600.0
    assert report.parse_since(None) is None
    with pytest.raises(ValueError, match="30d"):
        report.parse_since("last month")


VIRTUAL = ["can I do the intensive outpatient program online", "is there a virtual IOP option",
           "can i attend iop sessions online from home", "do you offer iop online", "online iop available?",
           "is the program available virtually"]
OTHERS = ["whats the weather tomorrow", "can my dog come with me", "who won the game last night",
          "do you have a spanish speaking therapist", "is parking free"]


def test_grouping_puts_paraphrases_together():
    from bot.nlu.sentence_encoder import encode

    texts = [*VIRTUAL, *OTHERS]
    groups = report.group_missed(texts, encode([report.without_domain_words(t) for t in texts]))
    assert sorted(groups[0]) == list(range(len(VIRTUAL))), [[texts[i] for i in g] for g in groups]
    assert all(len(g) < len(VIRTUAL) for g in groups[1:])


def test_groups_name_the_answer_they_most_resemble(tmp_path, centroid_cache):
    store = open_sqlite(tmp_path / "c.db")
    cost = ["is this gonna cost me a lot", "what would I end up paying", "whats the price tag on this",
            "how pricey is it"]
    script: list[tuple] = []
    for text in [*cost, "whats the weather tomorrow"]:
        script += [user(text, "nlu_fallback", 0.3), bot("utter_ask_rephrase")]
    save(store, "rest:x", script, NOW - DAY)
    r = built(store, centroid_cache)
    assert r.groups[0].size == 4 and r.groups[0].nearest_key == "iop_cost"
    assert set(r.groups[0].examples()) == set(cost)


def test_text_summary(store, centroid_cache):
    text = report.summary(built(store, centroid_cache))
    assert "13 visitor messages in 4 conversations" in text
    assert "iop_cost: 0 up, 1 down (too long 1)" in text
    assert "[phone]" not in text, "the handoff message was answered: its text is not shown"
    assert "555-010-7788" not in text and "a" * 32 not in text


def test_html_is_self_contained_private_and_phone_ready(store, centroid_cache):
    page = report.to_html(built(store, centroid_cache))
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "nothing is loaded from elsewhere"
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)" alt="([^"]+)"', page)
    assert len(images) == 4 and all(alt for _, alt in images)  # messages, rates, groups, votes
    assert "can i do iop over zoom" in page, "unanswered messages are shown"
    for private in ("a" * 32, "b" * 32, "rest:alice", "staff-1234abcd", "555-010-7788", "i want to end my life",
                    "should I stop taking my meds", "how much does iop cost"):
        assert private not in page


def test_csv_files_hold_the_same_tables(store, centroid_cache, tmp_path):
    r = built(store, centroid_cache)
    written = report.write_csv(r, tmp_path / "csv")
    assert sorted(p.name for p in written) == ["answers.csv", "answers_daily.csv", "daily.csv", "feedback.csv",
                                               "totals.csv", "unanswered_groups.csv"]
    with (tmp_path / "csv" / "totals.csv").open() as handle:
        rows = {row["channel"]: row for row in csv.DictReader(handle)}
    assert rows["web"]["messages"] == "4" and rows["all"]["messages"] == "13"
    assert float(rows["web"]["answer_rate"]) == pytest.approx(0.5)
    with (tmp_path / "csv" / "feedback.csv").open() as handle:
        feedback_rows = list(csv.DictReader(handle))
    assert feedback_rows[0]["answer_key"] in {"iop_cost", "iop_duration"} and feedback_rows[0]["down"] == "1"
    with (tmp_path / "csv" / "unanswered_groups.csv").open() as handle:
        examples = " ".join(row["examples"] for row in csv.DictReader(handle))
    assert "can i do iop over zoom" in examples and "whats the weather tomorrow" in examples


def test_report_command(store, tmp_path):
    env = {"IOP_TRACKER_DB": str(tmp_path / "conversations.db"), "IOP_RETENTION_DAYS": "100000"}
    done = subprocess.run([sys.executable, "-m", "bot", "report", "--html", str(tmp_path / "r.html"),
                           "--csv", str(tmp_path / "csv"), "--suggest", str(tmp_path / "s.yml")],
                          cwd=ROOT, env={**_env(), **env}, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "13 visitor messages in 4 conversations" in done.stdout
    assert (tmp_path / "r.html").exists() and (tmp_path / "csv" / "daily.csv").exists()
    assert "accept: false" in (tmp_path / "s.yml").read_text()
    bad = subprocess.run([sys.executable, "-m", "bot", "report", "--since", "yesterday"], cwd=ROOT,
                         env={**_env(), **env}, capture_output=True, text=True, timeout=600)
    assert bad.returncode == 2 and "--since takes" in bad.stderr


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("IOP_")}


# ---- from missed to answered (on a temporary copy of the data)


@pytest.fixture
def project(tmp_path):
    """A copy of what adopt reads and writes: the data, the domain and the test phrasings."""
    root = tmp_path / "project"
    shutil.copytree(ROOT / "data", root / "data")
    shutil.copytree(ROOT / "tests" / "data", root / "tests" / "data")
    shutil.copy(ROOT / "domain.yml", root / "domain.yml")
    return root


def suggestions_file(path: Path, items: list[tuple[str, str, bool]]) -> Path:
    by_key: dict[str, list[dict[str, Any]]] = {}
    for key, text, accept in items:
        by_key.setdefault(key, []).append({"text": text, "accept": accept})
    document = {"suggestions": [{"group": n, "key": key, "similarity": 0.6, "messages": len(p), "phrasings": p}
                                for n, (key, p) in enumerate(by_key.items(), 1)]}
    path.write_text(report.SUGGEST_HEADER + yaml.safe_dump(document, sort_keys=False))
    return path


def phrasings_of(root: Path, key: str) -> list[str]:
    from bot import content

    content.load.cache_clear()
    try:
        return content.load(root).phrasings[key]
    finally:
        content.load.cache_clear()


def test_suggest_writes_groups_for_review(store, centroid_cache, tmp_path):
    r = built(store, centroid_cache)
    path = tmp_path / "suggest.yml"
    count = report.write_suggestions(r, path)
    document = yaml.safe_load(path.read_text())
    texts = [p["text"] for s in document["suggestions"] for p in s["phrasings"]]
    assert count == len(texts) and "can i do iop over zoom" in texts
    assert all(p["accept"] is False for s in document["suggestions"] for p in s["phrasings"])
    assert all(s["key"] for s in document["suggestions"])
    assert path.read_text().startswith("# Suggested phrasings")


def test_adopt_adds_accepted_phrasings_where_the_key_lives(project, tmp_path):
    before = (project / "data" / "nlu" / "faq" / "programs.yml").read_text()
    path = suggestions_file(tmp_path / "s.yml", [
        ("iop_duration", "roughly how many weeks would i be in this thing", True),
        ("iop_duration", "how many weeks is the virtual version", False),  # not accepted: never added
        ("facility_question", "is there a bike rack outside your building", True),
    ])
    outcome = adopt.adopt(path, project)
    assert outcome.ok and not outcome.refused, adopt.describe(outcome, project)
    assert [(k, f.name) for k, _, f in outcome.added] == [("iop_duration", "programs.yml"),
                                                         ("facility_question", "facility.yml")]
    assert "roughly how many weeks would i be in this thing" in phrasings_of(project, "iop_duration")
    assert "how many weeks is the virtual version" not in phrasings_of(project, "iop_duration")
    after = (project / "data" / "nlu" / "faq" / "programs.yml").read_text()
    assert after.replace("    - roughly how many weeks would i be in this thing\n", "", 1) == before, \
        "one line added, the rest of the file as it was"
    from bot import check, content

    content.load.cache_clear()
    assert check.run_checks(content.load(project)) == []
    content.load.cache_clear()
    # the real data is untouched
    assert "roughly how many weeks would i be in this thing" not in (ROOT / "data/nlu/faq/programs.yml").read_text()
    again = adopt.adopt(path, project)
    assert not again.added and len(again.already) == 2, "adopting twice adds nothing twice"


def test_adopt_refuses_duplicates_near_copies_and_private_text(project, tmp_path):
    from bot import content

    content.load.cache_clear()
    taken = content.load(ROOT).phrasings["iop_cost"][0]
    content.load.cache_clear()
    blind = next(t for t in adopt.test_phrasings(project) if len(t) > 25)
    path = suggestions_file(tmp_path / "s.yml", [
        ("iop_duration", taken, True),  # stands under iop_cost already
        ("iop_schedule", blind + "!", True),  # nearly a test phrasing
        ("human_handoff", "call me back on [phone]", True),
        ("iop_cost", "how much is [the](price) of it", True),
        ("no_such_key", "what is this", True),
        ("iop_cost", "i want to kill myself because i cant pay for iop", True),
    ])
    before = {p: p.read_text() for p in (project / "data").rglob("*.yml")}
    outcome = adopt.adopt(path, project)
    why = {text: reason for _, text, reason in outcome.refused}
    assert len(outcome.refused) == 6 and not outcome.added, adopt.describe(outcome, project)
    assert "already stands under iop_cost" in why[taken]
    assert "nearly copies the test phrasing" in why[blind + "!"]
    assert "masked personal data" in why["call me back on [phone]"]
    assert "markup" in why["how much is [the](price) of it"]
    assert "not an answer with phrasings of its own" in why["what is this"]
    assert "at risk" in why["i want to kill myself because i cant pay for iop"]
    assert {p: p.read_text() for p in before} == before, "nothing written"


def test_adopt_refuses_one_phrasing_under_two_keys_in_one_file(project, tmp_path):
    path = suggestions_file(tmp_path / "s.yml", [("iop_cost", "what is the weekly cost of the program then", True),
                                                 ("iop_duration", "What is the weekly cost of the program, then?",
                                                  True)])
    outcome = adopt.adopt(path, project)
    # the second is the first with other case and punctuation: the content check's duplicate
    assert len(outcome.added) == 1 and "already stands under iop_cost" in outcome.refused[0][2]


def test_adopt_puts_every_file_back_when_the_content_check_fails(project, tmp_path, monkeypatch):
    from bot import check

    original, calls = check.run_checks, []

    def check_failing_after_the_write(content=None):
        calls.append(content)
        return [*original(content), *(["made-up problem"] if len(calls) > 1 else [])]

    monkeypatch.setattr(check, "run_checks", check_failing_after_the_write)
    before = {p: p.read_text() for p in (project / "data").rglob("*.yml")}
    path = suggestions_file(tmp_path / "s.yml", [("iop_cost", "so what would the whole thing run me", True)])
    outcome = adopt.adopt(path, project)
    assert outcome.rolled_back and outcome.problems == ["made-up problem"] and not outcome.ok
    assert {p: p.read_text() for p in before} == before
    assert "nothing was added" in adopt.describe(outcome, project)


def test_adopt_command(project, tmp_path):
    path = suggestions_file(tmp_path / "s.yml", [("iop_schedule", "which evenings would i need to show up", True)])
    done = subprocess.run([sys.executable, "-m", "bot", "adopt", str(path), "--root", str(project)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "added under iop_schedule (data/nlu/faq/programs.yml)" in done.stdout and "content check: OK" in done.stdout
    refused = subprocess.run([sys.executable, "-m", "bot", "adopt", str(path), "--root", str(project)], cwd=ROOT,
                             capture_output=True, text=True, timeout=600)
    assert refused.returncode == 0 and "already under iop_schedule" in refused.stdout
    assert json.dumps("which evenings") not in (ROOT / "data" / "nlu" / "faq" / "programs.yml").read_text()
