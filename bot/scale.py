"""Several Rasa servers behind nginx, conversations in PostgreSQL, locks in Redis (``make run-scaled``).

Each piece is a private instance on loopback, started and supervised here (a
dead one is restarted with backoff, bot/server.py): PostgreSQL and Redis under
``.state/scale/`` unless ``IOP_STORE_URL`` / ``IOP_LOCK_URL`` name running ones,
then the servers (each pinned to one core and one compute thread), then nginx on
the assistant's port. nginx sends each HTTP request to any live server (the
store and the lock make that safe) and keeps a visitor's web-chat socket on one
server (hashed by address); a request to a server that died goes to another.
Debian's packages are installed by ``scripts/install-scale-deps``.
"""
from __future__ import annotations

import dataclasses
import glob
import hashlib
import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.server import ONE_THREAD, STATE, Assistant, Service, child_env, free_port, wait_ready
from bot.settings import Settings

SCALE = STATE / "scale"
DATABASE, DB_USER = "iop", "iop"


def _binary(name: str, *patterns: str) -> str:
    for pattern in patterns:
        found = sorted(glob.glob(pattern))
        if found:
            return found[-1]
    path = shutil.which(name)
    if path:
        return path
    raise RuntimeError(f"{name} is not installed: run scripts/install-scale-deps (Debian's postgresql, "
                       "redis-server, nginx)")


def _wait_port(port: int, timeout: float, alive: Callable[[], bool], name: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"the {name} exited while starting (see {SCALE}/logs)")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"the {name} did not listen on port {port} within {timeout:.0f} s")


def _as_postgres_user(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run it as Debian's postgres user then."""
    if os.geteuid() != 0:
        return args
    return ["runuser", "-u", "postgres", "--", *args]


def _give_to_postgres(path: Path) -> None:
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(path, user.pw_uid, user.pw_gid)


def _reachable_by_postgres(folder: Path) -> bool:
    """Whether Debian's postgres user can get to ``folder`` (every parent searchable by others)."""
    path = folder.resolve()
    return all(os.stat(parent).st_mode & 0o001 for parent in path.parents if parent.exists())


def postgres_home(folder: Path) -> Path:
    """Where the private PostgreSQL keeps its files: ``folder``, or, when root runs us from a folder
    the postgres user cannot enter (pytest's temporary folders are private), a folder of its own
    under /var/tmp named after ``folder``."""
    if os.geteuid() != 0 or _reachable_by_postgres(folder):
        return folder
    digest = hashlib.sha1(str(folder.resolve()).encode()).hexdigest()[:12]
    return Path("/var/tmp") / f"iop-postgres-{digest}"


def postgres_service(folder: Path, port: int, logs: Path) -> Service:
    initdb = _binary("initdb", "/usr/lib/postgresql/*/bin/initdb")
    server = str(Path(initdb).with_name("postgres"))
    folder = postgres_home(folder)
    data, sockets = folder / "data", folder / "run"
    if not (data / "PG_VERSION").exists():
        for path in (folder, sockets):
            path.mkdir(parents=True, exist_ok=True)
            _give_to_postgres(path)
        subprocess.run(_as_postgres_user([initdb, "-D", str(data), "-U", DB_USER, "--auth=trust", "-E", "UTF8"]),
                       check=True, stdout=subprocess.DEVNULL)
    return Service("PostgreSQL", lambda: _as_postgres_user(
        [server, "-D", str(data), "-p", str(port), "-k", str(sockets), "-c", "listen_addresses=127.0.0.1",
         "-c", "fsync=on"]), child_env(), logs)


def create_database(port: int) -> None:
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", port=port, user=DB_USER, dbname="postgres")
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
            if cur.fetchone() is None:
                cur.execute(f"CREATE DATABASE {DATABASE}")
    finally:
        conn.close()


def redis_service(folder: Path, port: int, logs: Path) -> Service:
    server = _binary("redis-server", "/usr/bin/redis-server")
    folder.mkdir(parents=True, exist_ok=True)
    return Service("Redis", lambda: [server, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder),
                                     "--save", "", "--appendonly", "no", "--protected-mode", "yes"],
                   child_env(), logs)


