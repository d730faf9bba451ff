"""Scale-out on real engines: two servers behind nginx, conversations in PostgreSQL, locks in Redis.

Needs Debian's postgresql, redis-server and nginx (``make test`` installs them as
root through scripts/install-scale-deps; elsewhere the tests say what to install).
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import os
import signal
import subprocess
import time
import uuid

import pytest

from tests.helpers import ROOT, Client, free_port, report

pytestmark = pytest.mark.live


def _missing() -> str | None:
    done = subprocess.run(["bash", "-c", "ls /usr/lib/postgresql/*/bin/initdb && command -v redis-server && "
                                         "(command -v nginx || ls /usr/sbin/nginx)"], capture_output=True)
    missing = "needs Debian's postgresql, redis-server and nginx: scripts/install-scale-deps"
    return None if done.returncode == 0 else missing


@pytest.fixture(scope="module")
def scaled(assistant, tmp_path_factory):
    missing = _missing()
    if missing:
        if os.geteuid() == 0:
            pytest.fail(missing)  # CI runs as root: there it must run
        pytest.skip(missing)
    from bot.scale import ScaledAssistant

    running = ScaledAssistant(assistant.settings, servers=2, port=free_port(), folder=tmp_path_factory.mktemp("scale"))
    running.start()
    try:
        running.wait_ready()
    except Exception:
        running.stop()
        raise
    yield running
    running.stop()


def _stored(scaled, conversation: str) -> list[dict]:
    from bot.stores import open_store

    store = open_store(scaled.settings)
    tracker = asyncio.run(store.retrieve(conversation))
    return [e.as_dict() for e in tracker.events] if tracker else []


def test_conversations_run_across_both_servers_with_nothing_lost(scaled):
    client = Client(scaled.url)
    senders = [f"scaled-{n}-{uuid.uuid4().hex[:6]}" for n in range(8)]
    script = [("what is iop", "ask_iop_sense"), ("2", "iop_eye"), ("what is iop", "iop_eye"),
              ("how long does intensive outpatient treatment last", "iop_duration")]

    def talk(sender: str) -> list[list[str]]:
        return [client.say(sender, text).keys for text, _ in script]

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(talk, senders))
    for sender, got in zip(senders, replies, strict=True):
        assert got == [[key] for _, key in script], sender
        users = [e["text"] for e in _stored(scaled, f"rest:{sender}") if e["event"] == "user"]
        assert len(users) == len(script), "every message is in PostgreSQL once"
    served = [_served(scaled, a) for a in scaled.assistants]
    report("scale-out", f"2 servers, 8 concurrent conversations: {sum(len(r) for r in replies)} replies, "
                        f"messages per server {served}, 0 lost")
    assert all(count > 0 for count in served), "nginx used both servers"


def _served(scaled, assistant) -> int:
    """Messages this server answered, from nginx's access log (it names the upstream of each request)."""
    log = scaled.folder / "nginx" / "access.log"
    return sum(1 for line in log.read_text().splitlines()
               if "/webhooks/rest/webhook" in line and line.split("-> ")[-1].startswith(f"127.0.0.1:{assistant.port} "))


def test_a_killed_server_leaves_the_conversation_to_the_other(scaled):
    client, sender = Client(scaled.url), f"failover-{uuid.uuid4().hex[:8]}"
    assert client.say(sender, "what is iop").keys == ["ask_iop_sense"]
    assert client.say(sender, "2").keys == ["iop_eye"]
    victim = scaled.assistants[0]
    os.killpg(victim.pid, signal.SIGKILL)
    start = time.monotonic()
    replies = [client.say(sender, "what is iop").keys for _ in range(4)]  # some of them would go to the dead one
    report("scale-out", f"one of two servers killed: {len(replies)} replies in {time.monotonic() - start:.1f} s, "
                        "all from the other with the history and the eye sense")
    assert replies == [["iop_eye"]] * 4
    users = [e["text"] for e in _stored(scaled, f"rest:{sender}") if e["event"] == "user"]
    assert users == ["what is iop", '/choose_sense{"iop_sense": "eye"}'] + ["what is iop"] * 4
    deadline = time.monotonic() + 240
    while victim.restarts == 0 or not victim.running():
        scaled.watch(say=lambda line: None)
        assert time.monotonic() < deadline, "the killed server was not restarted"
        time.sleep(0.3)
    victim.wait_ready()
    assert Client(victim.url).say(sender, "what is iop").keys == ["iop_eye"], "the restarted one knows it too"


