"""Command line: ``python -m bot run | shell | check | forget ID | purge``."""
from __future__ import annotations

import argparse
import signal
import sys
import time

from bot import settings as settings_module


def cmd_run(args: argparse.Namespace) -> int:
    from bot.server import Assistant

    settings = settings_module.load()
    assistant = Assistant(settings, settings.host, settings.port, settings.action_port)
    print(f"==> Starting the action server on 127.0.0.1:{settings.action_port} and Rasa on {assistant.url}")
    print("    (loading the model takes about half a minute)")
    try:
        assistant.start()
    except Exception as exc:  # a missing secret or setting: say what to do
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        assistant.wait_ready()
        print(f"""
==> The assistant is ready.
    Web chat:  {assistant.url}/chat/
    REST:      curl -s {assistant.url}/webhooks/rest/webhook -d '{{"sender":"me","message":"how long does IOP last"}}'
    Terminal:  make shell        Stop: Ctrl-C
""", flush=True)
        while not stopping and all(p.poll() is None for p in assistant.processes):
            time.sleep(0.5)
    except (RuntimeError, TimeoutError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        print("==> Stopping", flush=True)
        assistant.stop()
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from bot.check import run_checks

    problems = run_checks()
    for line in problems:
        print(f"- {line}")
    print("content check: " + ("OK" if not problems else f"{len(problems)} problem(s)"))
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start the action server and the Rasa server").set_defaults(func=cmd_run)
    sub.add_parser("check", help="check answers and phrasings for an editor").set_defaults(func=cmd_check)
    args = parser.parse_args(argv)
    return args.func(args)
