"""`make bench`: latency, throughput and memory of the assistant on this machine; writes bench/report.md.

Numbers, not assertions: machines here are shared and noisy, so tests never time things.
"""
from __future__ import annotations

import asyncio
import json
import os
import platform
import time
import urllib.request
from pathlib import Path

from bench import load
from bot import settings as settings_module
from bot.server import MODEL, Assistant, free_port

REPORT = Path(__file__).resolve().parent / "report.md"


def parse_latency(samples: int = 200) -> tuple[float, float]:
    questions = [q for q, _ in load.script()]
    from rasa.core.agent import Agent

    agent = Agent.load(str(MODEL))
    times = []
    for i in range(samples):
        start = time.perf_counter()
        asyncio.run(agent.parse_message(questions[i % len(questions)]))
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2] * 1000, times[int(len(times) * 0.95)] * 1000


def reply_latency(url: str, samples: int = 100) -> list[float]:
    questions = [q for q, _ in load.script()]
    times = []
    for i in range(samples):
        body = json.dumps({"sender": f"bench-{i % 10}", "message": questions[i % len(questions)]}).encode()
        start = time.perf_counter()
        with urllib.request.urlopen(urllib.request.Request(f"{url}/webhooks/rest/webhook", data=body), timeout=60):
            pass
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    os.environ.setdefault("IOP_MESSAGES_PER_MINUTE_PER_ADDRESS", "1000000")
    os.environ.setdefault("IOP_MESSAGES_PER_MINUTE_PER_CONVERSATION", "1000000")
    os.environ["IOP_TRACKER_DB"] = str(Path("/tmp") / f"iop-bench-{os.getpid()}.db")
    settings_module.load.cache_clear()
    lines = [f"# Benchmark report ({time.strftime('%Y-%m-%d %H:%M')})", "",
             f"Machine: {platform.platform()}, {os.cpu_count()} cores. Model: {MODEL.name}.", ""]
    median, p95 = parse_latency()
    lines.append(f"- NLU parse in process: median {median:.1f} ms, p95 {p95:.1f} ms")
    assistant = Assistant(settings_module.load(), "127.0.0.1", free_port(), free_port())
    started = time.monotonic()
    assistant.start()
    try:
        assistant.wait_ready()
        lines.append(f"- start-up (action server + Rasa, model load): {time.monotonic() - started:.0f} s")
        rasa = assistant.processes[-1].pid
        lines.append(f"- Rasa server memory after start: {load.rss_mb(rasa):.0f} MB")
        times = sorted(reply_latency(assistant.url))
        lines.append(f"- REST reply, one conversation at a time: median {times[len(times) // 2] * 1000:.0f} ms, "
                     f"p95 {times[int(len(times) * 0.95)] * 1000:.0f} ms")
        for conversations in (1, 16, 50):
            result = load.run(assistant.url, conversations=conversations, seconds=20)
            lines.append(f"- load: {result.summary()}")
        lines.append(f"- Rasa server memory after load: {load.rss_mb(rasa):.0f} MB")
    finally:
        assistant.stop()
    REPORT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"\nwritten to {REPORT}")


if __name__ == "__main__":
    main()
