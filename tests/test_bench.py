"""`make bench`'s own pieces, from given numbers: the report, its targets, the reference-bot builder.

Nothing is timed here (machines are shared and noisy): the bench itself only reports.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from bench import load, references
from bench.report import BotRun, Results, ScaledRun, Step, render, targets, write
from bot.content import faq_keys

MACHINE = {"cpu": "Test CPU 9000", "cores": "2", "ram": "24.0 GB", "os": "Linux", "python": "3.10.13"}


def steps(rates: dict[int, float], p95: float = 100.0) -> dict[int, Step]:
    return {c: Step(c, 10.0, int(rate * 10), p95 / 2, p95, errors=0, cpu_ms_per_reply=5.0)
            for c, rate in rates.items()}


def results(ours_rate16: float = 120.0, ours_p95: float = 200.0, two: float = 180.0, memory: float = 1200.0,
            reply: float = 24.0) -> Results:
    example = BotRun("example", startup_s=30, rss_start_mb=700, rss_after_mb=710, parse_p50_ms=8.0,
                     reply_paired_p50_ms=30.0, steps=steps({1: 30, 4: 35, 16: 38, 50: 37}))
    faq = BotRun("faq", startup_s=31, rss_start_mb=720, rss_after_mb=730, parse_p50_ms=9.0,
                 reply_paired_p50_ms=15.0, steps=steps({1: 50, 4: 60, 16: 62, 50: 60}))
    ours = BotRun("ours", startup_s=40, rss_start_mb=memory - 50, rss_after_mb=memory, parse_p50_ms=20.0,
                  reply_paired_p50_ms=reply, steps=steps({1: 40, 4: 100, 16: ours_rate16, 50: 110}, ours_p95))
    scaled = [ScaledRun(1, 45, [memory], steps({16: 100, 50: 100})), ScaledRun(2, 50, [memory, memory],
                                                                               steps({16: two, 50: two}))]
    return Results(MACHINE, [example, faq, ours], scaled, started="2026-12-03 08:00", minutes=9.5,
                   background="other processes used 12% of the CPU.")


def test_targets_pass_and_fail_from_the_numbers():
    passing = {t.what: t.passed for t in targets(results())}
    assert all(passing.values()), passing
    failing = targets(results(ours_rate16=100.0, ours_p95=300.0, two=140.0, memory=1400.0, reply=30.0))
    assert not any(t.passed for t in failing)
    ratio = failing[0]
    assert abs(ratio.value - 1.5) < 1e-9 and ratio.limit == 1.3  # 30 ms reply / 20 ms parse


def test_report_has_the_table_the_verdicts_and_the_machine():
    text = render(results(ours_p95=300.0), ["throughput.png"])
    assert "Test CPU 9000, 2 cores, 24.0 GB RAM" in text
    assert "| our assistant | 16 | 120.0 | 150 | 300 | 0 | 5.0 |" in text
    assert "| rasa init example bot | 1 | 30.0 |" in text
    assert sum(line.startswith("- **PASS**") for line in text.splitlines()) == 4
    fail = [line for line in text.splitlines() if line.startswith("- **FAIL**")]
    assert fail == ["- **FAIL** our p95 at 16 concurrent conversations: 300 ms (target ≤ 250 ms)"]
    assert "- **PASS** our replies/s ÷ the example bot's, 16 concurrent conversations, one server each: 3.16×" in text
    assert "| our assistant | 20.0 | – | 24.0 | 1.20 |" in text  # reply ÷ parse
    assert "![throughput.png](throughput.png)" in text
    assert "other processes used 12%" in text


def test_a_bot_that_was_not_measured_fails_its_targets_plainly():
    empty = Results(MACHINE, [BotRun("ours", problem="did not start")])
    text = render(empty)
    assert "**FAIL** our reply p50 ÷ our bare parse p50" in text and "not measured" in text
    assert "did not start" in text


def test_the_report_and_its_plots_are_written(tmp_path: Path):
    report = write(results(), tmp_path)
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert pngs == ["latency.png", "memory_startup.png", "reply_vs_parse.png", "scaling.png", "throughput.png"]
    assert all((tmp_path / name).read_bytes()[:4] == b"\x89PNG" for name in pngs)
    assert all(f"]({name})" in report.read_text() for name in pngs)


def test_percentile_is_nearest_rank():
    assert load.percentile([3.0, 1.0, 2.0, 4.0], 0.5) == 3.0
    assert load.percentile([1.0] * 19 + [9.0], 0.95) == 9.0


def test_the_cache_key_follows_the_inputs():
    files = {"a.yml": b"x", "b.yml": b"y"}
    assert references.digest(files, "rasa 3.6") == references.digest(dict(reversed(files.items())), "rasa 3.6")
    assert references.digest(files, "rasa 3.6") != references.digest({**files, "b.yml": b"z"}, "rasa 3.6")
    assert references.digest(files, "rasa 3.6") != references.digest(files, "rasa 3.7")


def test_the_faq_reference_is_a_valid_plain_retrieval_bot(tmp_path: Path):
    files = references.faq_project_files()
    rules = yaml.safe_load(files["data/rules.yml"])["rules"]
    assert rules == [{"rule": "answer an FAQ question", "steps": [{"intent": "faq"}, {"action": "utter_faq"}]}]
    config = yaml.safe_load(files["config.yml"])
    assert config["policies"] == [{"name": "RulePolicy"}]
    assert any(c["name"] == "ResponseSelector" for c in config["pipeline"])
    domain = yaml.safe_load(files["domain.yml"])
    keys = set(faq_keys())
    assert {f"utter_faq/{k}" for k in keys} == set(domain["responses"])
    assert "faq" in domain["intents"]
    texts = [v["text"] for variations in domain["responses"].values() for v in variations]
    assert all("{" not in t for t in texts)  # the facility's details filled in
    assert not any("ñ" in t or "usted" in t or " es " in f" {t} " for t in texts)  # English only
    nlu = yaml.safe_load(files["data/faq.yml"])["nlu"]
    assert {item["intent"] for item in nlu} == {f"faq/{k}" for k in keys}
    faq_texts = {item["intent"]: item["examples"] for item in nlu}
    for text, key in references.faq_script():
        # asked what the reference was trained on: its key's English phrasing, never a Spanish one
        assert key in keys and f"- {text}\n" in faq_texts[f"faq/{key}"] + "\n"
    references.write_project(files, tmp_path)
    done = subprocess.run([sys.executable, "-m", "rasa", "data", "validate"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def test_serving_uses_our_rest_channel_and_readiness():
    assert set(references.serving_credentials()) == {"bot.channels.rest.RestInput", "bot.routes.health.Health"}
