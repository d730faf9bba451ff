"""The content: every answer key has its wording and phrasings, in our own words."""
from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from bot import check, content
from tests.helpers import DATA, ROOT

SEED_TOOL = ROOT.parent / "shared" / "tools" / "seed_overlap.py"


def test_content_check_passes():
    assert check.run_checks() == []


def test_content_check_reports_problems_in_plain_words():
    broken = content.Content(
        phrasings={"iop_cost": ["how much is it"] * 3, "iop_insurance": ["How much is it?"]},
        responses={"utter_faq/iop_cost": [{"text": "x" * 700}]},
        faq_keys=("iop_cost", "iop_insurance", "iop_duration"),
    )
    problems = check.run_checks(broken)
    assert any("answer 'iop_duration' has no response: add 'utter_faq/iop_duration'" in p for p in problems)
    assert any("'iop_cost' has 3 training phrasings: it needs at least 12" in p for p in problems)
    assert any("'how much is it' is under several answers (iop_cost, iop_insurance)" in p for p in problems)
    assert any("'utter_faq/iop_cost' is 700 characters" in p for p in problems)
    assert any("needs an SMS version" in p for p in problems)


def test_faq_keys_come_from_the_data(tmp_path):
    """A key added to a data file is a key everywhere (check, did-you-mean, benchmarks)."""
    faq = tmp_path / "data" / "nlu" / "faq"
    faq.mkdir(parents=True)
    (tmp_path / "domain.yml").write_text("version: '3.1'\n")
    (faq / "extra.yml").write_text(
        "version: '3.1'\nnlu:\n  - intent: faq/new_key\n    examples: |\n      - a new question\n"
        "responses:\n  utter_faq/other_key:\n    - text: an answer\n"
    )
    loaded = content.load(tmp_path)
    assert loaded.faq_keys == ("new_key", "other_key")
    problems = check.check_responses(loaded)
    assert any("answer 'new_key' has no response" in p for p in problems)
    assert any("answer 'other_key' has no button title" in p for p in problems)


def test_check_command_exit_code():
    done = subprocess.run([sys.executable, "-m", "bot", "check"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "content check: OK" in done.stdout


@pytest.mark.skipif(not SEED_TOOL.exists(), reason="the shared seed tool is not beside this checkout")
def test_no_sentence_is_copied_from_the_seed_corpus():
    done = subprocess.run([sys.executable, str(SEED_TOOL), str(ROOT)], capture_output=True, text=True)
    assert done.stdout.strip().splitlines()[-1].startswith("0 line(s)"), done.stdout


def test_no_provider_specifics_in_answers():
    texts = " ".join(v.get("text", "") for vs in content.load().responses.values() for v in vs).lower()
    for marker in ("acadia", "call us today", "1-888", "(800)"):
        assert marker not in texts
    # phone numbers are only the crisis lines, never a provider's
    import re

    numbers = set(re.findall(r"\d{1}-\d{3}-\d{3}-\d{4}|\(\d{3}\) ?\d{3}-\d{4}", texts))
    assert numbers <= {"1-800-662-4357"}


def test_crisis_response_has_all_resources():
    texts = [v["text"] for v in content.load().responses["utter_crisis"]]
    for text in texts:
        assert "988" in text and "911" in text and "1-800-662-4357" in text


def test_sense_question_offers_three_senses_in_order():
    (variation,) = [v for v in content.load().responses["utter_ask_iop_sense"]
                    if not v.get("channel") and content.language_of(v) == "en"]
    payloads = [b["payload"] for b in variation["buttons"]]
    assert payloads == [
        '/choose_sense{"iop_sense": "treatment"}',
        '/choose_sense{"iop_sense": "eye"}',
        '/choose_sense{"iop_sense": "stock"}',
    ]


def _test_phrasings() -> dict[str, list[str]]:
    """Every phrasing the tests score the assistant on, by file."""
    heldout = yaml.safe_load((DATA / "heldout.yml").read_text())
    lines = lambda name: [t.strip() for t in (DATA / name).read_text().splitlines() if t.strip()]  # noqa: E731
    return {
        **{f"heldout/{key}": texts for key, texts in heldout.items()},
        "crisis_at_risk": lines("crisis_at_risk.txt"),
        "crisis_ordinary": lines("crisis_ordinary.txt"),
        "crisis_mentions": [c["text"] for c in yaml.safe_load((DATA / "crisis_mentions.yml").read_text())],
    }


def test_test_phrasings_are_not_near_copies_of_training():
    from rapidfuzz import fuzz, process

    training = [t.lower() for examples in content.load().phrasings.values() for t in examples]
    near = []
    for key, phrasings in _test_phrasings().items():
        for text in phrasings:
            match = process.extractOne(text.lower(), training, scorer=fuzz.ratio, score_cutoff=90)
            if match:
                near.append(f"{key}: {text!r} ~ {match[0]!r}")
    assert not near, "held-out phrasings too close to training ones:\n" + "\n".join(near)


def test_heldout_set_is_large_and_covers_every_answer():
    heldout = yaml.safe_load((DATA / "heldout.yml").read_text())
    assert sum(len(v) for v in heldout.values()) >= 250
    assert set(content.faq_keys()) <= set(heldout)
    assert {"iop_eye", "iop_stock", "php_programming", "ask_iop_sense"} <= set(heldout)


def test_readme_lists_every_answer_key():
    readme = (ROOT / "README.md").read_text()
    for key in (*content.faq_keys(), *content.INTENT_KEYS, *content.RESPONSE_ONLY_KEYS):
        assert f"`{key}`" in readme, key


def _rendered(settings_values: dict[str, str]) -> list[tuple[str, str]]:
    out = []
    for name, variations in content.load().responses.items():
        for variation in variations:
            text = variation.get("text", "")
            for key, value in settings_values.items():
                text = text.replace("{" + key + "}", value)
            out.append((name, text))
    return out


@pytest.mark.parametrize("details", [
    {},  # the shipped defaults: every facility detail empty
    {"name": "Riverside Recovery", "admissions_phone": "(555) 010-0000", "admissions_hours": "Mon-Fri 8am-6pm",
     "website": "https://example.org", "address": "12 Main Street"},
    {"name": "Riverside Recovery"},
])
def test_replies_read_naturally_whichever_facility_details_are_set(details):
    from bot.settings import Facility

    facility = Facility(**{"name": "", "admissions_phone": "", "admissions_hours": "", "website": "", **details})
    for name, text in _rendered({**facility.as_template_values(), "max_chars": "1000"}):
        assert "{" not in text.replace("{\"", ""), (name, text)  # every placeholder is filled
        clumsy_bits = ("our admissions line", "during office hours", "()", "  ", " .", "..", "'s's",
                       "at the admissions line")
        for clumsy in clumsy_bits:
            assert clumsy not in text, (name, clumsy, text)


BLIND_TOOL = ROOT.parent / "shared" / "tools" / "blind_overlap.py"


@pytest.mark.skipif(not BLIND_TOOL.exists(), reason="the shared overlap tool is not beside this checkout")
def test_no_test_phrasing_nearly_copies_a_training_phrasing():
    """Every file under tests/data/ against data/: a near-copy would measure the training data."""
    done = subprocess.run([sys.executable, str(BLIND_TOOL), str(ROOT)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]
