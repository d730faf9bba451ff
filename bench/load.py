"""Drive many concurrent conversations over REST and measure them (used by the load test and `make bench`).

Each conversation is one asyncio task on one keep-alive connection (aiohttp), as a browser
or a proxy would hold one; the generator itself is a single thread, so it takes as little
of the machine's CPU as possible away from the servers it measures.
"""
from __future__ import annotations

import asyncio
import json
import statistics
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

# Training phrasings, so every answer key is certain: the load test checks the channel
# (its own answers, in order, to each conversation), not the classifier.
SCRIPT_KEYS = ("greet", "iop_duration", "iop_cost", "bot_challenge", "iop_insurance", "human_handoff")

Script = Sequence[tuple[str, str]]  # (visitor text, expected answer key of the reply)


def script() -> list[tuple[str, str]]:
    from bot.content import first_english_phrasing

    return [(first_english_phrasing(key), key) for key in SCRIPT_KEYS]


@dataclass
class LoadResult:
    conversations: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cpu_seconds: float = float("nan")  # CPU time the measured server processes used during the step

    @property
    def replies(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.replies / self.seconds if self.seconds else float("nan")

    def percentile(self, q: float) -> float:
        return percentile(self.latencies, q)

    @property
    def cpu_ms_per_reply(self) -> float:
        return self.cpu_seconds * 1000 / self.replies if self.replies else float("nan")

    def summary(self) -> str:
        return (f"{self.conversations} conversations for {self.seconds:.0f} s: {self.replies} replies, "
                f"{self.rate:.1f}/s, p50 {self.percentile(0.5) * 1000:.0f} ms, "
                f"p95 {self.percentile(0.95) * 1000:.0f} ms, errors {len(self.errors)}")


def percentile(values: Sequence[float], q: float) -> float:
    """The q-quantile (nearest rank) of ``values``; NaN for none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _key(response: str | None) -> str | None:
    if not response:
        return None
    name = response.removeprefix("utter_")
    return name.split("/", 1)[1] if "/" in name else name


def run(url: str, conversations: int = 50, seconds: float = 30.0, pause: float = 0.0,
        questions: Script | None = None, turns: int | None = None) -> LoadResult:
    """Each conversation asks the script in order, again and again, until time is up.

    ``pause`` is a visitor's think time between messages (keeps a conversation under
    the per-conversation rate limit, as a person typing would be). ``turns``: after this
    many messages the visitor leaves and a new one (a new conversation id) takes the
    seat; None keeps one conversation per seat for the whole run.
    """
    return asyncio.run(run_async(url, conversations, seconds, pause, questions, turns))


async def run_async(url: str, conversations: int, seconds: float, pause: float = 0.0,
                    questions: Script | None = None, turns: int | None = None) -> LoadResult:
    import aiohttp

    result = LoadResult(conversations, seconds)
    lines = list(questions or script())
    endpoint = f"{url}/webhooks/rest/webhook"
    deadline = time.monotonic() + seconds

    async def talk(number: int, session: aiohttp.ClientSession) -> None:
        turn, asked = 0, 0
        sender = f"load-{number}-{uuid.uuid4().hex[:6]}"
        while time.monotonic() < deadline:
            if turns and asked == turns:
                sender, turn, asked = f"load-{number}-{uuid.uuid4().hex[:6]}", 0, 0
            text, expected = lines[turn % len(lines)]
            start = time.monotonic()
            try:
                async with session.post(endpoint, data=json.dumps({"sender": sender, "message": text}),
                                        headers={"Content-Type": "application/json"}) as reply:
                    body = await reply.read()
                    status = reply.status
                elapsed = time.monotonic() - start
                problem = None
                if status != 200:
                    problem = f"{sender} turn {turn}: HTTP {status}"
                else:
                    messages = json.loads(body)
                    keys = [_key(m.get("response")) for m in messages]
                    recipients = {m.get("recipient_id") for m in messages}
                    if keys != [expected]:
                        problem = f"{sender} turn {turn}: expected {expected}, got {keys}"
                    elif recipients != {sender}:
                        problem = f"{sender} turn {turn}: cross-delivered to {recipients}"
                result.latencies.append(elapsed)
                if problem:
                    result.errors.append(problem)
            except Exception as exc:  # counted, never raised: the run must finish
                result.errors.append(f"{sender} turn {turn}: {type(exc).__name__}: {exc}")
            turn += 1
            asked += 1
            if pause:
                await asyncio.sleep(pause)

    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.monotonic()
        await asyncio.gather(*(talk(n, session) for n in range(conversations)))
        result.seconds = time.monotonic() - started
    return result


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux)."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000 if values else float("nan")
