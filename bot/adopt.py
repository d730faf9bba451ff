"""From missed to answered: ``python -m bot adopt FILE`` adds the phrasings a person accepted.

FILE is what ``python -m bot report --suggest FILE`` wrote, after a staff member set
``accept: true`` on the phrasings to keep (and perhaps changed a key or the wording).
Each accepted phrasing goes into the data file where its key's phrasings live
(``data/nlu/faq/<area>.yml`` for ``faq/<key>``), appended to that intent's examples,
with the file's layout and comments left as they were. A phrasing is refused when it

- already stands under another answer (the content check's comparison),
- nearly copies a test phrasing (rapidfuzz ratio >= 90 after the normalisation of
  ``../shared/tools/blind_overlap.py``, the measure tests/test_content.py applies): it
  would make the tests measure the training data,
- still holds masked personal data (``[phone]``...), markup the NLU data format would
  read as an entity (``[...]``, ``{...}``), or reads as someone at risk (the crisis guard
  answers those, whatever the classifiers learn),
- or names a key that has no phrasings of its own.

Then the content check (bot/check.py) runs; if the additions brought a problem, every
file is put back as it was. Nothing is learnt until the model is retrained
(``make run`` retrains by itself when data changed).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.settings import ROOT

NEAR_COPY_RATIO = 90.0  # the bar of blind_overlap.py and tests/test_content.py
MAX_CHARS = 300


@dataclass
class Outcome:
    added: list[tuple[str, str, Path]] = field(default_factory=list)  # key, phrasing, file
    already: list[tuple[str, str]] = field(default_factory=list)  # key, phrasing: there already
    refused: list[tuple[str, str, str]] = field(default_factory=list)  # key, phrasing, why
    problems: list[str] = field(default_factory=list)  # what the content check found after adding
    rolled_back: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems and not self.rolled_back


def accepted(document: Any) -> list[tuple[str, str]]:
    """(key, phrasing) for every phrasing marked ``accept: true``; nothing else is taken."""
    found = []
    for suggestion in (document or {}).get("suggestions") or []:
        if not isinstance(suggestion, dict):
            continue
        key = str(suggestion.get("key") or "").strip()
        for item in suggestion.get("phrasings") or []:
            if isinstance(item, dict) and item.get("accept") is True and isinstance(item.get("text"), str):
                found.append((key, item["text"]))
    return found


# ---- the near-copy measure of ../shared/tools/blind_overlap.py


def _overlap_norm(text: str) -> str:
    plain = re.sub(r"\[([^\]]+)\]\([^)]*\)|\[([^\]]+)\]\{[^}]*\}", lambda m: m.group(1) or m.group(2), text)
    return " ".join(plain.lower().split())


def _strings(node: Any, out: list[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("text", "user") and isinstance(value, str):
                out.append(value)
            else:
                _strings(value, out)
    elif isinstance(node, list):
        for value in node:
            if isinstance(value, str):
                out.append(value)
            else:
                _strings(value, out)


def test_phrasings(root: Path) -> list[str]:
    """Every test phrasing under tests/data/ (YAML ``text:``/``user:`` values and list items, text lines)."""
    found: list[str] = []
    for path in sorted((root / "tests" / "data").rglob("*")):
        if path.suffix in (".yml", ".yaml"):
            try:
                _strings(yaml.safe_load(path.read_text(encoding="utf-8")), found)
            except yaml.YAMLError:
                continue
        elif path.suffix == ".txt":
            found += [line for line in path.read_text(encoding="utf-8").splitlines()
                      if line.strip() and not line.startswith("#")]
    return list(dict.fromkeys(found))


def near_copy(text: str, tests: list[str]) -> str | None:
    """The test phrasing this one nearly copies, or None."""
    from rapidfuzz import fuzz, process

    match = process.extractOne(_overlap_norm(text), [_overlap_norm(t) for t in tests], scorer=fuzz.ratio,
                               score_cutoff=NEAR_COPY_RATIO)
    return tests[match[2]] if match else None


# ---- where a key's phrasings live, and adding to them


def intent_name(key: str, faq_keys: tuple[str, ...]) -> str:
    return f"faq/{key}" if key in faq_keys else key


def _intent_line(intent: str) -> re.Pattern[str]:
    return re.compile(rf"^(\s*)-\s+intent:\s*['\"]?{re.escape(intent)}['\"]?\s*$")


def phrasing_file(root: Path, intent: str) -> Path | None:
    """The data file holding the intent's phrasings (data/nlu/faq/ first), or None."""
    folder = root / "data" / "nlu"
    pattern = _intent_line(intent)
    for path in [*sorted((folder / "faq").glob("*.yml")), *sorted(folder.glob("*.yml"))]:
        if any(pattern.match(line) for line in path.read_text(encoding="utf-8").splitlines()):
            return path
    return None


