"""Where our server's time goes under load: py-spy samples the Rasa server while the bench talks to it.

    python -m bench.profile [--conversations 16] [--seconds 20] [--servers 0]

Starts our assistant (as `make bench` does), warms it up, runs the load and records with
py-spy (``pip install py-spy``; needs ptrace rights, as root here). Prints the share of samples
spent inside the functions that matter (inclusive) and the busiest leaf frames (self), and
keeps the raw collapsed stacks in .bench/profile-<pid>.txt (open them with speedscope or
flamegraph.pl). ``--stacks FILE`` summarises an earlier recording without running anything.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from bench import load
from bench.references import BENCH_DIR

# Inclusive shares worth watching: (label, pattern matched against "function (file)" frames).
WATCH = [
    ("NLU: the whole pipeline (parse_message)", r"parse_message \(rasa/core/processor"),
    ("  our normaliser", r"\(bot/nlu/normalizer"),
    ("  spaCy (SpacyNLP + tokenizer)", r"\(rasa/nlu/utils/spacy_utils|\(rasa/nlu/tokenizers/spacy_tokenizer"),
    ("  our sense tagger", r"\(bot/nlu/sense_tagger"),
    ("  CountVectorsFeaturizer", r"\(rasa/nlu/featurizers/sparse_featurizer/count_vectors"),
    ("  our sentence encoder", r"\(bot/nlu/sentence_encoder"),
    ("  DIETClassifier", r"process \(rasa/nlu/classifiers/diet_classifier"),
    ("  ResponseSelector", r"process \(rasa/nlu/selectors/response_selector"),
    ("  our two-question reader", r"\(bot/nlu/two_questions"),
    ("  our language detector", r"\(bot/nlu/language"),
    ("  our safety guard", r"\(bot/nlu/safety_guard"),
    ("  our gibberish guard", r"\(bot/nlu/gibberish"),
    ("  FallbackClassifier", r"\(rasa/nlu/classifiers/fallback_classifier"),
    ("dialogue: next-action predictions", r"_predict_next_with_tracker|predict_next_with_tracker_if_should"),
    ("  RulePolicy", r"\(rasa/core/policies/rule_policy"),
    ("  our RouterPolicy", r"\(bot/dialogue/"),
    ("tracker store: retrieve", r"retrieve \(rasa/core/tracker_store|retrieve_full_tracker"),
    ("tracker store: save", r"save \(rasa/core/tracker_store"),
    ("tracker (de)serialisation", r"from_dict \(rasa/shared/core/trackers|deserialise_events|as_dialogue"),
    ("our channel's hygiene (tracker read)", r"prepare_text \(bot/channels/common"),
    ("NLG", r"\(rasa/core/nlg|\(bot/nlg"),
    ("lock store", r"\(rasa/core/lock_store"),
    ("SQLAlchemy", r"\(sqlalchemy/"),
    ("logging", r"\(logging/__init__"),
    ("TensorFlow", r"\(tensorflow/"),
    ("sanic / HTTP", r"\(sanic/"),
    ("idle (event loop waiting)", r"select \(selectors|_run_once \(asyncio/base_events"),
]


def _frames(stack: str) -> list[str]:
    return [re.sub(r"\S*site-packages/|/work/main/|\S*/lib/python3\.10/", "", f) for f in stack.split(";")]


def summarise(stacks: Path, top: int = 25) -> str:
    samples: list[tuple[list[str], int]] = []
    for line in stacks.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            samples.append((_frames(stack), int(count)))
    total = sum(n for _, n in samples) or 1
    lines = [f"{total} samples"]
    idle = re.compile(WATCH[-1][1])
    busy = sum(n for frames, n in samples if not idle.search(frames[-1]))
    lines.append(f"busy (not waiting in the event loop): {busy / total:.0%}")
    for label, pattern in WATCH:
        rx = re.compile(pattern)
        hit = sum(n for frames, n in samples if any(rx.search(f) for f in frames))
        lines.append(f"{hit / total:6.1%}  {label}")
    leaves: Counter[str] = Counter()
    for frames, n in samples:
        leaves[frames[-1]] += n
    lines.append("busiest leaf frames (self):")
    lines += [f"{n / total:6.1%}  {frame}" for frame, n in leaves.most_common(top)]
    return "\n".join(lines)


def record(pid: int, seconds: float, out: Path, rate: int = 200) -> subprocess.Popen:
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if not spy:
        raise SystemExit("py-spy is not installed: .venv/bin/pip install py-spy")
    return subprocess.Popen([spy, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", str(rate),
                             "--format", "raw", "--output", str(out), "--nonblocking"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--stacks", type=Path, help="summarise this recording instead of running")
    args = parser.parse_args(argv)
    if args.stacks:
        print(summarise(args.stacks))
        return 0
    from bench.run import BENCH_ENV, LOGS
    from bot import settings as settings_module
    from bot.server import Assistant, free_port

    os.environ.update(BENCH_ENV)
    os.environ["IOP_TRACKER_DB"] = str(BENCH_DIR / f"profile-{os.getpid()}.db")
    settings_module.load.cache_clear()
    assistant = Assistant(settings_module.load(), "127.0.0.1", free_port(), log_dir=LOGS, name="bench-profile")
    out = BENCH_DIR / f"profile-{os.getpid()}.txt"
    assistant.start()
    try:
        assistant.wait_ready(300)
        script = load.script()
        load.run(assistant.url, conversations=2, seconds=3, questions=script, turns=len(script))
        spy = record(assistant.pid, args.seconds, out)
        time.sleep(0.5)
        result = load.run(assistant.url, conversations=args.conversations, seconds=args.seconds - 1,
                          questions=script, turns=len(script))
        spy.wait(timeout=60)
        print(result.summary())
    finally:
        assistant.stop()
        Path(os.environ["IOP_TRACKER_DB"]).unlink(missing_ok=True)
    print(summarise(out))
    print(f"raw stacks: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
