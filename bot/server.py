"""Start and stop the two processes of the assistant: the action server and the Rasa server."""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.settings import ROOT, Settings

MODEL = ROOT / "models" / "current.tar.gz"
STATE = ROOT / ".state"


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


def write_endpoints(settings: Settings, rasa_port: int, guard_key: str, target: Path) -> Path:
    """endpoints.yml with this run's conversation database; actions go through the guard."""
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    endpoints["action_endpoint"]["url"] = f"http://127.0.0.1:{rasa_port}/webhooks/action_guard/webhook?key={guard_key}"
    settings.tracker_db.parent.mkdir(parents=True, exist_ok=True)
    endpoints["tracker_store"]["db"] = str(settings.tracker_db)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(endpoints, sort_keys=False), encoding="utf-8")
    return target


@dataclass
class Assistant:
    """The running pair of servers; ``stop()`` ends both."""

    settings: Settings
    host: str
    port: int
    action_port: int
    log_dir: Path | None = None
    extra_args: list[str] = field(default_factory=list)
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        out = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            out = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT if out else None,
                                start_new_session=True)
        self.processes.append(proc)
        return proc

    def start_actions(self) -> None:
        env = child_env() | {"SANIC_HOST": "127.0.0.1"}  # the action server is never public
        self._spawn("actions", [sys.executable, "-m", "rasa_sdk", "--actions", "actions",
                                "--port", str(self.action_port)], env)

    def start_rasa(self) -> None:
        guard_key = secrets.token_hex(16)
        endpoints = write_endpoints(self.settings, self.port, guard_key, STATE / f"endpoints-{self.port}.yml")
        credentials = write_credentials(self.settings, STATE / f"credentials-{self.port}.yml")
        env = child_env() | {
            "IOP_HOST": self.host,
            "IOP_PORT": str(self.port),
            "IOP_TRACKER_DB": str(self.settings.tracker_db),
            # Sanic's own ceiling for any body. Rasa's calls to the action guard carry the
            # whole tracker and domain, so it is far above the visitor channels' cap
            # (limits.max_body_bytes, enforced by each channel: 413).
            "SANIC_REQUEST_MAX_SIZE": str(16 * 1024 * 1024),
            "IOP_ACTION_GUARD_KEY": guard_key,
            "IOP_ACTION_SERVER_URL": f"http://127.0.0.1:{self.action_port}/webhook",
        }
        args = [sys.executable, "-m", "rasa", "run", "--model", str(MODEL), "--endpoints", str(endpoints),
                "--credentials", str(credentials), "--interface", self.host,
                "--port", str(self.port), "--cors", *self.settings.allowed_origins, *self.extra_args]
        self._spawn("rasa", args, env)

    def start(self) -> Assistant:
        write_credentials(self.settings, STATE / f"credentials-{self.port}.yml")  # fails early if SMS lacks secrets
        self.start_actions()
        self.start_rasa()
        return self

    def wait_ready(self, timeout: float = 240.0) -> None:
        url = f"{self.url}/health/ready"
        deadline = time.monotonic() + timeout
        while True:
            if any(p.poll() is not None for p in self.processes):
                raise RuntimeError("a server process exited while starting (see its log)")
            try:
                with urllib.request.urlopen(url, timeout=2) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")
            time.sleep(0.5)

    def stop(self) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.processes:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.processes.clear()
