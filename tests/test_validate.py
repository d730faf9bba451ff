"""Rasa's own data validation passes, and every warning it still prints is an expected one."""
from __future__ import annotations

import re
import subprocess
import sys

from bot.dialogue.policy import ROUTED, SILENT
from tests.helpers import ROOT

# Expected (see README, "Tests"): responses sent only by the router policy or the
# channels are "not used in any story or rule", and so are the intents the router
# policy answers (it needs no rules); the internal intents sent by the channels and by
# buttons have no training phrasings; `faq` is declared in the domain and again by the
# retrieval responses in data/nlu/faq/.
_POLICY_INTENTS = "|".join(sorted(ROUTED | SILENT))
EXPECTED = [
    r"The utterance 'utter_[\w/]+' is not used in any story or rule",
    rf"The intent '({_POLICY_INTENTS})' is not used in any story or rule",
    r"The intent '(choose_answer|empty_message|too_long|sms_help|feedback)' is listed in the domain file, but is "
    r"not found",
    r"The following duplicated intents have been found across multiple domain files: faq",
]


def test_rasa_data_validate():
    done = subprocess.run([sys.executable, "-m", "rasa", "data", "validate"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-5000:]
    warnings = re.findall(r"UserWarning: (.*)", output)
    assert warnings, "the expected warnings are printed (the check is running)"
    unexpected = [w for w in warnings if not any(re.search(p, w) for p in EXPECTED)]
    assert not unexpected, unexpected
