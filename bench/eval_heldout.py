"""Quick in-process evaluation of the held-out set: NLU parse + the router, no servers.

For developers tuning data: `python -m bench.eval_heldout [model]`. The suite's
gate (tests/test_heldout.py) uses the live assistant instead.
"""
from __future__ import annotations

import asyncio
import sys
from collections import Counter
from pathlib import Path

import yaml

from bot import content
from bot.dialogue import routing

ROOT = Path(__file__).resolve().parent.parent


async def main(model: str) -> None:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    faq_keys = set(content.faq_keys())
    answered_by_rules = content.CONVERSATION_KEYS | {"human_handoff", "crisis"}
    cases = yaml.safe_load((ROOT / "tests" / "data" / "heldout.yml").read_text())
    total = good = 0
    confusions: Counter = Counter()
    for key, texts in cases.items():
        for text in texts:
            parsed = await agent.parse_message(text)
            parse = routing.Parse.from_latest_message(parsed)
            decision = routing.decide(parse, {"iop_sense": parse.entities.get("iop_sense")}, faq_keys)
            if parse.intent in answered_by_rules:
                got = parse.intent  # answered by a rule, not by the router
            else:
                got = decision.responses[0].removeprefix("utter_").removeprefix("faq/") if decision.responses else None
            total += 1
            good += got == key
            if got != key:
                confusions[(key, got)] += 1
                top = parse.selector_ranking[:2]
                print(f"{key:>24} -> {got:<22} {parse.intent}:{parse.intent_confidence:.2f} {top} | {text}")
    print(f"accuracy {good / total:.3f} ({good}/{total})")
    for pair, count in confusions.most_common(10):
        print(pair, count)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "models" / "current.tar.gz")))
