"""The one place settings are read: ``settings.yml`` plus environment overrides."""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_FILE = Path(os.environ.get("IOP_SETTINGS", ROOT / "settings.yml"))
SMS_ASK_TEXT_ES = "¿Te fue útil? Responde S o N."


@dataclass(frozen=True)
class Facility:
    """The facility's details; any of them may be left empty and the replies still read well."""

    name: str
    admissions_phone: str
    admissions_hours: str
    website: str
    address: str = ""

    def as_template_values(self) -> dict[str, str]:
        name = self.name or "the program"
        team = f"{self.name}'s admissions team" if self.name else "the program's admissions team"
        if self.admissions_phone:
            reach = f"call {team} at {self.admissions_phone}"
            if self.admissions_hours:
                reach += f" ({self.admissions_hours})"
        else:
            reach = f"contact {team}"
        return {
            "facility_name": name,
            "admissions_phone": self.admissions_phone or "the admissions line",
            "admissions_hours": self.admissions_hours,
            "website": self.website,
            "address": self.address,
            # whole phrases, so that a reply reads naturally whichever details are set
            "reach_admissions": reach,
            "website_line": f" You can also visit {self.website}." if self.website else "",
            "address_line": f" {name[0].upper() + name[1:]} is at {self.address}." if self.address else "",
        }


@dataclass(frozen=True)
class Settings:
    facility: Facility
    host: str
    port: int
    public_url: str
    allowed_origins: tuple[str, ...]
    sms_enabled: bool
    max_message_chars: int
    max_body_bytes: int
    messages_per_minute_per_conversation: int
    messages_per_minute_per_address: int
    tracker_db: Path
    store_url: str  # PostgreSQL for several servers (postgresql://user:password@host:5432/db); empty: tracker_db
    lock_url: str  # Redis for several servers (redis://host:6379/0); empty: each server locks in memory
    retention_days: int
    feedback_sms_ask: bool = False  # after an SMS answer, ask "Reply Y or N"; a Y/N right after is a vote
    feedback_sms_ask_text: str = "Was this helpful? Reply Y or N."
    feedback_sms_ask_text_es: str = SMS_ASK_TEXT_ES  # the same question in a Spanish conversation

    def template_values(self) -> dict[str, str]:
        """Values every response may use as placeholders besides slots."""
        return {**self.facility.as_template_values(), "max_chars": str(self.max_message_chars)}


def _env(name: str, default: Any) -> Any:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if isinstance(default, bool):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(value)
    if isinstance(default, float):
        return float(value)
    return value


@lru_cache(maxsize=1)
def load() -> Settings:
    raw = yaml.safe_load(SETTINGS_FILE.read_text(encoding="utf-8")) or {}
    fac, srv = raw.get("facility", {}), raw.get("server", {})
    lim, priv = raw.get("limits", {}), raw.get("privacy", {})
    votes = raw.get("feedback") or {}
    origins = _env("IOP_ALLOWED_ORIGINS", None)
    db = Path(_env("IOP_TRACKER_DB", priv.get("tracker_db", ".state/conversations.db")))
    return Settings(
        facility=Facility(
            name=_env("IOP_FACILITY_NAME", fac.get("name") or ""),
            admissions_phone=_env("IOP_ADMISSIONS_PHONE", fac.get("admissions_phone") or ""),
            admissions_hours=_env("IOP_ADMISSIONS_HOURS", fac.get("admissions_hours") or ""),
            website=_env("IOP_WEBSITE", fac.get("website") or ""),
            address=_env("IOP_ADDRESS", fac.get("address") or ""),
        ),
        host=_env("IOP_HOST", srv.get("host", "127.0.0.1")),
        port=_env("IOP_PORT", int(srv.get("port", 5005))),
        public_url=_env("IOP_PUBLIC_URL", srv.get("public_url", "")),
        allowed_origins=tuple(
            o.strip() for o in (origins.split(",") if origins else srv.get("allowed_origins", [])) if o.strip()
        ),
        sms_enabled=_env("IOP_SMS_ENABLED", bool(srv.get("sms_enabled", False))),
        max_message_chars=int(lim.get("max_message_chars", 1000)),
        max_body_bytes=int(lim.get("max_body_bytes", 65536)),
        messages_per_minute_per_conversation=_env(
            "IOP_MESSAGES_PER_MINUTE_PER_CONVERSATION", int(lim.get("messages_per_minute_per_conversation", 30))
        ),
        messages_per_minute_per_address=_env(
            "IOP_MESSAGES_PER_MINUTE_PER_ADDRESS", int(lim.get("messages_per_minute_per_address", 120))
        ),
        tracker_db=db if db.is_absolute() else ROOT / db,
        store_url=_env("IOP_STORE_URL", priv.get("store_url") or ""),
        lock_url=_env("IOP_LOCK_URL", srv.get("lock_url") or ""),
        retention_days=_env("IOP_RETENTION_DAYS", int(priv.get("retention_days", 90))),
        feedback_sms_ask=_env("IOP_FEEDBACK_SMS_ASK", bool(votes.get("sms_ask", False))),
        feedback_sms_ask_text=str(votes.get("sms_ask_text") or "Was this helpful? Reply Y or N."),
        feedback_sms_ask_text_es=str(votes.get("sms_ask_text_es") or SMS_ASK_TEXT_ES),
    )