def test_forget_purge_and_the_shell_work_on_postgresql(scaled):
    import sys

    client, sender = Client(scaled.url), f"forget-{uuid.uuid4().hex[:8]}"
    assert client.say(sender, "hello").keys == ["greet"]
    env = dict(os.environ) | {"IOP_STORE_URL": scaled.settings.store_url}
    done = subprocess.run([sys.executable, "-m", "bot", "forget", f"rest:{sender}"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "deleted" in done.stdout and " 0 event" not in done.stdout, done.stdout
    assert _stored(scaled, f"rest:{sender}") == []
    done = subprocess.run([sys.executable, "-m", "bot", "shell", "--url", scaled.url, "--debug"], cwd=ROOT, env=env,
                          input="how long does iop last\nquit\n", capture_output=True, text=True, timeout=120)
    assert "utter_faq/iop_duration" in done.stdout and "intent faq" in done.stdout, done.stdout + done.stderr
    done = subprocess.run([sys.executable, "-m", "bot", "purge", "--days", "3650"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "deleted 0 conversation" in done.stdout, done.stdout


def test_the_report_counts_what_was_sent_on_postgresql(scaled, tmp_path):
    """The staff report's reading (report.read, as `python -m bot report` does) on PostgreSQL: a few
    conversations through nginx, then the figures of those conversations, and the command's totals grown
    by exactly what was sent."""
    import csv
    import sys
    from collections import Counter

    from bot import report as staff_report
    from bot.channels import feedback
    from bot.stores import open_store

    settings = scaled.settings

    def now_in_store() -> staff_report.Data:
        return staff_report.read(open_store(settings), None, settings.retention_days)

    before = staff_report.build(now_in_store())
    client = Client(scaled.url)
    script = {f"report-{n}-{uuid.uuid4().hex[:6]}": texts for n, texts in enumerate([
        ["how long does iop last", "how much does intensive outpatient cost"],
        ["what is iop", "2"],  # a sense question, then its button by number
        ["hello", "how long does intensive outpatient treatment last"]])}
    given: Counter = Counter()  # answer key -> rateable replies received
    for sender, texts in script.items():
        for text in texts:
            given.update(feedback.answer_key(m.get("response")) for m in client.say(sender, text).messages
                         if feedback.is_rateable(m.get("response")))
    assert sum(given.values()) >= 3, given  # the durations, the cost and the eye sense were answered

    mine = {f"rest:{sender}" for sender in script}
    data = now_in_store()
    ours = [t for t in data.turns if t.conversation in mine]
    assert Counter(t.conversation for t in ours) == {f"rest:{s}": len(texts) for s, texts in script.items()}
    built = staff_report.build(staff_report.Data(data.start, data.end, ours, []))
    assert list(built.by_channel) == ["rest"]
    assert (built.overall["messages"], built.overall["conversations"]) == (6, 3)
    assert {r["key"]: r["total"] for r in built.answers} == dict(given)
    per_day: Counter = Counter()
    for row in built.answers_daily:
        per_day[row["key"]] += row["total"]
    assert per_day == given

    env = dict(os.environ) | {"IOP_STORE_URL": settings.store_url}
    done = subprocess.run([sys.executable, "-m", "bot", "report", "--csv", str(tmp_path / "csv")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    messages, conversations = before.overall["messages"] + 6, before.overall["conversations"] + 3
    assert f"{messages} visitor messages in {conversations} conversations" in done.stdout, done.stdout
    with (tmp_path / "csv" / "answers.csv").open() as handle:
        answers = {row["answer_key"]: int(row["total"]) for row in csv.DictReader(handle)}
    assert answers == dict(Counter({r["key"]: r["total"] for r in before.answers}) + given)
    report("scale-out", f"staff report on PostgreSQL: {messages} messages in {conversations} conversations, "
                        f"the 6 sent here counted once each, answers {dict(given)}")
