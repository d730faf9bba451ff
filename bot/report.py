"""The staff report: what visitors asked, what they were given, what was missed, what they thought of it.

``python -m bot report [--since 30d] [--html FILE] [--csv DIR] [--suggest FILE]`` reads the
conversation store (the SQLite file or PostgreSQL, bot/stores.py) and prints a summary:

- per channel and per day: conversations, visitor messages, answers given per key,
  did-you-mean offers, rephrase requests, handoffs, medical-boundary and crisis replies
  (counts only), and the answer, fallback and handoff rates over time; answers per key per
  day are printed and shown for each day's most given keys, and in full in answers_daily.csv;
- unanswered and low-confidence messages grouped by meaning (the sentence encoder of
  bot/nlu/sentence_encoder.py), biggest group first, each with the answer key whose
  training phrasings it most resembles (nearest centroid) and a few examples;
- votes per answer key (up, down, reasons), worst first.

``--html`` writes one self-contained page (charts as PNG images inside it, readable on a
phone), ``--csv`` the same tables as CSV files, ``--suggest`` a YAML of phrasings to review
for ``python -m bot adopt`` (bot/adopt.py): nothing is learnt until a person accepts it.

Private by design: message text appears only for unanswered and low-confidence messages,
with phone numbers, e-mail addresses, links and long digit runs masked; conversation ids
(SMS ids are keyed hashes of phone numbers) never appear; only conversations within the
retention period (``privacy.retention_days``, what ``purge`` keeps) are read. Days are UTC.
"""
from __future__ import annotations

import base64
import csv
import hashlib
import html
import io
import json
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from bot.channels import feedback

CHANNELS = ("web", "sms", "rest", "shell")  # the staff shell talks over REST as rest:staff-...
FALLBACK_KEYS = {"did_you_mean", "ask_rephrase", "default"}
SMALL_TALK_KEYS = {"greet", "goodbye", "thanks", "bot_challenge", "help", "anything_else"}
NOTICE_KEYS = {"empty_message", "too_long", "try_again", "rate_limited", "sms_help"}
INTERNAL_TEXTS = {"/greet"}  # sent by the web chat when a session starts, not by the visitor
# Keys an unanswered group may be suggested under (besides every faq/<key>): they have phrasings.
SUGGESTABLE_INTENT_KEYS = ("facility_question", "human_handoff", "medical_advice", "iop_eye", "iop_stock",
                           "php_programming", "out_of_scope")
LOW_CONFIDENCE = 0.7  # an answer given with less confidence than this is listed with the unanswered ones
# Grouping: average-linkage clustering of meaning vectors of the messages without the domain's own words
# (every message here is about IOP; the small encoder weighs "iop" over the question asked). Chosen on
# tests/data/dev/report_groups.yml (adjusted Rand index): without the domain words 0.73 at 0.25, 0.70 at
# 0.3, with them 0.55; adding word counts (TF-IDF) to the vectors scored lower. 0.3 keeps groups tighter.
GROUP_SIMILARITY = 0.3
DOMAIN_WORDS = re.compile(r"\b(?:i\.?o\.?p\.?s?|iot|php|intensive outpatient(?: programs?| treatment)?|"
                          r"partial hospitali[sz]ation(?: programs?)?|outpatient|programs?|treatment|rehab)\b",
                          re.IGNORECASE)
MAX_GROUPED = 4000  # the most recent unanswered messages grouped (the clustering is quadratic)
EXAMPLES_SHOWN = 5
TOP_KEYS_PER_DAY = 3  # the HTML page and the printed summary show these per day; answers_daily.csv has all
EXAMPLES_SUGGESTED = 10

# ---- privacy: what of a visitor's text may be shown

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_LINK = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_PHONE = re.compile(r"(?<![\w(])\+?\(?\d(?:[\s().\-]{0,3}\d){6,}(?![\w])")  # 7+ digits, however written
_DIGITS = re.compile(r"\d{5,}")
MASKS = ("[email]", "[link]", "[phone]", "[number]")


def mask(text: str) -> str:
    """The text with e-mail addresses, links, phone numbers and long digit runs replaced."""
    text = _EMAIL.sub("[email]", text)
    text = _LINK.sub("[link]", text)
    text = _PHONE.sub("[phone]", text)
    return _DIGITS.sub("[number]", text)


