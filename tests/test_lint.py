"""The code passes ruff (pyflakes, pycodestyle, bugbear, pyupgrade, simplify; pyproject.toml)."""
from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_ruff():
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "bot", "actions", "tests", "bench"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