def nginx_config(port: int, servers: list[int], folder: Path, max_body: int) -> str:
    members = "\n".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=3s;" for p in servers)
    temp = folder / "tmp"
    return f"""# Written by bot/scale.py for this run; edit that, not this.
worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  log_format upstream '$time_iso8601 $status $request_method $uri -> $upstream_addr $request_time s';
  access_log {folder}/access.log upstream;   # which server answered each request (no visitor address)
  client_body_temp_path {temp}/body;
  proxy_temp_path {temp}/proxy;
  fastcgi_temp_path {temp}/fastcgi;
  uwsgi_temp_path {temp}/uwsgi;
  scgi_temp_path {temp}/scgi;
  client_max_body_size {max_body};
  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
  upstream rasa {{
{members}
    keepalive 32;
  }}
  upstream rasa_socket {{
    hash $remote_addr consistent;   # a web-chat socket stays on one server
{members}
  }}
  server {{
    listen 127.0.0.1:{port};
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $remote_addr;
    # a POST refused by a dead server never reached it: try the next one (non_idempotent allows that)
    proxy_next_upstream error timeout http_502 http_503 non_idempotent;
    proxy_next_upstream_tries 3;
    proxy_connect_timeout 2s;
    proxy_read_timeout 120s;
    location /socket.io/ {{
      proxy_pass http://rasa_socket;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_read_timeout 1h;
    }}
    location / {{
      proxy_pass http://rasa;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }}
  }}
}}
"""


def nginx_service(port: int, servers: list[int], folder: Path, logs: Path, max_body: int) -> Service:
    nginx = _binary("nginx", "/usr/sbin/nginx")
    (folder / "tmp").mkdir(parents=True, exist_ok=True)
    conf = folder / "nginx.conf"
    conf.write_text(nginx_config(port, servers, folder, max_body), encoding="utf-8")
    return Service("nginx", lambda: [nginx, "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log")],
                   child_env(), logs)


@dataclass
class ScaledAssistant:
    """PostgreSQL + Redis + N Rasa servers + nginx, on the settings' host and port."""

    settings: Settings
    servers: int = 2
    port: int | None = None
    folder: Path = SCALE
    services: list[Service] = field(default_factory=list)
    assistants: list[Assistant] = field(default_factory=list)
    balancer: Service | None = None

    @property
    def url(self) -> str:
        return f"http://{self.settings.host}:{self.port or self.settings.port}"

    def start(self) -> ScaledAssistant:
        logs = self.folder / "logs"
        settings = self.settings
        if not settings.store_url:
            pg_port = free_port()
            pg = postgres_service(self.folder / "postgres", pg_port, logs)
            self._start(pg, pg_port)
            for _ in range(50):  # the port opens a moment before it takes logins
                try:
                    create_database(pg_port)
                    break
                except Exception:
                    time.sleep(0.2)
            else:
                create_database(pg_port)
            settings = dataclasses.replace(settings, store_url=f"postgresql://{DB_USER}@127.0.0.1:{pg_port}/{DATABASE}")
        if not settings.lock_url:
            redis_port = free_port()
            self._start(redis_service(self.folder / "redis", redis_port, logs), redis_port)
            settings = dataclasses.replace(settings, lock_url=f"redis://127.0.0.1:{redis_port}/0")
        self.settings = settings
        cores = sorted(os.sched_getaffinity(0))
        one_thread = ONE_THREAD | {"SANIC_PROXIES_COUNT": "1", "SANIC_REAL_IP_HEADER": "x-forwarded-for",
                                   "IOP_STORE_URL": settings.store_url, "IOP_LOCK_URL": settings.lock_url}
        taskset = shutil.which("taskset")
        for number in range(self.servers):
            prefix = [taskset, "-c", str(cores[number % len(cores)])] if taskset else []
            self.assistants.append(Assistant(settings, "127.0.0.1", free_port(), log_dir=logs,
                                             extra_env=one_thread, name=f"rasa-{number + 1}", prefix=prefix))
        for assistant in self.assistants:
            assistant.start()
        port = self.port or settings.port
        self.balancer = nginx_service(port, [a.port for a in self.assistants], self.folder / "nginx", logs,
                                      settings.max_body_bytes)
        self._start(self.balancer, port, keep=False)
        return self

    def _start(self, service: Service, port: int, keep: bool = True) -> None:
        service.start()
        if keep:
            self.services.append(service)
        _wait_port(port, 60, service.running, service.name)

    def wait_ready(self, timeout: float = 300.0) -> None:
        for assistant in self.assistants:
            assistant.wait_ready(timeout)
        balancer = self.balancer
        wait_ready(f"{self.url}/health/ready", 30, lambda: balancer is not None and balancer.running(), "balancer")

    def watch(self, say: Callable[[str], None]) -> None:
        for service in [*self.services, *([self.balancer] if self.balancer else [])]:
            service.watch(say)
        for assistant in self.assistants:
            assistant.watch(say)

    def stop(self) -> None:
        if self.balancer is not None:
            self.balancer.stop()  # first: no visitor reaches a server that is stopping
        for assistant in self.assistants:
            assistant.stop()
        for service in reversed(self.services):
            service.stop()
        self.assistants.clear()
        self.services.clear()