def channel_of(conversation: str) -> str:
    kind, _, sender = conversation.partition(":")
    if kind == "rest" and sender.startswith("staff-"):
        return "shell"
    return kind if kind in CHANNELS else "other"


# ---- reading the store


@dataclass
class Turn:
    """One visitor message and the bot's replies to it."""

    conversation: str  # never shown
    channel: str
    day: str
    text: str  # shown (masked) only when the message was not answered or barely
    intent: str | None
    confidence: float
    responses: list[str] = field(default_factory=list)

    @property
    def keys(self) -> list[str]:
        return [feedback.answer_key(r) or "" for r in self.responses]

    @property
    def outcome(self) -> str:
        keys = set(self.keys)
        if "crisis" in keys:
            return "crisis"
        if keys & FALLBACK_KEYS:  # also when a person is offered with it (after repeated misses): not answered
            return "fallback"
        if any(feedback.is_rateable(r) for r in self.responses):
            return "answered"
        if "out_of_scope" in keys:
            return "out_of_scope"
        if "ask_iop_sense" in keys:
            return "clarify"
        if keys & SMALL_TALK_KEYS:
            return "small_talk"
        return "notice" if keys & NOTICE_KEYS else "none"

    @property
    def is_question(self) -> bool:
        """Counted in the rates: small talk, channel notices and crisis messages aside."""
        return self.outcome in {"answered", "fallback", "out_of_scope", "clarify"}

    @property
    def typed(self) -> bool:
        return not self.text.startswith("/")  # button payloads and channel intents are not typed text

    @property
    def missed(self) -> str | None:
        """'unanswered' or 'low confidence' for a typed message staff should look at, else None."""
        if not self.typed:
            return None
        if self.outcome in {"fallback", "out_of_scope"}:
            return "unanswered"
        if self.outcome == "answered" and self.confidence < LOW_CONFIDENCE:
            return "low confidence"
        return None


@dataclass
class VoteRecord:
    channel: str
    day: str
    key: str
    vote: str
    reason: str | None


@dataclass
class Data:
    start: float
    end: float
    turns: list[Turn]
    votes: list[VoteRecord]


