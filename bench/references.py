"""The two reference bots `make bench` compares the assistant with, built from Rasa's own templates.

- **example**: the ``rasa init`` example bot, exactly as Rasa makes it
  (``rasa init --no-prompt --init-dir DIR``, which also trains it).
- **faq**: a plain retrieval-intent FAQ bot: the same template (its default pipeline, its
  small-talk intents so that DIET has more than one intent to tell apart), plus this
  project's English FAQ phrasings (``data/nlu/faq/*.yml``) and answers, with RulePolicy only
  and one rule, ``faq -> utter_faq``.

Each is built and trained once in ``.bench/refs/<name>-<hash>/``, the hash taken over
everything that goes into it (template files, generated files, Rasa and Python versions),
so a second `make bench` reuses the trained model. Both are served with this project's
REST channel and readiness route, so all three bots answer the same requests the same way.
"""
from __future__ import annotations

import hashlib
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.settings import ROOT

BENCH_DIR = ROOT / ".bench"
REFS = BENCH_DIR / "refs"
FAQ_RULE = {"rule": "answer an FAQ question", "steps": [{"intent": "faq"}, {"action": "utter_faq"}]}
# The template's default NLU pipeline, as its config.yml lists it in comments.
TEMPLATE_PIPELINE: list[dict[str, Any]] = [
    {"name": "WhitespaceTokenizer"},
    {"name": "RegexFeaturizer"},
    {"name": "LexicalSyntacticFeaturizer"},
    {"name": "CountVectorsFeaturizer"},
    {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
    {"name": "DIETClassifier", "epochs": 100},
    {"name": "EntitySynonymMapper"},
    {"name": "ResponseSelector", "epochs": 100},
    {"name": "FallbackClassifier", "threshold": 0.3, "ambiguity_threshold": 0.1},
]
# What each bench conversation asks, with the answer key expected (FAQ keys: their first phrasing).
FAQ_SCRIPT_KEYS = ("iop_duration", "iop_cost", "iop_insurance", "iop_schedule", "work_school", "how_to_start")
EXAMPLE_SCRIPT = (("greet", "greet"), ("mood_great", "happy"), ("bot_challenge", "iamabot"), ("goodbye", "goodbye"))


def template_dir() -> Path:
    import rasa.cli.scaffold

    return Path(rasa.cli.scaffold.scaffold_path())


def _versions() -> str:
    import rasa

    return f"rasa {rasa.__version__}, python {platform.python_version()}"


def digest(files: dict[str, bytes], extra: str = "") -> str:
    """A short hash of file names and contents (and ``extra``): the key of a cached build."""
    sha = hashlib.sha256(extra.encode())
    for name in sorted(files):
        sha.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return sha.hexdigest()[:12]


def template_files() -> dict[str, bytes]:
    root = template_dir()
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


def _dump(data: Any) -> bytes:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000).encode()


