"""Score a test set of visitor messages and conversations against a running assistant (REST).

Used by the suite (tests/test_blind.py: the blind set, with floors) and by developers choosing
thresholds on the development set, never on the blind one:

    python -m bench.evaluate tests/data/dev --url http://127.0.0.1:5005

A single message is right when the answer keys of its reply are exactly the expected ones (a
trailing crisis-resources line aside); ``facility_question`` is also answered rightly by
``human_handoff``. A conversation is right when every turn is.
"""
from __future__ import annotations

import argparse
import json
import sys
import urllib.request
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.content import faq_keys

OTHER_SENSES = {"iop_eye", "iop_stock", "php_programming"}
HONEST = {"facility_question", "human_handoff", "out_of_scope", "did_you_mean", "ask_rephrase", "medical_advice"}
ALSO_RIGHT = {"facility_question": {"human_handoff"}}

Say = Callable[[str, str], list[str]]  # (conversation id, text) -> answer keys of the reply


def answer_keys(messages: list[dict]) -> list[str]:
    keys = []
    for message in messages:
        name = (message.get("response") or "").removeprefix("utter_")
        keys.append(name.split("/", 1)[1] if "/" in name else name)
    while keys and keys[-1] == "crisis_resources":
        keys.pop()
    return keys


def rest_say(url: str) -> Say:
    def say(sender: str, text: str) -> list[str]:
        body = json.dumps({"sender": sender, "message": text}).encode()
        request = urllib.request.Request(f"{url}/webhooks/rest/webhook", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as reply:
            return answer_keys(json.loads(reply.read() or b"[]"))
    return say


def _right(expected: str | list[str], got: list[str]) -> bool:
    wanted = expected if isinstance(expected, list) else [expected]
    if len(got) != len(wanted):
        return False
    return all(g == w or g in ALSO_RIGHT.get(w, set()) for g, w in zip(got, wanted, strict=True))


def _turn_right(expected: list[str], got: list[str]) -> bool:
    if len(got) != len(expected):
        return False
    return all(e == "*" and g or g in e.split("|") or g in ALSO_RIGHT.get(e, set())
               for g, e in zip(got, expected, strict=True))


@dataclass
class Scores:
    groups: dict[str, list[bool]] = field(default_factory=lambda: defaultdict(list))
    misses: list[str] = field(default_factory=list)
    confusions: Counter = field(default_factory=Counter)
    uncovered_faq: list[str] = field(default_factory=list)  # an uncovered question given some FAQ answer
    wrong_sense: list[str] = field(default_factory=list)

    def rate(self, group: str) -> float:
        oks = self.groups[group]
        return sum(oks) / len(oks) if oks else 1.0

    def lines(self) -> list[str]:
        out = [f"{g:<22} {self.rate(g):.3f} ({sum(o)}/{len(o)})" for g, o in sorted(self.groups.items())]
        out += [f"confusion {e} -> {g}: {n}" for (e, g), n in self.confusions.most_common(15)]
        return out


def _sense(key: str) -> str:
    return key if key in OTHER_SENSES else "treatment" if key in faq_keys() else "other"


def score_messages(groups: dict[str, list[dict]], say: Say, scores: Scores | None = None, workers: int = 4) -> Scores:
    scores = scores or Scores()
    cases = [(group, item) for group, items in groups.items() for item in items]

    def ask(case: tuple[str, dict]) -> list[str]:
        return say(f"eval-{uuid.uuid4().hex[:12]}", case[1]["text"])

    with ThreadPoolExecutor(max_workers=workers) as pool:
        replies = list(pool.map(ask, cases))
    for (group, item), got in zip(cases, replies, strict=True):
        expected = item["expect"]
        ok = _right(expected, got)
        scores.groups[group].append(ok)
        scores.groups["single messages"].append(ok)
        if not ok:
            scores.misses.append(f"[{group}] {expected} -> {got}: {item['text']}")
            scores.confusions[(str(expected), str(got))] += 1
        if group == "uncovered" and got and got[0] in faq_keys():
            scores.uncovered_faq.append(f"{got} <- {item['text']}")
        for e, g in zip(expected if isinstance(expected, list) else [expected], got, strict=False):
            senses = {_sense(e), _sense(g)}
            if "treatment" in senses and senses & OTHER_SENSES and e != g:
                scores.wrong_sense.append(f"{e} -> {g}: {item['text']}")
    return scores


def score_conversations(conversations: list[dict], say: Say, scores: Scores | None = None) -> Scores:
    scores = scores or Scores()

    def run(conversation: dict) -> tuple[bool, str]:
        sender = f"eval-{uuid.uuid4().hex[:12]}"
        for number, turn in enumerate(conversation["turns"], 1):
            got = say(sender, turn["user"])
            if not _turn_right(turn["bot"], got):
                return False, f"[{conversation.get('group')}] {conversation['name']}: turn {number} " \
                              f"{turn['user']!r} wanted {turn['bot']}, got {got}"
        return True, ""

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(run, conversations))
    for conversation, (ok, why) in zip(conversations, results, strict=True):
        scores.groups[f"conv: {conversation.get('group', 'other')}"].append(ok)
        scores.groups["conversations"].append(ok)
        if not ok:
            scores.misses.append(why)
    return scores


def evaluate(folder: Path, say: Say, language: str = "en") -> Scores:
    messages = yaml.safe_load((folder / f"{language}_messages.yml").read_text(encoding="utf-8"))
    conversations = yaml.safe_load((folder / f"{language}_conversations.yml").read_text(encoding="utf-8"))
    scores = score_messages(messages, say)
    return score_conversations(conversations, say, scores)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--url", default="http://127.0.0.1:5005")
    parser.add_argument("--misses", action="store_true")
    args = parser.parse_args()
    scores = evaluate(args.folder, rest_say(args.url))
    print("\n".join(scores.lines()))
    print(f"uncovered given an FAQ answer: {len(scores.uncovered_faq)}; wrong-sense answers: {len(scores.wrong_sense)}")
    if args.misses:
        print("\n".join(scores.misses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
