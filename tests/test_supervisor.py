"""The supervisor's start-up wait (bot/server.py), with a tiny stand-in for the Rasa server."""
from __future__ import annotations

import os
import signal
import sys

import pytest

from bot.server import Assistant, Service
from bot.settings import load
from tests.helpers import free_port

READY = """
import http.server, sys
class Ready(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *args): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Ready).serve_forever()
"""


def _assistant(tmp_path, script: str) -> Assistant:
    assistant = Assistant(load(), "127.0.0.1", free_port(), log_dir=tmp_path)
    port = assistant.port
    assistant.service = Service("stand-in", lambda: [sys.executable, "-c", script, str(port)], log_dir=tmp_path)
    return assistant


def test_a_server_killed_while_starting_is_restarted_and_waited_for(tmp_path):
    """A kill between someone's readiness check and the supervisor's own is a crash, not a start failure."""
    assistant, lines = _assistant(tmp_path, READY), []
    assistant.service.start()
    try:
        os.kill(assistant.pid, signal.SIGKILL)
        assistant.service.process.wait()
        assistant.wait_ready(timeout=30, say=lines.append)
        assert assistant.restarts == 1 and assistant.running()
        assert any("stopped (exit code -9)" in line for line in lines), lines
        assert any("restarted (restart 1)" in line for line in lines), lines
    finally:
        assistant.stop()


def test_a_server_that_exits_by_itself_while_starting_is_a_start_failure(tmp_path):
    assistant = _assistant(tmp_path, "raise SystemExit(3)")
    assistant.service.start()
    try:
        with pytest.raises(RuntimeError, match="exited while starting"):
            assistant.wait_ready(timeout=30, say=lambda line: None)
        assert assistant.restarts == 0
    finally:
        assistant.stop()
