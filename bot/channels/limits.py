"""Sliding-window rate limits per conversation and per client address (in memory, per process)."""
from __future__ import annotations

import time
from collections import defaultdict, deque


class RateLimiter:
    """Allows at most N messages a minute per conversation and M per address."""

    def __init__(self, per_conversation: int, per_address: int, window: float = 60.0) -> None:
        self.limits = {"conversation": per_conversation, "address": per_address}
        self.window = window
        self._hits: dict[tuple[str, str], deque[float]] = defaultdict(deque)

    def allow(self, conversation: str, address: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        keys = [("conversation", conversation), ("address", address)]
        for key in keys:
            hits = self._hits[key]
            while hits and hits[0] <= now - self.window:
                hits.popleft()
        if any(len(self._hits[key]) >= self.limits[key[0]] for key in keys):
            return False
        for key in keys:
            self._hits[key].append(now)
        if len(self._hits) > 50_000:  # forget idle keys so memory stays bounded
            for key in [k for k, v in self._hits.items() if not v]:
                del self._hits[key]
        return True
