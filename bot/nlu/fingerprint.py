"""What a training component's fingerprint covers: its data files and every module of ours it runs.

Rasa caches a training step by the component's class and config only; a word list
it reads or a helper module it imports is invisible to that cache. Components that
take part in training return ``fingerprint(...)`` from ``fingerprint_addon`` so
that editing any of those files retrains the model.
"""
from __future__ import annotations

import ast
import hashlib
import importlib.util
from collections.abc import Iterable
from pathlib import Path

PACKAGE = "bot"


def fingerprint(paths: Iterable[Path]) -> str:
    """sha256 over the file names and contents of ``paths``, in any order and from any folder."""
    digest = hashlib.sha256()
    parts = sorted((path.name, hashlib.sha256(path.read_bytes()).hexdigest()) for path in {Path(p) for p in paths})
    for name, content in parts:
        digest.update(f"{name}\0{content}\0".encode())
    return digest.hexdigest()


def module_files(module_name: str) -> list[Path]:
    """The module's source file and those of every ``bot`` module it imports, transitively."""
    seen: dict[str, Path] = {}
    todo = [module_name]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = _source(name)
        if path is None:
            continue
        seen[name] = path
        todo.extend(_imported_modules(path, name))
    return sorted(seen.values())


def _source(name: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


def _imported_modules(path: Path, name: str) -> list[str]:
    """Our modules named in the file's imports: ``import bot.x``, ``from bot.x import y`` and
    ``from bot import x`` (where ``x`` is a module)."""
    found = []
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.append(base)
            found += [f"{base}.{alias.name}" for alias in node.names]
    return [m for m in found if m == PACKAGE or m.startswith(PACKAGE + ".")]
