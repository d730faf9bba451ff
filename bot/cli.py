"""Command line: ``python -m bot run | shell | check | forget ID | purge | report | adopt FILE``."""
from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from typing import Any

from bot import settings as settings_module


def cmd_run(args: argparse.Namespace) -> int:
    from bot import stores
    from bot.server import Assistant

    settings = settings_module.load()
    assistant: Any
    if args.servers:
        from bot.scale import ScaledAssistant

        assistant = ScaledAssistant(settings, servers=args.servers)
        where = settings.store_url and stores.describe(settings) or "a private PostgreSQL under .state/scale/"
        print(f"==> Starting {args.servers} servers behind nginx on {assistant.url} (conversations: {where}, "
              f"locks: {'Redis at ' + settings.lock_url if settings.lock_url else 'a private Redis'})")
    else:
        assistant = Assistant(settings, settings.host, settings.port)
        print(f"==> Starting the assistant on {assistant.url} (conversations: {stores.describe(settings)})")
    print("    (loading the model takes a few seconds)", flush=True)
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
    started = time.monotonic()
    say = lambda line: print(f"==> {line}", flush=True)  # noqa: E731
    try:
        assistant.wait_ready(say=say)
        print(f"""
==> The assistant is ready ({time.monotonic() - started:.0f} s).
    Web chat:  {assistant.url}/chat/
    REST:      curl -s {assistant.url}/webhooks/rest/webhook -d '{{"sender":"me","message":"how long does IOP last"}}'
    Terminal:  make shell        Stop: Ctrl-C
""", flush=True)
        parent = os.getppid()
        while not stopping:
            if os.getppid() != parent:  # make was killed without passing the signal on
                break
            assistant.watch(say=say)  # a dead server comes back
            time.sleep(0.5)
    except (RuntimeError, TimeoutError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        print("==> Stopping", flush=True)
        assistant.stop()
    return 0


def cmd_shell(args: argparse.Namespace) -> int:
    from bot.shell import chat, is_up
    from bot.stores import open_store

    settings = settings_module.load()
    url = args.url or f"http://127.0.0.1:{settings.port}"
    if is_up(url):
        return chat(url, open_store(settings), args.debug)
    if args.url:
        print(f"error: nothing answers at {url}", file=sys.stderr)
        return 1
    from bot.server import Assistant, free_port

    assistant = Assistant(settings, "127.0.0.1", free_port())  # never clashes with `make run`
    print(f"==> Starting a private assistant for this shell on {assistant.url}")
    assistant.start()
    try:
        assistant.wait_ready()
        return chat(assistant.url, open_store(settings), args.debug)
    finally:
        assistant.stop()


def cmd_forget(args: argparse.Namespace) -> int:
    from bot import privacy

    settings = settings_module.load()
    conversation = args.conversation
    if args.phone:
        import os

        from bot.channels.sms import CHANNEL, sender_hash

        key = os.environ.get("IOP_SENDER_KEY", "")
        if not key:
            print("error: IOP_SENDER_KEY is needed to find an SMS conversation by phone number", file=sys.stderr)
            return 2
        conversation = f"{CHANNEL}:{sender_hash(key.encode(), args.phone)}"
    if not conversation:
        print("error: give a conversation id (e.g. web:3f2a...) or --phone NUMBER", file=sys.stderr)
        return 2
    deleted = privacy.forget(privacy.open_store(settings), conversation)
    print(f"deleted {deleted} event(s) of conversation {conversation}")
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    from bot import privacy

    settings = settings_module.load()
    days = args.days if args.days is not None else settings.retention_days
    gone = privacy.purge(privacy.open_store(settings), days)
    print(f"deleted {len(gone)} conversation(s) with no activity in the last {days:g} day(s)")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from bot.check import run_checks

    problems = run_checks()
    for line in problems:
        print(f"- {line}")
    print("content check: " + ("OK" if not problems else f"{len(problems)} problem(s)"))
    return 1 if problems else 0


def cmd_report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot import report, stores

    settings = settings_module.load()
    try:
        since = report.parse_since(args.since)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    data = report.read(stores.open_store(settings), since, settings.retention_days)
    built = report.build(data)
    sys.stdout.write(report.summary(built))
    if args.html:
        Path(args.html).parent.mkdir(parents=True, exist_ok=True)
        Path(args.html).write_text(report.to_html(built), encoding="utf-8")
        print(f"wrote {args.html}")
    if args.csv:
        written = report.write_csv(built, Path(args.csv))
        print(f"wrote {len(written)} CSV file(s) to {args.csv}")
    if args.suggest:
        count = report.write_suggestions(built, Path(args.suggest))
        print(f"wrote {count} suggested phrasing(s) to {args.suggest}: set accept: true on those to add, "
              f"then run python -m bot adopt {args.suggest}")
    return 0


def cmd_adopt(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot import adopt

    root = Path(args.root).resolve() if args.root else settings_module.ROOT
    outcome = adopt.adopt(Path(args.file), root)
    print(adopt.describe(outcome, root))
    return 0 if outcome.ok and not outcome.refused else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start the assistant (restarted if it dies)")
    run.add_argument("--servers", type=int, default=0,
                     help="run this many servers behind nginx, on PostgreSQL and Redis (make run-scaled)")
    run.set_defaults(func=cmd_run)
    sub.add_parser("check", help="check answers and phrasings for an editor").set_defaults(func=cmd_check)
    shell = sub.add_parser("shell", help="chat in the terminal (starts a private assistant if none runs)")
    shell.add_argument("--debug", action="store_true", help="show intent, confidence, answer key and sense")
    shell.add_argument("--url", help="an assistant that is already running, e.g. http://127.0.0.1:5005")
    shell.set_defaults(func=cmd_shell)
    forget = sub.add_parser("forget", help="delete one conversation (on a visitor's request)")
    forget.add_argument("conversation", nargs="?", help="the stored id, e.g. web:3f2a... or rest:alice")
    forget.add_argument("--phone", help="an SMS visitor's phone number (needs IOP_SENDER_KEY)")
    forget.set_defaults(func=cmd_forget)
    purge = sub.add_parser("purge", help="delete conversations older than the retention setting")
    purge.add_argument("--days", type=float, help="override privacy.retention_days")
    purge.set_defaults(func=cmd_purge)
    report = sub.add_parser("report", help="staff report: totals, rates, unanswered messages, feedback")
    report.add_argument("--since", help="from when: 30d, 12h, 2w or a date (default: all kept conversations)")
    report.add_argument("--html", metavar="FILE", help="also write a self-contained HTML page")
    report.add_argument("--csv", metavar="DIR", help="also write the tables as CSV files")
    report.add_argument("--suggest", metavar="FILE", help="also write suggested phrasings (YAML) for adopt")
    report.set_defaults(func=cmd_report)
    adopt = sub.add_parser("adopt", help="add the phrasings accepted in a --suggest file, then check the content")
    adopt.add_argument("file", help="the reviewed suggestions file")
    adopt.add_argument("--root", help=argparse.SUPPRESS)  # a copy of the project (tests)
    adopt.set_defaults(func=cmd_adopt)
    args = parser.parse_args(argv)
    return args.func(args)