def add_examples(text: str, intent: str, phrasings: list[str]) -> str:
    """The file's text with phrasings appended to the intent's ``examples: |`` block (layout kept)."""
    lines = text.splitlines(keepends=True)
    pattern = _intent_line(intent)
    start = next(i for i, line in enumerate(lines) if pattern.match(line))
    item_indent = len(pattern.match(lines[start]).group(1))  # type: ignore[union-attr]
    examples = next(i for i in range(start + 1, len(lines)) if lines[i].strip().startswith("examples:"))
    last, indent = examples, " " * (item_indent + 4)
    for i in range(examples + 1, len(lines)):
        stripped = lines[i].strip()
        if not stripped:
            continue
        depth = len(lines[i]) - len(lines[i].lstrip())
        if depth <= item_indent + 2:  # the block ended: the next key or intent
            break
        if stripped.startswith("- "):
            last, indent = i, lines[i][:depth]
    if not lines[last].endswith("\n"):
        lines[last] += "\n"
    lines[last + 1:last + 1] = [f"{indent}- {p}\n" for p in phrasings]
    return "".join(lines)


def why_refused(key: str, phrasing: str, keys_of: dict[str, set[str]], tests: list[str],
                known_keys: set[str]) -> str | None:
    """Why this phrasing may not be added under this key, or None."""
    from bot.check import _norm
    from bot.nlu import safety_guard
    from bot.report import MASKS

    if key not in known_keys:
        return f"'{key}' is not an answer with phrasings of its own"
    if not phrasing or len(phrasing) > MAX_CHARS:
        return f"a phrasing must have 1 to {MAX_CHARS} characters"
    if any(m in phrasing for m in MASKS):
        return "it still holds masked personal data: write it out without it, or leave it"
    if re.search(r"[\[\]{}]", phrasing) or phrasing.startswith(("/", "#")):
        return "brackets, braces, '/' or '#' would be read as markup in the data files"
    others = keys_of.get(_norm(phrasing), set()) - {key}
    if others:
        return f"it already stands under {', '.join(sorted(others))}"
    copied = near_copy(phrasing, tests)
    if copied is not None:
        return f"it nearly copies the test phrasing {copied!r}"
    if safety_guard.assess(phrasing) == safety_guard.AT_RISK:
        return "it reads as someone at risk: the crisis guard answers those"
    return None


def adopt(suggestions_file: Path, root: Path = ROOT) -> Outcome:
    """Add the accepted phrasings under ``root`` (the project, or a copy of it) and check the content."""
    from bot import content as content_module
    from bot.channels.hygiene import clean_text
    from bot.check import _norm, run_checks
    from bot.report import SUGGESTABLE_INTENT_KEYS

    document = yaml.safe_load(suggestions_file.read_text(encoding="utf-8"))
    content_module.load.cache_clear()
    content = content_module.load(root)
    before = set(run_checks(content))
    keys_of: dict[str, set[str]] = {}
    for key, texts in content.phrasings.items():
        for text in texts:
            keys_of.setdefault(_norm(text), set()).add(key)
    known_keys = {k for k in (*content.faq_keys, *SUGGESTABLE_INTENT_KEYS) if content.phrasings.get(k)}
    tests = test_phrasings(root)
    outcome = Outcome()
    todo: dict[Path, dict[str, list[str]]] = {}
    for key, raw in accepted(document):
        phrasing = clean_text(raw)
        if key in keys_of.get(_norm(phrasing), set()):
            outcome.already.append((key, phrasing))
            continue
        why = why_refused(key, phrasing, keys_of, tests, known_keys)
        intent = intent_name(key, content.faq_keys)
        path = phrasing_file(root, intent) if why is None else None
        if why is None and path is None:
            why = f"no data file holds the phrasings of {intent}"
        if why is not None or path is None:
            outcome.refused.append((key, phrasing, why or ""))
            continue
        todo.setdefault(path, {}).setdefault(intent, []).append(phrasing)
        keys_of.setdefault(_norm(phrasing), set()).add(key)  # a second copy under another key is refused
        outcome.added.append((key, phrasing, path))
    originals = {path: path.read_text(encoding="utf-8") for path in todo}
    for path, intents in todo.items():
        text = originals[path]
        for intent, phrasings in intents.items():
            text = add_examples(text, intent, phrasings)
        yaml.safe_load(text)  # still valid YAML, or stop before writing
        path.write_text(text, encoding="utf-8")
    content_module.load.cache_clear()
    if todo:
        outcome.problems = [p for p in run_checks(content_module.load(root)) if p not in before]
        content_module.load.cache_clear()
        if outcome.problems:
            for path, text in originals.items():
                path.write_text(text, encoding="utf-8")
            outcome.rolled_back = True
    return outcome


def describe(outcome: Outcome, root: Path = ROOT) -> str:
    lines = []
    for key, phrasing, path in outcome.added:
        where = path.relative_to(root) if path.is_relative_to(root) else path
        lines.append(f"added under {key} ({where}): {phrasing}")
    lines += [f"already under {key}: {phrasing}" for key, phrasing in outcome.already]
    lines += [f"refused for {key or '(no key)'}: {phrasing!r}: {why}" for key, phrasing, why in outcome.refused]
    if outcome.rolled_back:
        lines.append("the content check found problems, so nothing was added:")
        lines += [f"- {p}" for p in outcome.problems]
    elif outcome.added:
        lines.append(f"{len(outcome.added)} phrasing(s) added; content check: OK. "
                     "The model learns them when it is retrained (make run retrains by itself).")
    else:
        lines.append("nothing added (set accept: true on the phrasings to add)")
    return "\n".join(lines)