def _day(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")


def _confidence(parse: dict[str, Any]) -> tuple[str | None, float]:
    intent = parse.get("intent") or {}
    name, confidence = intent.get("name"), float(intent.get("confidence") or 0.0)
    selector = ((parse.get("response_selector") or {}).get("faq") or {}).get("response") or {}
    if name == "faq" and selector:
        confidence = min(confidence, float(selector.get("confidence") or 0.0))
    return name, confidence


def turns_of(conversation: str, events: Iterable[dict[str, Any]], start: float, end: float
             ) -> tuple[list[Turn], list[VoteRecord]]:
    """One conversation's visitor messages in [start, end) with their replies, and its votes (the last
    vote on each answer counts; a vote rates the latest reply with its key before it)."""
    channel = channel_of(conversation)
    turns: list[Turn] = []
    current: Turn | None = None
    answers: dict[str, int] = {}  # answer key -> index of its latest reply
    votes: dict[int, VoteRecord] = {}
    replies = 0
    for event in events:
        kind, stamp = event.get("event"), float(event.get("timestamp") or 0.0)
        if kind == "bot":
            replies += 1
            response = feedback.response_of(event)
            if response and feedback.is_rateable(response):
                answers[feedback.answer_key(response) or ""] = replies
            if current is not None and response:
                current.responses.append(response)
            continue
        if kind != "user":
            continue
        vote = feedback.vote_of(event)
        if vote is not None:
            if vote.answer_key in answers and start <= stamp < end:
                votes[answers[vote.answer_key]] = VoteRecord(channel, _day(stamp), vote.answer_key, vote.vote,
                                                             vote.reason)
            continue  # a vote is not a turn: the replies after it still belong to the message before
        text = str(event.get("text") or "")
        if text in INTERNAL_TEXTS or not start <= stamp < end:
            current = None
            continue
        name, confidence = _confidence(event.get("parse_data") or {})
        current = Turn(conversation, channel, _day(stamp), text, name, confidence)
        turns.append(current)
    return turns, list(votes.values())


def read(store: Any, since: float | None, retention_days: float, now: float | None = None) -> Data:
    """Visitor messages and votes of the conversations kept under the retention period, from ``since``."""
    from bot.privacy import sql_store

    sql = sql_store(store)
    if sql is None:
        raise TypeError("the report needs the SQL tracker store")
    end = now if now is not None else time.time()
    kept_from = end - retention_days * 86400
    start = max(since, kept_from) if since is not None else kept_from
    event = sql.SQLEvent
    import sqlalchemy as sa

    with sql.session_scope() as session:
        kept = (session.query(event.sender_id).group_by(event.sender_id)
                .having(sa.func.max(event.timestamp) >= kept_from).subquery())
        rows = (session.query(event.sender_id, event.data)
                .filter(event.sender_id.in_(sa.select(kept.c.sender_id)))
                .filter(event.type_name.in_(["user", "bot"]))
                .order_by(event.sender_id, event.id).all())
    by_conversation: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for sender, data in rows:
        by_conversation[sender].append(json.loads(data))
    turns, votes = [], []
    for conversation, events in by_conversation.items():
        got, voted = turns_of(conversation, events, start, end)
        turns += got
        votes += voted
    return Data(start, end, turns, votes)


# ---- figures


COUNTS = ("conversations", "messages", "answers", "did_you_mean", "rephrase", "handoffs", "medical_advice",
          "crisis", "unanswered", "low_confidence", "votes_up", "votes_down")
RATES = ("answer_rate", "fallback_rate", "handoff_rate")
LABELS = {
    "conversations": "conversations", "messages": "messages", "answers": "answers",
    "did_you_mean": "did-you-mean offers", "rephrase": "rephrase requests", "handoffs": "handoffs",
    "medical_advice": "medical-boundary replies", "crisis": "crisis replies", "unanswered": "unanswered",
    "low_confidence": "low confidence", "votes_up": "votes up", "votes_down": "votes down",
    "answer_rate": "answer rate", "fallback_rate": "fallback rate", "handoff_rate": "handoff rate",
}


def totals(turns: list[Turn], votes: list[VoteRecord]) -> dict[str, Any]:
    """The counts and rates of a set of visitor messages (one channel, one day, or all)."""
    keys = [k for t in turns for k in t.keys]
    rateable = [r for t in turns for r in t.responses if feedback.is_rateable(r)]
    questions = [t for t in turns if t.is_question]
    row: dict[str, Any] = {
        "conversations": len({t.conversation for t in turns}),
        "messages": len(turns),
        "answers": len(rateable),
        "did_you_mean": keys.count("did_you_mean"),
        "rephrase": keys.count("ask_rephrase"),
        "handoffs": keys.count("human_handoff"),
        "medical_advice": keys.count("medical_advice"),
        "crisis": keys.count("crisis"),
        "unanswered": sum(t.missed == "unanswered" for t in turns),
        "low_confidence": sum(t.missed == "low confidence" for t in turns),
        "votes_up": sum(v.vote == "up" for v in votes),
        "votes_down": sum(v.vote == "down" for v in votes),
    }
    share = (lambda n: n / len(questions)) if questions else (lambda n: None)
    row["answer_rate"] = share(sum(t.outcome == "answered" for t in questions))
    row["fallback_rate"] = share(sum(t.outcome == "fallback" for t in questions))
    row["handoff_rate"] = share(sum("human_handoff" in t.keys for t in questions))
    return row


@dataclass
class Group:
    """Unanswered or low-confidence messages that mean much the same."""

    texts: list[str]  # masked
    kinds: Counter
    nearest_key: str | None = None
    similarity: float = 0.0

    @property
    def size(self) -> int:
        return len(self.texts)

    def examples(self, limit: int = EXAMPLES_SHOWN) -> list[str]:
        seen: dict[str, str] = {}
        for text in self.texts:
            seen.setdefault(" ".join(text.casefold().split()), text)
        return list(seen.values())[:limit]


@dataclass
class Report:
    start: float
    end: float
    by_channel: dict[str, dict[str, Any]]
    overall: dict[str, Any]
    daily: list[dict[str, Any]]  # one row per day and channel, plus "all"
    answers: list[dict[str, Any]]  # answer key, count per channel, total
    answers_daily: list[dict[str, Any]]  # day, answer key, count per channel, total; by day, most given first
    groups: list[Group]
    votes: list[dict[str, Any]]  # per answer key, worst first


def group_missed(texts: list[str], vectors: np.ndarray, similarity: float = GROUP_SIMILARITY) -> list[list[int]]:
    """Indices of texts grouped by meaning (average-linkage clustering on cosine), biggest first."""
    if len(texts) == 0:
        return []
    if len(texts) == 1:
        return [[0]]
    from scipy.cluster.hierarchy import fcluster, linkage

    tree = linkage(vectors.astype(np.float64), method="average", metric="cosine")
    labels = fcluster(tree, t=1.0 - similarity, criterion="distance")
    members: dict[int, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        members[int(label)].append(index)
    return sorted(members.values(), key=lambda m: (-len(m), m[0]))


def without_domain_words(text: str) -> str:
    """What a message asks once the words every message here shares are gone (for grouping)."""
    return " ".join(DOMAIN_WORDS.sub(" ", text).split()) or text


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


def key_centroids(root: Path | None = None, cache_dir: Path | None = None) -> tuple[list[str], np.ndarray]:
    """Each suggestable answer key and the centre of its training phrasings' meaning vectors (cached)."""
    from bot import content as content_module
    from bot.nlu.sentence_encoder import encode
    from bot.settings import ROOT

    content = content_module.load(root or ROOT)
    phrasings = {key: content.phrasings.get(key, []) for key in (*content.faq_keys, *SUGGESTABLE_INTENT_KEYS)}
    phrasings = {key: texts for key, texts in phrasings.items() if texts}
    digest = hashlib.sha256(json.dumps(phrasings, sort_keys=True).encode()).hexdigest()[:24]
    cache = (cache_dir or ROOT / ".state" / "report") / f"centroids-{digest}.npz"
    if cache.exists():
        stored = np.load(cache)
        return [str(k) for k in stored["keys"]], stored["centroids"]
    keys = sorted(phrasings)
    centroids = np.vstack([_unit(encode(phrasings[key]).mean(axis=0)) for key in keys]).astype(np.float32)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, keys=np.array(keys), centroids=centroids)
    return keys, centroids


def build(data: Data, root: Path | None = None, cache_dir: Path | None = None) -> Report:
    turns, votes = data.turns, data.votes
    channels = [c for c in (*CHANNELS, "other") if any(t.channel == c for t in turns)]
    by_channel = {c: totals([t for t in turns if t.channel == c], [v for v in votes if v.channel == c])
                  for c in channels}
    daily = []
    for day in sorted({t.day for t in turns} | {v.day for v in votes}):
        for c in (*channels, "all"):
            day_turns = [t for t in turns if t.day == day and c in {"all", t.channel}]
            day_votes = [v for v in votes if v.day == day and c in {"all", v.channel}]
            if day_turns or day_votes:
                daily.append({"day": day, "channel": c, **totals(day_turns, day_votes)})
    per_key: dict[str, Counter] = defaultdict(Counter)
    per_day_key: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for t in turns:
        for response in t.responses:
            if feedback.is_rateable(response):
                key = feedback.answer_key(response) or ""
                per_key[key][t.channel] += 1
                per_day_key[(t.day, key)][t.channel] += 1
    answers: list[dict[str, Any]] = [{"key": key, **{c: counts[c] for c in channels}, "total": sum(counts.values())}
                                     for key, counts in per_key.items()]
    answers.sort(key=lambda r: (-r["total"], r["key"]))
    answers_daily: list[dict[str, Any]] = [{"day": day, "key": key, **{c: counts[c] for c in channels},
                                            "total": sum(counts.values())}
                                           for (day, key), counts in per_day_key.items()]
    answers_daily.sort(key=lambda r: (r["day"], -r["total"], r["key"]))

    missed = [t for t in turns if t.missed][-MAX_GROUPED:]
    groups: list[Group] = []
    if missed:
        from bot.nlu.sentence_encoder import encode

        texts = [mask(t.text) for t in missed]
        vectors = encode(texts)  # what each message means, for the answer it most resembles
        keys, centroids = key_centroids(root, cache_dir)
        for members in group_missed(texts, encode([without_domain_words(t) for t in texts])):
            group = Group([texts[i] for i in members], Counter(missed[i].missed for i in members))
            centre = _unit(vectors[members].mean(axis=0))
            scores = centroids @ centre
            best = int(np.argmax(scores))
            group.nearest_key, group.similarity = keys[best], float(scores[best])
            groups.append(group)

    tally: dict[str, dict[str, Any]] = {}
    for v in votes:
        row = tally.setdefault(v.key, {"key": v.key, "up": 0, "down": 0, "reasons": Counter()})
        row[v.vote] += 1
        if v.reason:
            row["reasons"][v.reason] += 1
    for row in tally.values():
        row["down_share"] = row["down"] / (row["up"] + row["down"])
    worst_first = sorted(tally.values(), key=lambda r: (-r["down_share"], -r["down"], r["key"]))
    return Report(data.start, data.end, by_channel, totals(turns, votes), daily, answers, answers_daily, groups,
                  worst_first)


# ---- output


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def _cell(name: str, value: Any) -> str:
    return _percent(value) if name in RATES else str(value)


def _reasons(row: dict[str, Any]) -> str:
    return ", ".join(f"{feedback.REASON_LABELS[r].lower()} {n}" for r, n in sorted(row["reasons"].items()))


def period(report: Report) -> str:
    return f"{_day(report.start)} to {_day(report.end)} (UTC)"


def summary(report: Report) -> str:
    """The plain-text report printed by default."""
    out = [f"Assistant report, {period(report)}: {report.overall['messages']} visitor messages in "
           f"{report.overall['conversations']} conversations", ""]
    columns = (*COUNTS, *RATES)
    rows = [[c, *(_cell(n, report.by_channel[c][n]) for n in columns)] for c in report.by_channel]
    rows.append(["all", *(_cell(n, report.overall[n]) for n in columns)])
    header = ["channel", *(LABELS[n] for n in columns)]
    out.append("Per channel:")
    for name, *values in rows:
        out.append(f"  {name}: " + ", ".join(f"{h} {v}" for h, v in zip(header[1:], values, strict=True)))
    if report.answers:
        out += ["", "Answers given (most first): " + ", ".join(f"{r['key']} {r['total']}" for r in report.answers)]
        per_day: dict[str, list[str]] = defaultdict(list)
        for day, key, count in top_answers_per_day(report):
            per_day[day].append(f"{key} {count}")
        out += ["", f"Answers given per day (top {TOP_KEYS_PER_DAY}):"]
        out += [f"  {day}: " + ", ".join(given) for day, given in per_day.items()]
    out += ["", "Unanswered and low-confidence messages, grouped by meaning (biggest first):"]
    if not report.groups:
        out.append("  none")
    for number, group in enumerate(report.groups[:15], 1):
        examples = "; ".join(f'"{e}"' for e in group.examples(3))
        out.append(f"  {number}. {group.size} message(s), most like {group.nearest_key} ({group.similarity:.2f}): "
                   f"{examples}")
    out += ["", "Votes per answer (worst first):"]
    if not report.votes:
        out.append("  none")
    for row in report.votes:
        reasons = _reasons(row)
        out.append(f"  {row['key']}: {row['up']} up, {row['down']} down" + (f" ({reasons})" if reasons else ""))
    return "\n".join(out) + "\n"


def tables(report: Report) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """Every table of the report by file name: (header, rows). The HTML shows the same ones."""
    columns = (*COUNTS, *RATES)

    def value(row: dict[str, Any], name: str) -> Any:
        v = row[name]
        return "" if v is None else round(v, 4) if name in RATES else v

    channels = list(report.by_channel)
    return {
        "totals": (["channel", *columns],
                   [[c, *(value(report.by_channel[c], n) for n in columns)] for c in channels]
                   + [["all", *(value(report.overall, n) for n in columns)]]),
        "daily": (["day", "channel", *columns], [[r["day"], r["channel"], *(value(r, n) for n in columns)]
                                                 for r in report.daily]),
        "answers": (["answer_key", *channels, "total"],
                    [[r["key"], *(r.get(c, 0) for c in channels), r["total"]] for r in report.answers]),
        "answers_daily": (["day", "answer_key", *channels, "total"],
                          [[r["day"], r["key"], *(r.get(c, 0) for c in channels), r["total"]]
                           for r in report.answers_daily]),
        "unanswered_groups": (["group", "messages", "unanswered", "low_confidence", "most_like_key", "similarity",
                               "examples"],
                              [[n, g.size, g.kinds["unanswered"], g.kinds["low confidence"], g.nearest_key,
                                round(g.similarity, 3), " | ".join(g.examples())]
                               for n, g in enumerate(report.groups, 1)]),
        "feedback": (["answer_key", "up", "down", "down_share", *feedback.REASON_LABELS],
                     [[r["key"], r["up"], r["down"], round(r["down_share"], 4),
                       *(r["reasons"][reason] for reason in feedback.REASON_LABELS)] for r in report.votes]),
    }


def top_answers_per_day(report: Report, limit: int = TOP_KEYS_PER_DAY) -> list[list[Any]]:
    """[day, answer key, answers] for each day's most given keys, then [day, "other (n keys)", answers]
    for the rest of that day's answers: the compact form of answers_daily for a phone."""
    by_day: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in report.answers_daily:  # by day, most given first
        by_day[row["day"]].append(row)
    out: list[list[Any]] = []
    for day, rows in by_day.items():
        out += [[day, r["key"], r["total"]] for r in rows[:limit]]
        if rows[limit:]:
            others = len(rows) - limit
            out.append([day, f"other ({others} key{'s' if others > 1 else ''})", sum(r["total"] for r in rows[limit:])])
    return out


def write_csv(report: Report, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (header, rows) in tables(report).items():
        path = folder / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
        written.append(path)
    return written


# Colour-blind-safe pairs (Okabe-Ito), told apart by hatching and markers too.
CHANNEL_COLOURS = {"web": "#0072B2", "sms": "#E69F00", "rest": "#009E73", "shell": "#CC79A7", "other": "#999999"}


def _png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=150, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode()


def charts(report: Report) -> dict[str, tuple[str, str]]:
    """Chart name -> (base64 PNG, text alternative). Sized for a phone: narrow, large type."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 12, "axes.titlesize": 13, "axes.spines.top": False,
                         "axes.spines.right": False})
    out: dict[str, tuple[str, str]] = {}
    all_days = [r for r in report.daily if r["channel"] == "all"]
    days = [r["day"][5:] for r in all_days]  # MM-DD
    if all_days:
        figure, axes = plt.subplots(figsize=(4.8, 3.4))
        bottom = np.zeros(len(days))
        hatches = iter(["", "//", "..", "xx", "--"])
        for channel in report.by_channel:
            counts = np.array([next((r["messages"] for r in report.daily if r["day"] == d["day"]
                                     and r["channel"] == channel), 0) for d in all_days])
            axes.bar(days, counts, bottom=bottom, label=channel, color=CHANNEL_COLOURS.get(channel, "#999999"),
                     hatch=next(hatches, ""), edgecolor="white")
            bottom += counts
        axes.set_title("Visitor messages per day")
        axes.legend(frameon=False, fontsize=11, ncol=min(4, len(report.by_channel)), loc="upper left",
                    bbox_to_anchor=(0, -0.18))
        axes.tick_params(axis="x", rotation=45 if len(days) > 4 else 0)
        out["messages"] = (_png(figure), "Visitor messages per day by channel: " + ", ".join(
            f"{d} {int(r['messages'])}" for d, r in zip(days, all_days, strict=True)))

        figure, axes = plt.subplots(figsize=(4.8, 3.4))
        for name, marker, style in (("answer_rate", "o", "-"), ("fallback_rate", "s", "--"),
                                    ("handoff_rate", "^", ":")):
            values = [100 * r[name] if r[name] is not None else np.nan for r in all_days]
            axes.plot(days, values, marker=marker, linestyle=style, linewidth=2, label=LABELS[name])
        axes.set_ylim(0, 100)
        axes.set_ylabel("% of questions")
        axes.set_title("Answer, fallback and handoff rate")
        axes.legend(frameon=False, fontsize=11, loc="upper left", bbox_to_anchor=(0, -0.18), ncol=2)
        axes.tick_params(axis="x", rotation=45 if len(days) > 4 else 0)
        out["rates"] = (_png(figure), "Per day, answer / fallback / handoff rate: " + "; ".join(
            f"{d} {_percent(r['answer_rate'])} / {_percent(r['fallback_rate'])} / {_percent(r['handoff_rate'])}"
            for d, r in zip(days, all_days, strict=True)))
    if report.groups:
        shown = report.groups[:8][::-1]
        figure, axes = plt.subplots(figsize=(4.8, 0.5 * len(shown) + 1.2))
        labels = [f"#{len(shown) - i}: like {g.nearest_key}" for i, g in enumerate(shown)]
        axes.barh(labels, [g.size for g in shown], color="#0072B2")
        axes.set_title("Biggest groups of unanswered messages")
        axes.set_xlabel("messages")
        out["groups"] = (_png(figure), "Groups of unanswered messages: " + "; ".join(
            f"group {n} {g.size} messages, like {g.nearest_key}" for n, g in enumerate(report.groups[:8], 1)))
    if report.votes:
        shown_votes = report.votes[:10][::-1]
        figure, axes = plt.subplots(figsize=(4.8, 0.5 * len(shown_votes) + 1.2))
        names = [r["key"] for r in shown_votes]
        axes.barh(names, [r["down"] for r in shown_votes], color="#D55E00", hatch="//", edgecolor="white",
                  label="down")
        axes.barh(names, [r["up"] for r in shown_votes], left=[r["down"] for r in shown_votes], color="#0072B2",
                  label="up")
        axes.set_title("Votes per answer (worst first)")
        axes.set_xlabel("votes")
        axes.legend(frameon=False, fontsize=11, loc="lower right")
        out["votes"] = (_png(figure), "Votes per answer: " + "; ".join(
            f"{r['key']} {r['up']} up {r['down']} down" for r in report.votes[:10]))
    return out


STYLE = """
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;
color:#1b1f23;background:#fff}main{max-width:760px;margin:0 auto;padding:16px}
h1{font-size:1.5rem;margin:.2em 0}h2{font-size:1.2rem;margin:1.6em 0 .4em;border-bottom:2px solid #d5dce3}
.meta{color:#4b5563;font-size:.95rem}.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));
gap:8px;margin:12px 0}.card{border:1px solid #d5dce3;border-radius:8px;padding:8px 10px}
.card b{display:block;font-size:1.4rem}img{display:block;max-width:100%;height:auto;margin:8px 0}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;border:1px solid #d5dce3;border-radius:6px}
table{border-collapse:collapse;width:100%;font-size:.92rem}th,td{padding:6px 8px;text-align:right;
border-bottom:1px solid #e5e9ee;white-space:nowrap}th:first-child,td:first-child{text-align:left;position:sticky;
left:0;background:#fff}thead th{background:#eef2f6}thead th:first-child{background:#eef2f6}
.group{border:1px solid #d5dce3;border-radius:8px;padding:8px 12px;margin:8px 0}.group h3{font-size:1rem;margin:0}
.group ul{margin:.3em 0 0;padding-left:1.2em}.group li{overflow-wrap:anywhere}.note{font-size:.9rem;color:#4b5563}
:focus-visible{outline:3px solid #143f5b;outline-offset:2px}
"""


def _table(caption: str, header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f'<th scope="col">{html.escape(str(h).replace("_", " "))}</th>' for h in header)
    body = "".join("<tr>" + "".join((f'<th scope="row">{html.escape(str(v))}</th>' if i == 0 else
                                     f"<td>{html.escape(str(v))}</td>") for i, v in enumerate(row)) + "</tr>"
                   for row in rows)
    label = html.escape(caption)
    return (f'<div class="scroll" role="region" aria-label="{label}" tabindex="0"><table><caption class="note">'
            f"{label}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>")


def _rates_for_display(header: list[str], rows: list[list[Any]]) -> list[list[Any]]:
    at = [i for i, h in enumerate(header) if h in RATES]
    return [[(_percent(v if v != "" else None) if i in at else v) for i, v in enumerate(row)] for row in rows]


def to_html(report: Report) -> str:
    """One self-contained page: no outside requests, charts inside as PNG, readable on a phone."""
    t, pictures = tables(report), charts(report)

    def picture(name: str) -> str:
        if name not in pictures:
            return ""
        data, alt = pictures[name]
        return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}" width="720">'

    o = report.overall
    cards = "".join(f'<div class="card"><b>{_cell(n, o[n])}</b>{LABELS[n]}</div>'
                    for n in ("messages", "conversations", "answer_rate", "fallback_rate", "handoff_rate",
                              "crisis"))
    groups = []
    for number, group in enumerate(report.groups[:20], 1):
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(group.kinds.items()))
        examples = "".join(f"<li>{html.escape(e)}</li>" for e in group.examples())
        groups.append(f'<div class="group"><h3>{number}. {group.size} message(s) ({html.escape(kinds)}), most like '
                      f"<code>{html.escape(str(group.nearest_key))}</code> ({group.similarity:.2f})</h3>"
                      f"<ul>{examples}</ul></div>")
    parts = [
        "<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Assistant report, {html.escape(period(report))}</title><style>{STYLE}</style></head><body><main>",
        "<h1>Assistant report</h1>",
        f'<p class="meta">{html.escape(period(report))}; generated {_day(time.time())}. Only conversations within '
        "the retention period. Message text is shown only for unanswered and low-confidence messages, with phone "
        "numbers, e-mail addresses, links and long numbers masked.</p>",
        f'<div class="cards">{cards}</div>',
        "<h2>Per channel</h2>", _table("Totals per channel", t["totals"][0],
                                       _rates_for_display(*t["totals"])),
        '<p class="note">Rates are shares of questions: visitor messages apart from small talk, channel notices '
        "and crisis messages.</p>",
        "<h2>Over time</h2>", picture("messages"), picture("rates"),
        _table("Per day and channel", t["daily"][0], _rates_for_display(*t["daily"])),
        "<h2>Answers given, per key</h2>", _table("Answers per key and channel", *t["answers"]),
        _table(f"Most given answers per day (top {TOP_KEYS_PER_DAY}; answers_daily.csv has every key)",
               ["day", "answer_key", "answers"], top_answers_per_day(report)),
        "<h2>Unanswered and low-confidence messages</h2>",
        '<p class="note">Grouped by meaning, biggest group first; each with the answer whose training phrasings '
        "it most resembles. <code>python -m bot report --suggest FILE</code> writes them for review.</p>",
        picture("groups"), "".join(groups) or "<p>None.</p>",
        "<h2>Feedback per answer</h2>", picture("votes"),
        _table("Votes per answer, worst first", *t["feedback"]) if report.votes else "<p>No votes.</p>",
        "</main></body></html>",
    ]
    return "\n".join(parts)


# ---- suggestions for `python -m bot adopt`

SUGGEST_HEADER = """\
# Suggested phrasings from messages the assistant did not answer (python -m bot report --suggest).
# Review each one. Set `accept: true` for a phrasing that should be added under `key` (change the
# key if another answer fits better, and fix the wording if needed), then run:
#     python -m bot adopt THIS_FILE
# Nothing is added without `accept: true`. adopt refuses phrasings that already stand under another
# answer or nearly copy a test phrasing, and runs the content check.
"""


def suggestions(report: Report, root: Path | None = None) -> dict[str, Any]:
    from bot import content as content_module
    from bot.check import _norm
    from bot.settings import ROOT

    known = {_norm(t) for texts in content_module.load(root or ROOT).phrasings.values() for t in texts}
    out = []
    for number, group in enumerate(report.groups, 1):
        texts = [t for t in group.examples(limit=10**6) if not any(m in t for m in MASKS) and _norm(t) not in known]
        if texts:
            out.append({"group": number, "key": group.nearest_key, "similarity": round(group.similarity, 3),
                        "messages": group.size,
                        "phrasings": [{"text": t, "accept": False} for t in texts[:EXAMPLES_SUGGESTED]]})
    return {"suggestions": out}


def write_suggestions(report: Report, path: Path, root: Path | None = None) -> int:
    import yaml

    found = suggestions(report, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SUGGEST_HEADER + yaml.safe_dump(found, sort_keys=False, allow_unicode=True, width=1000),
                    encoding="utf-8")
    return sum(len(s["phrasings"]) for s in found["suggestions"])


def parse_since(value: str | None, now: float | None = None) -> float | None:
    """'30d', '12h', '2w' or a date (2026-11-01) -> a timestamp; None for everything kept."""
    if not value:
        return None
    now = now if now is not None else time.time()
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([hdw])\s*", value)
    if match:
        hours = float(match.group(1)) * {"h": 1, "d": 24, "w": 24 * 7}[match.group(2)]
        return now - hours * 3600
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValueError(f"--since takes e.g. 30d, 12h, 2w or a date such as 2026-11-01, not {value!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()
