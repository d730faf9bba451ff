"""Start, watch and stop the assistant's Rasa server (one process: no custom actions are needed).

``Assistant.supervise()`` restarts the server if it dies (a crash, the OOM killer),
with a growing pause between attempts, and logs each restart; conversations are
in the store, so a restarted server carries on where the last one stopped.
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.settings import ROOT, Settings

MODEL = ROOT / "models" / "current.tar.gz"
STATE = ROOT / ".state"
BACKOFF_FIRST, BACKOFF_MAX = 1.0, 30.0  # seconds between restarts: doubles up to the maximum
STEADY_SECONDS = 60.0  # a server up this long has its backoff reset
# One compute thread: a reply's work is one chain of small steps, and TensorFlow's second thread only
# spun (measured side by side at 16 conversations: the same replies/s at half the CPU, about 60 MB less).
ONE_THREAD = {"OMP_NUM_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}
logger = logging.getLogger("bot.server")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    for name, value in ONE_THREAD.items():  # a default: the environment may say otherwise
        env.setdefault(name, value)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def write_credentials(settings: Settings, target: Path) -> Path:
    """credentials.yml plus the SMS channel when it is enabled (its secrets checked first)."""
    credentials = yaml.safe_load((ROOT / "credentials.yml").read_text(encoding="utf-8")) or {}
    if settings.sms_enabled:
        from bot.channels.sms import secrets_from_env

        secrets_from_env()  # fail now, with a clear message, rather than inside the server
        if not settings.public_url:
            raise RuntimeError("SMS is enabled but IOP_PUBLIC_URL (the https address Twilio calls) is not set")
        credentials["bot.channels.sms.TwilioSMSInput"] = {}
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(credentials, sort_keys=False), encoding="utf-8")
    return target


def write_endpoints(settings: Settings, target: Path) -> Path:
    """endpoints.yml with this run's conversation store and lock store (bot/stores.py)."""
    from bot import stores

    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    endpoints["tracker_store"] = stores.tracker_store_config(settings)
    lock = stores.lock_store_config(settings)
    if lock:
        endpoints["lock_store"] = lock
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(endpoints, sort_keys=False), encoding="utf-8")
    return target


@dataclass
class Service:
    """One supervised child process: started, watched (restarted with backoff when it dies) and stopped."""

    name: str  # also its log file's name
    command: Callable[[], list[str]]  # built anew at each start
    env: dict[str, str] = field(default_factory=child_env)
    log_dir: Path | None = None
    process: subprocess.Popen | None = None
    restarts: int = 0
    _backoff: float = BACKOFF_FIRST
    _started_at: float = 0.0
    _restart_at: float | None = None
    label: str = ""  # how messages name it

    def __post_init__(self) -> None:
        self.label = self.label or self.name

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError(f"the {self.label} is not running")
        return self.process.pid

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def killed(self) -> bool:
        """It ended by a signal (negative exit code), not by exiting on its own."""
        return self.process is not None and (self.process.poll() or 0) < 0

    def start(self) -> None:
        out: Any = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            out = open(self.log_dir / f"{self.name}.log", "ab")  # noqa: SIM115 - the child keeps its copy
        try:
            self.process = subprocess.Popen(self.command(), cwd=ROOT, env=self.env, stdout=out,
                                            stderr=subprocess.STDOUT if out else None, start_new_session=True)
        finally:
            if out is not None:
                out.close()
        self._started_at = time.monotonic()

    def watch(self, say: Callable[[str], None] = logger.warning) -> None:
        """One look: a dead process is restarted, after a pause that doubles with each quick death."""
        now = time.monotonic()
        if self.process is None:
            return
        if self.running():
            if now - self._started_at > STEADY_SECONDS:
                self._backoff = BACKOFF_FIRST
            return
        if self._restart_at is None:
            say(f"the {self.label} stopped (exit code {self.process.returncode}); restarting it in {self._backoff:g} s")
            self._restart_at = now + self._backoff
            self._backoff = min(self._backoff * 2, BACKOFF_MAX)
        elif now >= self._restart_at:
            self._restart_at = None
            self.restarts += 1
            self.start()
            say(f"the {self.label} restarted (restart {self.restarts})")

    def stop(self) -> None:
        proc, self.process = self.process, None
        if proc is None:
            return
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@dataclass
class Assistant:
    """One Rasa server with the assistant's model, channels and settings, supervised."""

    settings: Settings
    host: str
    port: int
    log_dir: Path | None = None
    extra_args: list[str] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)
    name: str = "rasa"
    prefix: list[str] = field(default_factory=list)  # e.g. taskset, to pin a server to one core
    service: Service = field(init=False)

    def __post_init__(self) -> None:
        env = child_env() | {
            "IOP_HOST": self.host,
            "IOP_PORT": str(self.port),
            "IOP_TRACKER_DB": str(self.settings.tracker_db),
            "SANIC_REQUEST_MAX_SIZE": str(1024 * 1024),  # the channels cap bodies far lower (413)
        } | self.extra_env
        self.service = Service(self.name, self._command, env, self.log_dir,
                               label=f"{self.name} server on port {self.port}")

    def _command(self) -> list[str]:
        endpoints = write_endpoints(self.settings, STATE / f"endpoints-{self.port}.yml")
        credentials = write_credentials(self.settings, STATE / f"credentials-{self.port}.yml")
        return [*self.prefix, sys.executable, "-m", "bot.rasa_main", "run", "--model", str(MODEL),
                "--endpoints", str(endpoints), "--credentials", str(credentials), "--interface", self.host,
                "--port", str(self.port), "--cors", *self.settings.allowed_origins, *self.extra_args]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        return self.service.pid

    @property
    def restarts(self) -> int:
        return self.service.restarts

    def running(self) -> bool:
        return self.service.running()

    def start(self) -> Assistant:
        write_credentials(self.settings, STATE / f"credentials-{self.port}.yml")  # a missing secret fails here
        self.service.start()
        return self

    def wait_ready(self, timeout: float = 240.0, say: Callable[[str], None] = logger.warning) -> None:
        """Until the server answers ready. One killed by a signal meanwhile (a crash, the OOM killer, or a
        kill just after it answered someone else's readiness check) is restarted as ``watch`` would; one
        that exits by itself (a bad option or setting) is a start failure."""

        def alive() -> bool:
            if self.service.killed():
                self.service.watch(say)
                return True
            return self.running()

        wait_ready(f"{self.url}/health/ready", timeout, alive, self.service.label)

    def watch(self, say: Callable[[str], None] = logger.warning) -> None:
        self.service.watch(say)

    def stop(self) -> None:
        self.service.stop()


def wait_ready(url: str, timeout: float, alive: Callable[[], bool], name: str) -> None:
    """Until ``url`` answers 200; fails early if the process died."""
    deadline = time.monotonic() + timeout
    while True:
        if not alive():
            raise RuntimeError(f"the {name} exited while starting (see its log)")
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")
        time.sleep(0.5)
