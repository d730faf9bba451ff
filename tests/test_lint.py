"""The code passes ruff (pyflakes, pycodestyle, bugbear, pyupgrade, simplify) and mypy (pyproject.toml)."""
from __future__ import annotations

import subprocess
import sys

from tests.helpers import ROOT


def test_ruff():
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "bot", "actions", "tests", "bench"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy():
    """Types of bot/ and actions/ are checked (the files are listed in pyproject.toml)."""
    done = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
