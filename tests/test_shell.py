"""The staff shell (`make shell` runs `python -m bot shell`) driven with scripted input."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.helpers import ROOT

pytestmark = pytest.mark.live


def run_shell(assistant, script: str, *flags: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "shell", "--url", assistant.url, *flags],
        input=script, capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_typed_number_chooses_a_button(assistant):
    out = run_shell(assistant, "what is iop\n2\nquit\n")
    assert "1. Treatment program" in out and "2. Eye pressure" in out and "3. Stock IPO" in out
    assert "intraocular" in out.lower()


def test_debug_shows_intent_answer_key_and_sense(assistant):
    out = run_shell(assistant, "my ophthalmologist measured my iop\nhow long does intensive outpatient last\n",
                    "--debug")
    lines = [line for line in out.splitlines() if line.strip().startswith("[intent")]
    assert len(lines) == 2
    assert "answer utter_iop_eye" in lines[0] and "remembered sense eye" in lines[0]
    assert "faq faq/iop_duration" in lines[1] and "answer utter_faq/iop_duration" in lines[1]
    assert "remembered sense treatment" in lines[1]


def test_shell_against_nothing_says_so():
    done = subprocess.run([sys.executable, "-m", "bot", "shell", "--url", "http://127.0.0.1:9"],
                          input="", capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 1 and "nothing answers" in done.stderr
