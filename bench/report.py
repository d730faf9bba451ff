"""The benchmark's figures, the targets they are judged against, and bench/report.md with its plots.

Everything here works from plain numbers (``Results``), so the report can be written and
tested without running anything.
"""
from __future__ import annotations

import math
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
CONCURRENCY = (1, 4, 16, 50)
SCALED_CONCURRENCY = (16, 50)
LABELS = {"example": "rasa init example bot", "faq": "FAQ bot (template + our FAQ)", "ours": "our assistant"}
COLOURS = {"example": "tab:gray", "faq": "tab:orange", "ours": "tab:blue"}


@dataclass
class Step:
    """One load step: ``concurrency`` conversations for ``seconds``."""

    concurrency: int
    seconds: float
    replies: int
    p50_ms: float
    p95_ms: float
    errors: int = 0
    cpu_ms_per_reply: float = float("nan")  # CPU time of the measured server(s) per reply
    first_errors: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.replies / self.seconds if self.seconds else float("nan")


@dataclass
class BotRun:
    name: str  # example | faq | ours
    startup_s: float = float("nan")  # process start -> /health/ready answers 200
    rss_start_mb: float = float("nan")
    rss_after_mb: float = float("nan")
    parse_p50_ms: float = float("nan")  # POST /model/parse on the same server, one at a time
    parse_p95_ms: float = float("nan")
    reply_paired_p50_ms: float = float("nan")  # REST reply, alternated with the parses (same texts)
    steps: dict[int, Step] = field(default_factory=dict)
    problem: str = ""  # why it could not be measured
    build: str = ""  # how its model came to be (references: trained now or cached)

    @property
    def label(self) -> str:
        return LABELS.get(self.name, self.name)

    def reply_p50_ms(self) -> float:
        """The reply time the ratio uses: p50 of the replies alternated with the parses, else of the
        one-conversation load step."""
        if not math.isnan(self.reply_paired_p50_ms):
            return self.reply_paired_p50_ms
        step = self.steps.get(1)
        return step.p50_ms if step else float("nan")


@dataclass
class ScaledRun:
    servers: int
    startup_s: float = float("nan")
    rss_mb: list[float] = field(default_factory=list)  # each server, after the load
    steps: dict[int, Step] = field(default_factory=dict)
    problem: str = ""


@dataclass
class Results:
    machine: dict[str, str]
    bots: list[BotRun] = field(default_factory=list)
    scaled: list[ScaledRun] = field(default_factory=list)
    started: str = ""
    minutes: float = float("nan")
    step_seconds: float = 15.0
    background: str = ""  # what else the machine was doing
    notes: list[str] = field(default_factory=list)

    def bot(self, name: str) -> BotRun | None:
        return next((b for b in self.bots if b.name == name), None)

    def scaled_run(self, servers: int) -> ScaledRun | None:
        return next((s for s in self.scaled if s.servers == servers), None)


