"""Drive many concurrent conversations over REST and measure them (used by the load test and `make bench`)."""
from __future__ import annotations

import json
import statistics
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

# Training phrasings, so every answer key is certain: the load test checks the channel
# (its own answers, in order, to each conversation), not the classifier.
SCRIPT_KEYS = ("greet", "iop_duration", "iop_cost", "bot_challenge", "iop_insurance", "human_handoff")


def script() -> list[tuple[str, str]]:
    from bot.content import load

    phrasings = load().phrasings
    return [(phrasings[key][0], key) for key in SCRIPT_KEYS]


@dataclass
class LoadResult:
    conversations: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def replies(self) -> int:
        return len(self.latencies)

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def summary(self) -> str:
        return (f"{self.conversations} conversations for {self.seconds:.0f} s: {self.replies} replies, "
                f"{self.replies / self.seconds:.1f}/s, p50 {self.percentile(0.5) * 1000:.0f} ms, "
                f"p95 {self.percentile(0.95) * 1000:.0f} ms, errors {len(self.errors)}")


def _key(response: str | None) -> str | None:
    if not response:
        return None
    name = response.removeprefix("utter_")
    return name.split("/", 1)[1] if "/" in name else name


def run(url: str, conversations: int = 50, seconds: float = 30.0, pause: float = 0.0) -> LoadResult:
    """Each conversation asks the script in order, again and again, until time is up.

    ``pause`` is a visitor's think time between messages (keeps a conversation under
    the per-conversation rate limit, as a person typing would be).
    """
    result = LoadResult(conversations, seconds)
    questions = script()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def talk(number: int) -> None:
        sender = f"load-{number}-{uuid.uuid4().hex[:6]}"
        turn = 0
        while time.monotonic() < deadline:
            text, expected = questions[turn % len(questions)]
            body = json.dumps({"sender": sender, "message": text}).encode()
            request = urllib.request.Request(f"{url}/webhooks/rest/webhook", data=body,
                                             headers={"Content-Type": "application/json"})
            start = time.monotonic()
            try:
                with urllib.request.urlopen(request, timeout=60) as reply:
                    messages = json.loads(reply.read())
                elapsed = time.monotonic() - start
                keys = [_key(m.get("response")) for m in messages]
                recipients = {m.get("recipient_id") for m in messages}
                problem = None
                if keys != [expected]:
                    problem = f"{sender} turn {turn}: expected {expected}, got {keys}"
                elif recipients != {sender}:
                    problem = f"{sender} turn {turn}: cross-delivered to {recipients}"
                with lock:
                    result.latencies.append(elapsed)
                    if problem:
                        result.errors.append(problem)
            except Exception as exc:  # counted, never raised: the run must finish
                with lock:
                    result.errors.append(f"{sender} turn {turn}: {type(exc).__name__}: {exc}")
            turn += 1
            if pause:
                time.sleep(pause)

    threads = [threading.Thread(target=talk, args=(n,)) for n in range(conversations)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    result.seconds = time.monotonic() - started
    return result


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000 if values else float("nan")
