"""`make bench`: the assistant against two reference bots, on this machine, in one run -> bench/report.md.

1. Builds (once; cached in .bench/refs/ by a hash of their inputs) the ``rasa init`` example
   bot and a plain retrieval-intent FAQ bot trained on our FAQ phrasings (bench/references.py).
2. Runs each bot alone — the example bot, the FAQ bot, our assistant — on the REST channel of
   this project: start-up time (process start -> ready), memory, bare parse against reply time
   (POST /model/parse and the REST webhook, alternated, one at a time), then 1, 4, 16 and 50
   concurrent conversations for a short step each.
3. Runs our assistant through bot/scale.py with one server, then two, behind nginx (each
   server pinned to one core, one compute thread) at 16 and 50 conversations.
4. Writes bench/report.md and its PNG plots (bench/report.py).

Numbers, not assertions: machines here are shared and noisy, so tests never time things,
and the report judges ratios taken in the same run.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bench import load, references
from bench import report as reporting
from bench.report import CONCURRENCY, SCALED_CONCURRENCY, BotRun, Results, ScaledRun, Step
from bot.server import MODEL, Assistant, Service, child_env, free_port

BENCH_DIR = references.BENCH_DIR
LOGS = BENCH_DIR / "logs"
# The bench talks from one address far faster than any visitor: the limits are raised for it.
BENCH_ENV = {"IOP_MESSAGES_PER_MINUTE_PER_ADDRESS": "100000000",
             "IOP_MESSAGES_PER_MINUTE_PER_CONVERSATION": "100000000"}


class Server(Protocol):
    @property
    def url(self) -> str: ...

    @property
    def pid(self) -> int: ...

    def start(self) -> Any: ...

    def wait_ready(self, timeout: float = ...) -> None: ...

    def stop(self) -> None: ...


@dataclass
class ReferenceServer:
    """A reference bot's Rasa server, started the way ours is (same wrapper, channels, API flags)."""

    ref: references.Reference
    port: int
    token: str
    service: Service = field(init=False)

    def __post_init__(self) -> None:
        self.service = Service(f"bench-{self.ref.name}", self._command, child_env(), LOGS,
                               label=f"{self.ref.name} reference server")

    def _command(self) -> list[str]:
        return [sys.executable, "-m", "bot.rasa_main", "run", "--model", str(self.ref.model),
                "--endpoints", str(self.ref.endpoints), "--credentials", str(self.ref.credentials),
                "--interface", "127.0.0.1", "--port", str(self.port), "--enable-api", "--auth-token", self.token]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.service.pid

    def start(self) -> ReferenceServer:
        self.service.start()
        return self

    def wait_ready(self, timeout: float = 300.0) -> None:
        from bot.server import wait_ready

        wait_ready(f"{self.url}/health/ready", timeout, self.service.running, self.service.label)

    def stop(self) -> None:
        self.service.stop()


def busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy so far (all cores, /proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


@dataclass
class Noise:
    """How much CPU other processes took while the bench measured (the machine is shared)."""

    shares: list[float] = field(default_factory=list)  # fraction of all cores, one per step

    def add(self, seconds: float, busy: float, measured: float) -> None:
        cores = len(os.sched_getaffinity(0))
        self.shares.append(max(0.0, busy - measured) / (seconds * cores))

    def describe(self) -> str:
        if not self.shares:
            return ""
        mean = sum(self.shares) / len(self.shares)
        load1, load5, _ = os.getloadavg()
        return (f"during the load steps, processes other than the measured servers and the load generator used "
                f"{mean:.0%} of the machine's CPU on average (up to {max(self.shares):.0%} in one step); load "
                f"average at the end {load1:.1f} / {load5:.1f} (1 / 5 min).")


def step(url: str, concurrency: int, seconds: float, script: load.Script, pids: list[int], noise: Noise) -> Step:
    cpu_before = sum(load.cpu_seconds(p) for p in pids)
    busy_before, own_before = busy_seconds(), own_cpu_seconds()
    result = load.run(url, conversations=concurrency, seconds=seconds, questions=script, turns=len(script))
    cpu = sum(load.cpu_seconds(p) for p in pids) - cpu_before
    noise.add(result.seconds, busy_seconds() - busy_before, cpu + own_cpu_seconds() - own_before)
    result.cpu_seconds = cpu
    print(f"    {result.summary()}, server CPU {result.cpu_ms_per_reply:.1f} ms/reply", flush=True)
    return Step(concurrency, result.seconds, result.replies, result.percentile(0.5) * 1000,
                result.percentile(0.95) * 1000, len(result.errors), result.cpu_ms_per_reply, result.errors[:5])


async def _paired(url: str, token: str, script: load.Script, samples: int) -> tuple[list[float], list[float]]:
    """Bare parse and full reply, alternated one at a time on one keep-alive connection, same texts."""
    import aiohttp

    parses, replies = [], []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        sender = ""
        for i in range(samples):
            if i % len(script) == 0:
                sender = f"paired-{secrets.token_hex(4)}"  # a new visitor for each pass through the script
            text = script[i % len(script)][0]
            start = time.perf_counter()
            async with session.post(f"{url}/model/parse", params={"token": token}, json={"text": text}) as reply:
                await reply.read()
                reply.raise_for_status()
            parses.append(time.perf_counter() - start)
            start = time.perf_counter()
            body = json.dumps({"sender": sender, "message": text})
            async with session.post(f"{url}/webhooks/rest/webhook", data=body,
                                    headers={"Content-Type": "application/json"}) as reply:
                await reply.read()
                reply.raise_for_status()
            replies.append(time.perf_counter() - start)
    return parses, replies


def measure_bot(name: str, server: Server, token: str, script: load.Script, seconds: float, noise: Noise,
                build: str) -> BotRun:
    run = BotRun(name, build=build)
    print(f"==> {run.label}", flush=True)
    started = time.monotonic()
    try:
        server.start()
        server.wait_ready(300)
        run.startup_s = time.monotonic() - started
        run.rss_start_mb = load.rss_mb(server.pid)
        print(f"    ready in {run.startup_s:.1f} s, {run.rss_start_mb:.0f} MB", flush=True)
        load.run(server.url, conversations=2, seconds=3, questions=script, turns=len(script))  # warm up
        asyncio.run(_paired(server.url, token, script, 12))
        parses, replies = asyncio.run(_paired(server.url, token, script, 120))
        run.parse_p50_ms, run.parse_p95_ms = load.percentile(parses, 0.5) * 1000, load.percentile(parses, 0.95) * 1000
        run.reply_paired_p50_ms = load.percentile(replies, 0.5) * 1000
        print(f"    bare parse p50 {run.parse_p50_ms:.1f} ms, reply p50 {run.reply_paired_p50_ms:.1f} ms", flush=True)
        for concurrency in CONCURRENCY:
            run.steps[concurrency] = step(server.url, concurrency, seconds, script, [server.pid], noise)
            time.sleep(1)
        run.rss_after_mb = load.rss_mb(server.pid)
    except Exception as exc:  # one bot failing must not lose the others' figures
        run.problem = f"{type(exc).__name__}: {exc} (logs in {LOGS})"
        print(f"    failed: {run.problem}", flush=True)
    finally:
        server.stop()
    return run


def measure_scaled(servers: int, seconds: float, noise: Noise) -> ScaledRun:
    from bot import settings as settings_module
    from bot.scale import ScaledAssistant

    run = ScaledRun(servers)
    print(f"==> our assistant, {servers} server(s) behind nginx", flush=True)
    scaled = ScaledAssistant(settings_module.load(), servers=servers, port=free_port(), folder=BENCH_DIR / "scale")
    script = load.script()
    started = time.monotonic()
    try:
        scaled.start()
        scaled.wait_ready(300)
        run.startup_s = time.monotonic() - started
        pids = [a.pid for a in scaled.assistants]
        load.run(scaled.url, conversations=4, seconds=4, questions=script, turns=len(script))  # warm up every server
        for concurrency in SCALED_CONCURRENCY:
            run.steps[concurrency] = step(scaled.url, concurrency, seconds, script, pids, noise)
            time.sleep(1)
        run.rss_mb = [load.rss_mb(p) for p in pids]
    except Exception as exc:
        run.problem = f"{type(exc).__name__}: {exc} (logs in {BENCH_DIR / 'scale' / 'logs'})"
        print(f"    failed: {run.problem}", flush=True)
    finally:
        scaled.stop()
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each load step")
    parser.add_argument("--only", choices=["example", "faq", "ours", "scaled"], action="append",
                        help="measure only these (repeatable); the report then lacks the others")
    args = parser.parse_args(argv)
    if not MODEL.exists():
        print(f"error: {MODEL} is missing: train it first (`make model`)", file=sys.stderr)
        return 2
    os.environ.update(BENCH_ENV)
    os.environ["IOP_TRACKER_DB"] = str(BENCH_DIR / f"conversations-{os.getpid()}.db")
    from bot import settings as settings_module

    settings_module.load.cache_clear()
    BENCH_DIR.mkdir(exist_ok=True)
    wanted = set(args.only or ["example", "faq", "ours", "scaled"])
    started = time.monotonic()
    results = Results(reporting.machine(), started=time.strftime("%Y-%m-%d %H:%M"), step_seconds=args.seconds)
    noise = Noise()
    token = secrets.token_hex(16)
    refs: list[references.Reference] = []
    for name, build in (("example", references.example_bot), ("faq", references.faq_bot)):
        if name in wanted:
            print(f"==> reference bot '{name}': building or reusing its cached model", flush=True)
            try:
                refs.append(build())
            except Exception as exc:
                results.bots.append(BotRun(name, problem=f"could not be built: {exc}"))
    for ref in refs:
        how = (f"trained now ({ref.build_seconds:.0f} s)" if ref.trained_now else "cached") + \
              f", {ref.folder.relative_to(BENCH_DIR.parent)}"
        server = ReferenceServer(ref, free_port(), token)
        results.bots.append(measure_bot(ref.name, server, token, ref.script, args.seconds, noise, how))
    if "ours" in wanted:
        assistant = Assistant(settings_module.load(), "127.0.0.1", free_port(), log_dir=LOGS,
                              extra_args=["--enable-api", "--auth-token", token], name="bench-ours")
        results.bots.append(measure_bot("ours", assistant, token, load.script(), args.seconds, noise,
                                        str(MODEL.relative_to(BENCH_DIR.parent))))
    if "scaled" in wanted:
        for servers in (1, 2):
            results.scaled.append(measure_scaled(servers, args.seconds, noise))
    Path(os.environ["IOP_TRACKER_DB"]).unlink(missing_ok=True)
    results.minutes = (time.monotonic() - started) / 60
    results.background = noise.describe()
    results.notes = NOTES
    written = reporting.write(results)
    print(written.read_text())
    print(f"written to {written}")
    return 0


NOTES = [
    "Every bot is served the same way: `python -m bot.rasa_main run` (Rasa's own command line) with this "
    "project's REST channel (`bot.channels.rest.RestInput`) and readiness route, `--enable-api` for "
    "`/model/parse`, and the rate limits raised for the bench. The references keep their template's "
    "endpoints (conversations in memory); ours keeps its conversations in its SQLite file, as `make run` does.",
    "A bench conversation is one visitor asking its bot's script once (ours: greeting, three FAQ questions, "
    "'are you a bot', a person please; the FAQ bot: six FAQ questions; the example bot: its happy path and "
    "its two rules), then a new visitor takes the seat. Every reply is checked: a wrong answer key is an error.",
    "The load generator is one asyncio thread in the bench process with one keep-alive connection per "
    "conversation, on the same cores as the servers.",
    "Bare parse against reply: 120 pairs, POST /model/parse then the REST webhook with the same text, one at a "
    "time, alternated so machine noise hits both alike.",
]


if __name__ == "__main__":
    raise SystemExit(main())