@dataclass
class Target:
    what: str
    value: float
    limit: float
    at_most: bool  # the value must be <= limit (else >=)
    unit: str = "×"

    @property
    def passed(self) -> bool:
        if math.isnan(self.value):
            return False
        return self.value <= self.limit if self.at_most else self.value >= self.limit

    def line(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        shown = "not measured" if math.isnan(self.value) else _fmt(self.value, self.unit)
        sign = "≤" if self.at_most else "≥"
        return f"- **{verdict}** {self.what}: {shown} (target {sign} {_fmt(self.limit, self.unit)})"


def _fmt(value: float, unit: str) -> str:
    if unit == "×":
        return f"{value:.2f}×"
    if unit == "ms":
        return f"{value:.0f} ms"
    if unit == "MB":
        return f"{value:.0f} MB"
    return f"{value:g} {unit}"


def _ratio(a: float, b: float) -> float:
    return a / b if b and not math.isnan(a) and not math.isnan(b) else float("nan")


def _step(run: BotRun | ScaledRun | None, concurrency: int) -> Step | None:
    return run.steps.get(concurrency) if run else None


def targets(results: Results) -> list[Target]:
    ours, example = results.bot("ours"), results.bot("example")
    one, two = results.scaled_run(1), results.scaled_run(2)
    ours16, example16 = _step(ours, 16), _step(example, 16)
    one16, two16 = _step(one, 16), _step(two, 16)
    nan = float("nan")
    memory = [m for m in [*(ours and [ours.rss_start_mb, ours.rss_after_mb] or []),
                          *(r for s in results.scaled for r in s.rss_mb)] if not math.isnan(m)]
    return [
        Target("our reply p50 ÷ our bare parse p50 (one conversation at a time, same server)",
               _ratio(ours.reply_p50_ms(), ours.parse_p50_ms) if ours else nan, 1.3, True),
        Target("our replies/s ÷ the example bot's, 16 concurrent conversations, one server each",
               _ratio(ours16.rate, example16.rate) if ours16 and example16 else nan, 3.0, False),
        Target("our p95 at 16 concurrent conversations", ours16.p95_ms if ours16 else nan, 250, True, "ms"),
        Target("two servers ÷ one behind nginx (replies/s, 16 concurrent, each server one core and one thread)",
               _ratio(two16.rate, one16.rate) if two16 and one16 else nan, 1.5, False),
        Target("memory per server (largest RSS of any of our servers)", max(memory) if memory else nan, 1300, True,
               "MB"),
    ]


def machine() -> dict[str, str]:
    """CPU model, cores, RAM and OS of this machine (Linux)."""
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        ram_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal:"))
        ram = f"{ram_kb / 1024 / 1024:.1f} GB"
    except (OSError, StopIteration, ValueError):
        ram = "unknown"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0
    return {"cpu": cpu, "cores": str(cores), "ram": ram, "os": platform.platform(),
            "python": platform.python_version()}


def _ms(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.0f}"


def _num(value: float, digits: int = 1) -> str:
    return "–" if math.isnan(value) else f"{value:.{digits}f}"


def load_table(results: Results) -> list[str]:
    lines = ["| bot | conversations | replies/s | p50 ms | p95 ms | errors | server CPU ms/reply |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for bot in results.bots:
        for concurrency in CONCURRENCY:
            step = bot.steps.get(concurrency)
            if step is None:
                lines.append(f"| {bot.label} | {concurrency} | – | – | – | – | – |")
                continue
            lines.append(f"| {bot.label} | {concurrency} | {_num(step.rate)} | {_ms(step.p50_ms)} | "
                         f"{_ms(step.p95_ms)} | {step.errors} | {_num(step.cpu_ms_per_reply)} |")
    return lines


def scaled_table(results: Results) -> list[str]:
    lines = ["| servers behind nginx | conversations | replies/s | p50 ms | p95 ms | errors | "
             "servers' CPU ms/reply |", "|---|---:|---:|---:|---:|---:|---:|"]
    for run in results.scaled:
        for concurrency in SCALED_CONCURRENCY:
            step = run.steps.get(concurrency)
            if step is None:
                lines.append(f"| {run.servers} | {concurrency} | – | – | – | – | – |")
                continue
            lines.append(f"| {run.servers} | {concurrency} | {_num(step.rate)} | {_ms(step.p50_ms)} | "
                         f"{_ms(step.p95_ms)} | {step.errors} | {_num(step.cpu_ms_per_reply)} |")
    return lines


def render(results: Results, plots: list[str] | None = None) -> str:
    m = results.machine
    out = [f"# Benchmark report ({results.started})", "",
           f"Machine: {m.get('cpu', '?')}, {m.get('cores', '?')} cores, {m.get('ram', '?')} RAM; "
           f"{m.get('os', '?')}, Python {m.get('python', '?')}. Whole run: {_num(results.minutes)} min, "
           f"each load step {results.step_seconds:.0f} s.", ""]
    if results.background:
        out += [f"Noise: {results.background} Absolute numbers move with that; the ratios, measured in the same "
                "run on the same machine, are what count.", ""]
    out += ["## Targets", "", *(t.line() for t in targets(results)), ""]
    out += ["## Replies under load (REST channel, one server each)", "", *load_table(results), ""]
    out += ["## Reply time against bare parse", "",
            "| bot | bare parse p50 ms (POST /model/parse) | parse p95 ms | reply p50 ms (alternated with the "
            "parses) | reply ÷ parse |", "|---|---:|---:|---:|---:|"]
    for bot in results.bots:
        out.append(f"| {bot.label} | {_num(bot.parse_p50_ms)} | {_num(bot.parse_p95_ms)} | "
                   f"{_num(bot.reply_p50_ms())} | {_num(_ratio(bot.reply_p50_ms(), bot.parse_p50_ms), 2)} |")
    out += ["", "## Memory and start-up per bot", "",
            "| bot | RSS after start MB | RSS after load MB | start-up s (process start → ready) | model |",
            "|---|---:|---:|---:|---|"]
    for bot in results.bots:
        out.append(f"| {bot.label} | {_ms(bot.rss_start_mb)} | {_ms(bot.rss_after_mb)} | {_num(bot.startup_s)} | "
                   f"{bot.build or '–'} |")
    if results.scaled:
        out += ["", "## One server against two (our assistant, bot/scale.py)", "",
                "PostgreSQL + Redis + N servers behind nginx, each server pinned to one core (taskset) with one "
                "compute thread (TensorFlow, OpenMP, onnxruntime).", "", *scaled_table(results), ""]
        for run in results.scaled:
            rss = ", ".join(f"{r:.0f}" for r in run.rss_mb) or "–"
            out.append(f"- {run.servers} server(s): start-up {_num(run.startup_s)} s, RSS per server {rss} MB")
    problems = [f"- {b.label}: {b.problem}" for b in results.bots if b.problem]
    problems += [f"- {s.servers} server(s): {s.problem}" for s in results.scaled if s.problem]
    errors = [f"- {b.label}, {c} conversations: {e}" for b in results.bots for c, s in b.steps.items()
              for e in s.first_errors[:3]]
    if problems or errors:
        out += ["", "## Problems", "", *problems, *errors]
    if plots:
        out += ["", "## Plots", ""]
        out += [f"![{name}]({name})" for name in plots]
    if results.notes:
        out += ["", "## Notes", "", *(f"- {n}" for n in results.notes)]
    return "\n".join(out) + "\n"


def plot(results: Results, folder: Path = BENCH) -> list[str]:
    """The PNG plots, written next to the report; returns their file names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written: list[str] = []

    def save(fig: object, name: str) -> None:
        fig.tight_layout()  # type: ignore[attr-defined]
        fig.savefig(folder / name, dpi=110)  # type: ignore[attr-defined]
        plt.close(fig)  # type: ignore[arg-type]
        written.append(name)

    fig, ax = plt.subplots(figsize=(6, 4))
    for bot in results.bots:
        xs = [c for c in CONCURRENCY if c in bot.steps]
        ax.plot(xs, [bot.steps[c].rate for c in xs], "o-", label=bot.label, color=COLOURS.get(bot.name))
    ax.set(xscale="log", xlabel="concurrent conversations", ylabel="replies/s", title="Throughput")
    ax.set_xticks(CONCURRENCY, [str(c) for c in CONCURRENCY])
    ax.legend()
    ax.grid(alpha=0.3)
    save(fig, "throughput.png")

    fig, ax = plt.subplots(figsize=(6, 4))
    for bot in results.bots:
        xs = [c for c in CONCURRENCY if c in bot.steps]
        colour = COLOURS.get(bot.name)
        ax.plot(xs, [bot.steps[c].p50_ms for c in xs], "o-", color=colour, label=f"{bot.label} p50")
        ax.plot(xs, [bot.steps[c].p95_ms for c in xs], "s--", color=colour, label=f"{bot.label} p95")
    ax.axhline(250, color="red", lw=0.8, ls=":", label="250 ms")
    ax.set(xscale="log", yscale="log", xlabel="concurrent conversations", ylabel="reply time, ms",
           title="Latency (p50 solid, p95 dashed)")
    ax.set_xticks(CONCURRENCY, [str(c) for c in CONCURRENCY])
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    save(fig, "latency.png")

    names = [b.label for b in results.bots]
    fig, ax = plt.subplots(figsize=(6, 4))
    x = range(len(results.bots))
    ax.bar([i - 0.2 for i in x], [b.parse_p50_ms for b in results.bots], 0.4, label="bare parse p50")
    ax.bar([i + 0.2 for i in x], [b.reply_p50_ms() for b in results.bots], 0.4, label="reply p50 (1 conversation)")
    for i, b in zip(x, results.bots, strict=True):
        ratio = _ratio(b.reply_p50_ms(), b.parse_p50_ms)
        if not math.isnan(ratio):
            ax.annotate(f"{ratio:.2f}×", (i + 0.2, b.reply_p50_ms()), ha="center", va="bottom")
    ax.set_xticks(list(x), names, fontsize=8)
    ax.set(ylabel="ms", title="Reply time against bare parse (same server)")
    ax.legend()
    save(fig, "reply_vs_parse.png")

    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 4))
    left.bar(names, [b.rss_after_mb for b in results.bots], color=[COLOURS.get(b.name) for b in results.bots])
    left.axhline(1300, color="red", lw=0.8, ls=":", label="1.3 GB")
    left.set(ylabel="MB", title="Memory per server (RSS after load)")
    left.legend()
    right.bar(names, [b.startup_s for b in results.bots], color=[COLOURS.get(b.name) for b in results.bots])
    right.set(ylabel="s", title="Start-up (process start → ready)")
    for axis in (left, right):
        axis.tick_params(axis="x", labelsize=7)
    save(fig, "memory_startup.png")

    if results.scaled:
        fig, ax = plt.subplots(figsize=(6, 4))
        width = 0.8 / max(1, len(results.scaled))
        for n, run in enumerate(results.scaled):
            xs = [i + n * width for i, c in enumerate(SCALED_CONCURRENCY)]
            ax.bar(xs, [run.steps[c].rate if c in run.steps else 0 for c in SCALED_CONCURRENCY], width,
                   label=f"{run.servers} server(s)")
        ax.set_xticks([i + width * (len(results.scaled) - 1) / 2 for i in range(len(SCALED_CONCURRENCY))],
                      [f"{c} conversations" for c in SCALED_CONCURRENCY])
        ax.set(ylabel="replies/s", title="One server against two behind nginx (1 core each)")
        ax.legend()
        save(fig, "scaling.png")
    return written


def write(results: Results, folder: Path = BENCH) -> Path:
    plots = plot(results, folder)
    target = folder / "report.md"
    target.write_text(render(results, plots), encoding="utf-8")
    return target