class _Blanks(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def faq_project_files(root: Path = ROOT) -> dict[str, bytes]:
    """The FAQ bot's project: the template plus this project's English FAQ (data/nlu/faq/*.yml).

    Only the plain English answer of each key is kept (no Spanish ``condition`` variation, no
    SMS ``channel`` one), with the facility's details filled in as the assistant fills them
    (bot/settings.py), so that the bot sends finished text and logs no missing placeholder.
    """
    from bot import settings as settings_module

    values = _Blanks(settings_module.load().template_values())
    template = template_dir()
    nlu: list[dict[str, Any]] = []
    responses: dict[str, list[dict[str, Any]]] = {}
    for path in sorted((root / "data" / "nlu" / "faq").glob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in doc.get("nlu") or []:
            if str(item.get("intent", "")).startswith("faq/"):
                nlu.append({"intent": item["intent"], "examples": item["examples"]})
        for name, variations in (doc.get("responses") or {}).items():
            plain = [v for v in variations or [] if not v.get("condition") and not v.get("channel")]
            if name.startswith("utter_faq/") and plain:
                responses[name] = [{"text": str(v["text"]).format_map(values)} for v in plain]
    domain = yaml.safe_load((template / "domain.yml").read_text(encoding="utf-8"))
    domain["intents"] = [*domain["intents"], "faq"]
    domain["responses"] = responses  # the template's small-talk answers: no rule sends them here
    config = yaml.safe_load((template / "config.yml").read_text(encoding="utf-8"))
    config["assistant_id"] = "bench_faq_reference"
    config["pipeline"] = TEMPLATE_PIPELINE
    config["policies"] = [{"name": "RulePolicy"}]
    return {
        "config.yml": _dump(config),
        "domain.yml": _dump(domain),
        "data/nlu.yml": (template / "data" / "nlu.yml").read_bytes(),  # the template's small talk
        "data/faq.yml": _dump({"version": "3.1", "nlu": nlu}),
        "data/rules.yml": _dump({"version": "3.1", "rules": [FAQ_RULE]}),
        "endpoints.yml": (template / "endpoints.yml").read_bytes(),
    }


def serving_credentials() -> dict[str, Any]:
    """The channels all three bots are served with: this project's REST channel and readiness route."""
    return {"bot.channels.rest.RestInput": {}, "bot.routes.health.Health": {}}


@dataclass
class Reference:
    name: str  # "example" or "faq"
    folder: Path
    model: Path
    trained_now: bool
    build_seconds: float
    script: list[tuple[str, str]]

    @property
    def endpoints(self) -> Path:
        return self.folder / "endpoints.yml"

    @property
    def credentials(self) -> Path:
        return self.folder / "bench-credentials.yml"


def _rasa(args: list[str], cwd: Path, log: Path) -> None:
    from bot.server import child_env

    with open(log, "ab") as out:
        done = subprocess.run([sys.executable, "-m", "rasa", *args], cwd=cwd, env=child_env(),
                              stdout=out, stderr=subprocess.STDOUT)
    if done.returncode:
        raise RuntimeError(f"`rasa {' '.join(args)}` failed in {cwd} (see {log})")


def _trained_model(folder: Path) -> Path | None:
    if not (folder / "trained.ok").exists():
        return None
    found = sorted((folder / "models").glob("*.tar.gz"))
    return found[-1] if found else None


def _cached(name: str, key: str, build: Callable[[Path], None], refs: Path) -> tuple[Path, Path, bool, float]:
    """(folder, model, trained now, seconds): the cached build for ``key``, else a fresh one."""
    folder = refs / f"{name}-{key}"
    model = _trained_model(folder)
    if model is not None:
        return folder, model, False, 0.0
    for old in refs.glob(f"{name}-*"):  # an older build: its inputs changed
        if old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink()
    folder.mkdir(parents=True)
    started = time.monotonic()
    build(folder)
    model = sorted((folder / "models").glob("*.tar.gz"))[-1]
    (folder / "trained.ok").write_text(f"{time.monotonic() - started:.0f} s\n")
    return folder, model, True, time.monotonic() - started


def _write_credentials(folder: Path) -> None:
    (folder / "bench-credentials.yml").write_bytes(_dump(serving_credentials()))


def example_script(folder: Path) -> list[tuple[str, str]]:
    """The example bot's happy path plus its two rules, each message its intent's first phrasing."""
    doc = yaml.safe_load((folder / "data" / "nlu.yml").read_text(encoding="utf-8"))
    first = {item["intent"]: item["examples"].splitlines()[0].lstrip("- ").strip() for item in doc["nlu"]}
    return [(first[intent], key) for intent, key in EXAMPLE_SCRIPT]


def faq_script(root: Path = ROOT) -> list[tuple[str, str]]:
    """Six FAQ questions, each its key's first English phrasing: the reference was trained on the
    English FAQ only (the first phrasing of all, data/nlu/es/ first, is Spanish)."""
    from bot.content import first_english_phrasing

    return [(first_english_phrasing(key, root), key) for key in FAQ_SCRIPT_KEYS]


def example_bot(refs: Path = REFS) -> Reference:
    """``rasa init --no-prompt --init-dir DIR`` (which trains it), cached by the template's hash."""
    def build(folder: Path) -> None:
        _rasa(["init", "--no-prompt", "--init-dir", str(folder)], folder, folder.parent / f"{folder.name}.log")

    key = digest(template_files(), _versions())
    started = time.monotonic()
    folder, model, fresh, seconds = _cached("example", key, build, refs)
    _write_credentials(folder)
    return Reference("example", folder, model, fresh, seconds or time.monotonic() - started, example_script(folder))


def faq_bot(refs: Path = REFS) -> Reference:
    """The FAQ reference, written from this project's FAQ data and trained, cached by its inputs' hash."""
    files = faq_project_files()

    def build(folder: Path) -> None:
        write_project(files, folder)
        _rasa(["train", "--out", "models", "--fixed-model-name", "faq", "--num-threads", "2"], folder,
              folder.parent / f"{folder.name}.log")

    started = time.monotonic()
    folder, model, fresh, seconds = _cached("faq", digest(files, _versions()), build, refs)
    _write_credentials(folder)
    return Reference("faq", folder, model, fresh, seconds or time.monotonic() - started, faq_script())


def write_project(files: dict[str, bytes], folder: Path) -> None:
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
