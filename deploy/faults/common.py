"""Small shared pieces of the fault suite: logging, the stack's env file, psql, HTTP, tokens."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

_print_lock = threading.Lock()
_started = time.monotonic()


def log(message: str) -> None:
    """One line on stderr with the seconds since the suite started."""
    with _print_lock:
        sys.stderr.write(f"[faults {time.monotonic() - _started:7.1f}s] {message}\n")
        sys.stderr.flush()


class SuiteError(Exception):
    """The suite itself could not go on (not an invariant failure)."""


def load_env_file(path: str) -> dict[str, str]:
    """Reads the `export KEY='value'` lines that deploy/hall writes to .hall/env."""
    values: dict[str, str] = {}
    if not os.path.exists(path):
        raise SuiteError(f"{path} missing: run deploy/hall stack up first")
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if not line.startswith("export ") or "=" not in line:
                continue
            key, value = line[len("export "):].split("=", 1)
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            values[key] = value
    return values


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def rfc3339_ms(moment: dt.datetime | None = None) -> str:
    """UTC with exactly three fractional digits, as the envelope schema asks."""
    moment = (moment or now_utc()).astimezone(dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_time(text: str | None) -> dt.datetime | None:
    """Parses an RFC 3339 / PostgreSQL timestamp into an aware datetime (None stays None)."""
    if text is None:
        return None
    text = text.strip().replace(" ", "T")
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    # PostgreSQL writes +00 / +00:00; Python wants +HH:MM.
    if len(text) >= 3 and text[-3] in "+-" and text[-2:].isdigit():
        text += ":00"
    # Python < 3.11 accepts only 3 or 6 fractional digits.
    if "." in text:
        head, rest = text.split(".", 1)
        digits = ""
        while rest and rest[0].isdigit():
            digits, rest = digits + rest[0], rest[1:]
        text = f"{head}.{(digits + '000000')[:6]}{rest}"
    return dt.datetime.fromisoformat(text)


def same_instant(a: str | dt.datetime | None, b: str | dt.datetime | None, tolerance: float = 0.0015) -> bool:
    """Two instants equal to the millisecond (the contracts carry milliseconds)."""
    if a is None or b is None:
        return False
    first = a if isinstance(a, dt.datetime) else parse_time(a)
    second = b if isinstance(b, dt.datetime) else parse_time(b)
    return abs((first - second).total_seconds()) < tolerance


# ---------------------------------------------------------------------------------------------
# PostgreSQL through psql (the suite needs no database driver)
# ---------------------------------------------------------------------------------------------


class Psql:
    """Runs SQL as the admin role through the stack's psql binary."""

    def __init__(self, url: str, bindir: str):
        self.url = url
        self.psql = os.path.join(bindir, "psql")

    def _run(self, sql: str, timeout: float) -> str:
        env = dict(os.environ, PGCONNECT_TIMEOUT="5", PGOPTIONS="-c client_min_messages=warning -c statement_timeout=20000")
        result = subprocess.run(
            [self.psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", self.url, "-c", sql],
            capture_output=True, text=True, timeout=timeout, env=env,
        )
        if result.returncode != 0:
            raise SuiteError(f"psql failed ({result.returncode}): {result.stderr.strip()[:500]}")
        return result.stdout

    def execute(self, sql: str, timeout: float = 60) -> None:
        self._run(sql, timeout)

    def rows(self, sql: str, timeout: float = 60) -> list[dict]:
        """The rows of a query as dicts (through json_agg)."""
        out = self._run(f"SELECT coalesce(json_agg(q), '[]'::json) FROM ({sql}) q", timeout).strip()
        return json.loads(out) if out else []

    def value(self, sql: str, timeout: float = 60):
        rows = self.rows(sql, timeout)
        if not rows:
            return None
        return next(iter(rows[0].values()))

    def alive(self) -> bool:
        try:
            self._run("SELECT 1", 10)
            return True
        except (SuiteError, subprocess.TimeoutExpired):
            return False


# ---------------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------------


class Answer:
    """An HTTP answer: status (None when no answer arrived), JSON body (or None), error text."""

    __slots__ = ("status", "body", "error")

    def __init__(self, status: int | None, body, error: str | None = None):
        self.status = status
        self.body = body
        self.error = error

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def __repr__(self) -> str:
        detail = self.error or (json.dumps(self.body, ensure_ascii=False)[:300] if self.body is not None else "")
        return f"<{self.status} {detail}>"


def http(method: str, url: str, token: str | None = None, body=None, timeout: float = 5.0) -> Answer:
    data = None
    headers = {"Accept": "application/json"}
    if body is not None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
            return Answer(response.status, _json(raw))
    except urllib.error.HTTPError as error:
        try:
            raw = error.read()
        except Exception:  # noqa: BLE001 - a broken body is still an answer
            raw = b""
        return Answer(error.code, _json(raw))
    except Exception as error:  # noqa: BLE001 - connection refused, reset, timeout: no answer
        return Answer(None, None, f"{type(error).__name__}: {error}")


def _json(raw: bytes):
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------
# Tokens: HS256 JWT with the claims of Shared/HallKit/Auth/Auth.swift
# ---------------------------------------------------------------------------------------------


from hallkeys import mint_token  # noqa: E402,F401  (deploy/hallkeys.py; the seeding's tokens)


def resident_id(body17: str) -> str:
    """A resident identity number with its GB 11643 check character."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(c) * w for c, w in zip(body17, weights))
    return body17 + "10X98765432"[total % 11]


def new_id() -> str:
    return str(uuid.uuid4())


def schema_owner(service: str) -> str:
    """The role that owns a service's schema: the seal's is a role of its own (seal_owner), so that the
    role serving requests cannot rewrite the register; every other service's is its own role."""
    return "seal_owner" if service == "seal" else service


def database_settings(env: dict, service: str, schema: str) -> dict:
    """A service's database settings from the stack's env file: its role's URL, its schema and, for the
    seal, the schema owner's URL it migrates and grants with."""
    settings = {"HALL_DATABASE_URL": env[f"HALL_{service.upper()}_DATABASE_URL"], "HALL_DATABASE_SCHEMA": schema}
    if service == "seal":
        settings["HALL_DATABASE_OWNER_URL"] = env["HALL_SEAL_DATABASE_OWNER_URL"]
    return settings
