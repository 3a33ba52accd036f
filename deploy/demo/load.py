#!/usr/bin/env python3
"""Loads a county hall (directory, catalogue, seals) from deploy/demo/*.yaml through the services' HTTP APIs.

    load.py --check                 validate the files only (no service needed)
    load.py                         validate, then load what is missing or changed, then print what a
                                    person needs next (API documents, tokens, a curl line)
    load.py --next-steps            print the next steps only

Every file is checked before anything is sent: one entry that breaks a rule fails the whole load
with a message naming the file, the entry and the rule, and nothing is loaded. Loading twice changes
nothing: items and seals are read back from the services and compared; directory entries (the
intake API has no read endpoint for them) are compared with what the last load sent, kept in a
receipt that counts only while the seals it recorded are still in the seal registry; without a valid
receipt they are sent again, which the intake API stores as an upsert of the same values.

Python 3 standard library and PyYAML only. Environment (set by deploy/hall):
    HALL_INTAKE_URL, HALL_COORDINATOR_URL, HALL_SEAL_URL   the services (default 127.0.0.1:8081-8083)
    HALL_JWT_SECRET                                        signs the tokens (HS256)
    HALL_STATE_DIR                                         where the receipt is kept (demo-receipt.json)
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import decimal
import hashlib
import json
import os
import re
import shlex
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from hallkeys import derived_signer, mint_token, service_environment, service_signers  # noqa: E402,F401  (deploy/hallkeys.py)

try:
    import yaml
except ImportError:  # pragma: no cover - the venv of deploy/hall install has it
    sys.exit("load.py needs PyYAML: run it with .hall/venv/bin/python (deploy/hall install creates it)")

HERE = Path(__file__).resolve().parent

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
KINDS = ("immediate", "committed", "joint")
WINDOW_KINDS = ("comprehensive", "department", "discipline")
NOT_COUNTED = ("hearing", "tender", "auction", "inspection", "testing", "quarantine", "appraisal", "expert-review")
FORMS = ("original", "copy", "original-and-copy")
DOCUMENT_KINDS = ("acceptance-notice", "refusal-notice", "approval-decision", "denial-decision")
NOTICES = {"acceptance-notice", "refusal-notice"}
DECISIONS = {"approval-decision", "denial-decision"}


# ---------------------------------------------------------------------------------------------
# Problems
# ---------------------------------------------------------------------------------------------


@dataclass
class Problem:
    file: str
    entry: str
    rule: str

    def __str__(self) -> str:
        return f"{self.file}: {self.entry}: {self.rule}"


class Invalid(Exception):
    """The files break rules; nothing was loaded."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


class LoadError(Exception):
    """A service refused or did not answer while loading."""


class Differs(LoadError):
    """Everything else was loaded, but the services hold something the loader does not overwrite."""


# ---------------------------------------------------------------------------------------------
# Reading the files
# ---------------------------------------------------------------------------------------------


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when PyYAML has it: 20 times faster
    """SafeLoader that keeps dates and times as the strings written (checked by the rules below)."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _no_duplicate_keys(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicate_keys)


@dataclass
class Hall:
    """The validated hall: request bodies ready for the APIs, in load order."""

    directory: Path
    name: str
    administrator: str
    centre: str
    departments: dict[str, dict] = field(default_factory=dict)  # id -> POST /v1/departments body (full)
    windows: dict[str, dict] = field(default_factory=dict)  # id -> POST /v1/windows body
    staff: dict[str, dict] = field(default_factory=dict)  # id -> POST /v1/staff body
    items: dict[str, dict] = field(default_factory=dict)  # code -> POST /v1/items body
    seals: dict[str, dict] = field(default_factory=dict)  # department -> POST /v1/seals body
    item_files: dict[str, str] = field(default_factory=dict)  # code -> file
    demo: dict = field(default_factory=dict)

    def window_takes(self, window_id: str, item: dict) -> bool:
        """Whether a clerk at the window may submit the item (intake's rule: a comprehensive window
        takes every item delegated to the centre; any window takes the items of its departments)."""
        window = self.windows[window_id]
        if window["kind"] == "discipline" or not window.get("active", True):
            return False
        departments = [item["leadDepartmentId"]] + item.get("participantDepartmentIds", [])
        return (window["kind"] == "comprehensive" and item["delegatedToCentre"]) or bool(set(window["departmentIds"]) & set(departments))


class Reader:
    """Reads and checks the files of one hall directory; collects every problem."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.problems: list[Problem] = []

    # -- reading values -----------------------------------------------------------------------

    def problem(self, file: str, entry: str, rule: str) -> None:
        self.problems.append(Problem(file, entry, rule))

    def read(self, relative: str, required: bool = True) -> Any:
        path = self.directory / relative
        if not path.exists():
            if required:
                self.problem(relative, "(file)", "is missing")
            return None
        try:
            with path.open(encoding="utf-8") as handle:
                return yaml.load(handle, Loader=_Loader)
        except yaml.YAMLError as error:
            self.problem(relative, "(file)", f"is not valid YAML: {error}".replace("\n", " "))
            return None

    def mapping(self, data: Any, file: str, entry: str, allowed: set[str], required: set[str]) -> dict | None:
        if not isinstance(data, dict):
            self.problem(file, entry, "must be a mapping (key: value)")
            return None
        for key in sorted(set(data) - allowed, key=str):
            self.problem(file, entry, f"unknown key '{key}' (allowed: {', '.join(sorted(allowed))})")
        for key in sorted(required - set(data)):
            self.problem(file, entry, f"'{key}' is required")
        return data

    def text(self, data: dict, key: str, file: str, entry: str, required: bool = True) -> str | None:
        value = data.get(key)
        if value is None:
            if required and key in data:
                self.problem(file, entry, f"'{key}' must not be empty")
            return None
        if not isinstance(value, str):
            hint = " (quote it)" if isinstance(value, (int, float)) else ""
            self.problem(file, entry, f"'{key}' must be text{hint}")
            return None
        if not value.strip():
            self.problem(file, entry, f"'{key}' must not be empty")
            return None
        return value

    def boolean(self, data: dict, key: str, file: str, entry: str, default: bool) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.problem(file, entry, f"'{key}' must be true or false")
            return default
        return value

    def integer(self, data: dict, key: str, file: str, entry: str) -> int | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(file, entry, f"'{key}' must be a whole number of working days")
            return None
        if value < 0:
            self.problem(file, entry, f"'{key}' must be ≥ 0 working days")
            return None
        return value

    def identifier(self, value: Any, file: str, entry: str, what: str) -> str | None:
        if not isinstance(value, str) or not ID_RE.match(value):
            self.problem(file, entry, f"{what} '{value}' must be 1-64 lower-case letters, digits or '-'")
            return None
        return value

    def date(self, value: Any, file: str, entry: str, what: str) -> str | None:
        if not isinstance(value, str) or not DATE_RE.match(value):
            self.problem(file, entry, f"{what} must be a date YYYY-MM-DD, got {value!r}")
            return None
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            self.problem(file, entry, f"{what} {value} is not a calendar date")
            return None
        return value

    def instant(self, value: Any, file: str, entry: str, what: str) -> dt.datetime | None:
        try:
            parsed = dt.datetime.fromisoformat(value) if isinstance(value, str) and "T" in value else None
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            self.problem(file, entry, f"{what} must be a date-time with its offset, e.g. 2025-01-01T00:00:00+08:00, got {value!r}")
            return None
        return parsed

    def entries(self, data: Any, key: str, file: str) -> list:
        if data is None:
            return []
        if not isinstance(data, dict) or not isinstance(data.get(key), list):
            self.problem(file, "(file)", f"must have a list '{key}:'")
            return []
        return data[key]

    # -- the hall -----------------------------------------------------------------------------

    def hall(self) -> Hall:
        raw = self.read("hall.yaml")
        settings = self.mapping(raw, "hall.yaml", "(file)", {"hall", "catalogue", "demo"}, {"hall", "catalogue"}) or {}
        hall_section = self.mapping(settings.get("hall", {}), "hall.yaml", "hall", {"name", "administrator"}, {"name", "administrator"}) or {}
        catalogue = self.mapping(
            settings.get("catalogue", {}), "hall.yaml", "catalogue", {"effectiveFrom", "approvalReference"}, {"effectiveFrom", "approvalReference"}
        ) or {}
        demo = self.mapping(settings.get("demo", {}), "hall.yaml", "demo", {"clerk", "item", "departmentSystem"}, set()) or {}
        hall = Hall(
            directory=self.directory,
            name=self.text(hall_section, "name", "hall.yaml", "hall") or "",
            administrator=self.text(hall_section, "administrator", "hall.yaml", "hall") or "",
            centre="",
            demo=demo,
        )
        defaults = {
            "effectiveFrom": self.date(catalogue.get("effectiveFrom"), "hall.yaml", "catalogue", "effectiveFrom") if "effectiveFrom" in catalogue else None,
            "approvalReference": self.text(catalogue, "approvalReference", "hall.yaml", "catalogue"),
        }
        self.read_departments(hall)
        self.read_windows(hall)
        self.read_staff(hall)
        self.read_catalogue(hall, defaults)
        self.read_seals(hall)
        self.cross_check(hall)
        if self.problems:
            raise Invalid(self.problems)
        return hall

    def read_departments(self, hall: Hall) -> None:
        file = "departments.yaml"
        allowed = {"id", "name", "centre", "chiefRepresentative", "substitute", "active", "head", "documentCode"}
        for index, entry in enumerate(self.entries(self.read(file), "departments", file)):
            label = f"departments[{index}]" + (f" {entry.get('id')}" if isinstance(entry, dict) and entry.get("id") else "")
            if self.mapping(entry, file, label, allowed, {"id", "name"}) is None:
                continue
            ident = self.identifier(entry.get("id"), file, label, "id")
            name = self.text(entry, "name", file, label)
            if ident is None or name is None:
                continue
            if ident in hall.departments:
                self.problem(file, label, f"duplicate department id {ident}")
                continue
            body: dict[str, Any] = {"id": ident, "name": name, "active": self.boolean(entry, "active", file, label, True)}
            if self.boolean(entry, "centre", file, label, False):
                body["centre"] = True
            chief = entry.get("chiefRepresentative")
            if chief is not None:
                body["chiefRepresentativeId"] = self.identifier(chief, file, label, "chiefRepresentative")
            head = entry.get("head")
            if head is not None:
                given = self.mapping(head, file, f"{label} head", {"id", "name", "title"}, {"id", "name", "title"})
                if given is not None:
                    person = self.identifier(given.get("id"), file, f"{label} head", "id")
                    head_name = self.text(given, "name", file, f"{label} head")
                    title = self.text(given, "title", file, f"{label} head")
                    if person and head_name and title:
                        body["head"] = {"id": person, "name": head_name, "title": title}
            code = self.text(entry, "documentCode", file, label, required=False)
            if code is not None:
                if any(c.isspace() or c in "〔〕[]" for c in code) or len(code) > 20:
                    self.problem(file, label, f"documentCode {code!r} must be 1 to 20 characters without spaces or brackets")
                elif code in {d.get("documentCode") for d in hall.departments.values()}:
                    self.problem(file, label, f"documentCode {code!r} is another department's (one per department)")
                else:
                    body["documentCode"] = code
            substitute = entry.get("substitute")
            if substitute is not None:
                sub = self.mapping(substitute, file, f"{label} substitute", {"staff", "notice", "from", "to"}, {"staff", "notice", "from", "to"})
                if sub is not None:
                    staff = self.identifier(sub.get("staff"), file, f"{label} substitute", "staff")
                    notice = self.text(sub, "notice", file, f"{label} substitute")
                    start = self.date(sub.get("from"), file, f"{label} substitute", "from")
                    end = self.date(sub.get("to"), file, f"{label} substitute", "to")
                    if start and end and start > end:
                        self.problem(file, f"{label} substitute", f"'to' ({end}) is before 'from' ({start})")
                    if staff and notice and start and end:
                        body["substitute"] = {"staffId": staff, "noticeReference": notice, "from": start, "to": end}
            hall.departments[ident] = body
        centres = [d for d in hall.departments.values() if d.get("centre")]
        if len(centres) != 1:
            self.problem(file, "(file)", f"exactly one department must be the hall centre (centre: true); found {len(centres)}")
        else:
            hall.centre = centres[0]["id"]

    def read_windows(self, hall: Hall) -> None:
        file = "windows.yaml"
        for index, entry in enumerate(self.entries(self.read(file), "windows", file)):
            label = f"windows[{index}]" + (f" {entry.get('id')}" if isinstance(entry, dict) and entry.get("id") else "")
            if self.mapping(entry, file, label, {"id", "name", "kind", "departments", "active"}, {"id", "name", "kind"}) is None:
                continue
            ident = self.identifier(entry.get("id"), file, label, "id")
            name = self.text(entry, "name", file, label)
            kind = entry.get("kind")
            if kind not in WINDOW_KINDS:
                self.problem(file, label, f"kind must be one of {', '.join(WINDOW_KINDS)}, got {kind!r}")
            departments = entry.get("departments", [])
            if not isinstance(departments, list):
                self.problem(file, label, "departments must be a list")
                departments = []
            if ident is None or name is None or kind not in WINDOW_KINDS:
                continue
            if ident in hall.windows:
                self.problem(file, label, f"duplicate window id {ident}")
                continue
            for department in departments:
                if department not in hall.departments:
                    self.problem(file, label, f"serves unknown department {department!r} (not in departments.yaml)")
            if len(set(map(str, departments))) != len(departments):
                self.problem(file, label, "lists a department twice")
            if kind == "department" and not departments:
                self.problem(file, label, "a department window serves at least one department")
            if kind == "discipline" and departments:
                self.problem(file, label, "the discipline window (Art 44) handles no department's approvals: departments must be empty")
            hall.windows[ident] = {
                "id": ident, "name": name, "kind": kind, "departmentIds": [str(d) for d in departments],
                "active": self.boolean(entry, "active", file, label, True),
            }

    def read_staff(self, hall: Hall) -> None:
        file = "staff.yaml"
        allowed = {
            "id", "name", "department", "window", "qualified", "active", "immediateItems", "rotationFilingReference", "rotationReason", "training",
            "windowSince",
        }
        for index, entry in enumerate(self.entries(self.read(file), "staff", file)):
            label = f"staff[{index}]" + (f" {entry.get('id')}" if isinstance(entry, dict) and entry.get("id") else "")
            if self.mapping(entry, file, label, allowed, {"id", "name", "department"}) is None:
                continue
            ident = self.identifier(entry.get("id"), file, label, "id")
            name = self.text(entry, "name", file, label)
            department = entry.get("department")
            window = entry.get("window")
            qualified = self.boolean(entry, "qualified", file, label, True)
            if ident is None or name is None:
                continue
            if ident in hall.staff:
                self.problem(file, label, f"duplicate staff id {ident}")
                continue
            if department not in hall.departments:
                self.problem(file, label, f"belongs to unknown department {department!r} (not in departments.yaml)")
            if window is not None:
                if window not in hall.windows:
                    self.problem(file, label, f"works at unknown window {window!r} (not in windows.yaml)")
                elif hall.windows[window]["kind"] == "discipline":
                    self.problem(file, label, f"works at the discipline window {window}: it is not a service window")
                if not qualified:
                    self.problem(file, label, "only qualified staff work at a window (Art 19): set qualified: true or remove the window")
            immediate = entry.get("immediateItems", [])
            if not isinstance(immediate, list) or not all(isinstance(code, str) for code in immediate):
                self.problem(file, label, "immediateItems must be a list of item codes")
                immediate = []
            elif len(set(immediate)) != len(immediate):
                self.problem(file, label, "immediateItems lists an item twice")
            body: dict[str, Any] = {
                "id": ident, "name": name, "departmentId": department, "windowId": window, "qualified": qualified,
                "active": self.boolean(entry, "active", file, label, True), "immediateItems": list(immediate),
            }
            rotation = self.text(entry, "rotationFilingReference", file, label, required=False)
            if rotation:
                body["rotationFilingReference"] = rotation
            reason = self.text(entry, "rotationReason", file, label, required=False)
            if reason:
                body["rotationReason"] = reason
            training = entry.get("training")
            if training is not None:
                if self.mapping(training, file, f"{label} training", {"completedOn", "course"}, {"completedOn", "course"}) is not None:
                    body["training"] = {"completedOn": str(training["completedOn"]), "course": str(training["course"])}
            if entry.get("windowSince") is not None:
                body["windowSince"] = str(entry["windowSince"])
            hall.staff[ident] = body

    def read_catalogue(self, hall: Hall, defaults: dict) -> None:
        folder = self.directory / "catalogue"
        files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
        if not files:
            self.problem("catalogue/", "(folder)", "must hold at least one *.yaml file of items")
        for path in files:
            file = f"catalogue/{path.name}"
            raw = self.read(file)
            top = self.mapping(raw, file, "(file)", {"department", "items"}, {"items"})
            if top is None:
                continue
            file_department = top.get("department")
            if file_department is not None and file_department not in hall.departments:
                self.problem(file, "(file)", f"department {file_department!r} is not in departments.yaml")
            for index, entry in enumerate(self.entries(raw, "items", file)):
                self.read_item(hall, defaults, file, index, entry, file_department)

    def read_item(self, hall: Hall, defaults: dict, file: str, index: int, entry: Any, file_department: str | None) -> None:
        allowed = {
            "code", "name", "kind", "lead", "participants", "legalLimitDays", "limitBasis", "promisedLimitDays", "legalBasis", "fee",
            "notCounted", "delegatedToCentre", "toleratedGapAllowed", "materials", "formTemplate", "effectiveFrom", "approvalReference",
            "conditions",
        }
        required = {"code", "name", "kind", "legalLimitDays", "limitBasis", "promisedLimitDays", "legalBasis", "materials"}
        label = f"items[{index}]" + (f" {entry.get('code')}" if isinstance(entry, dict) and entry.get("code") else "")
        if self.mapping(entry, file, label, allowed, required) is None:
            return
        code = entry.get("code")
        if not isinstance(code, str) or not CODE_RE.match(code):
            self.problem(file, label, f"code {code!r} must be 2-32 upper-case letters, digits or '-'")
            return
        if code in hall.items:
            self.problem(file, label, f"duplicate item code {code} (also in {hall.item_files[code]})")
            return
        name = self.text(entry, "name", file, label)
        kind = entry.get("kind")
        if kind not in KINDS:
            self.problem(file, label, f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
        lead = entry.get("lead", file_department)
        if lead is None:
            self.problem(file, label, "needs a lead department ('lead:' or the file's 'department:')")
        elif lead not in hall.departments:
            self.problem(file, label, f"lead department {lead!r} is not in departments.yaml")
        elif not hall.departments[lead].get("active", True):
            self.problem(file, label, f"lead department {lead} is not active")
        participants = entry.get("participants", [])
        if not isinstance(participants, list):
            self.problem(file, label, "participants must be a list of departments")
            participants = []
        for department in participants:
            if department not in hall.departments:
                self.problem(file, label, f"participant department {department!r} is not in departments.yaml")
        if lead in participants:
            self.problem(file, label, "the lead department cannot also be a participant")
        if len(set(map(str, participants))) != len(participants):
            self.problem(file, label, "lists a participant twice")
        legal = self.integer(entry, "legalLimitDays", file, label)
        promised = self.integer(entry, "promisedLimitDays", file, label)
        if legal is not None and promised is not None and promised > legal:
            self.problem(file, label, f"promisedLimitDays {promised} exceeds legalLimitDays {legal}: the promise must be within the legal limit (Art 34)")
        if kind == "immediate":
            if promised not in (None, 0):
                self.problem(file, label, f"an immediate item (即办件) is decided on the spot: promisedLimitDays must be 0, got {promised}")
            if participants:
                self.problem(file, label, "an immediate item has one department: no participants (use kind joint)")
        elif kind == "committed":
            if participants:
                self.problem(file, label, "a committed item has one department: use kind joint for participants")
            if promised == 0:
                self.problem(file, label, "a committed item (承诺件) needs at least 1 working day (0 is an immediate item)")
        elif kind == "joint":
            if not participants:
                self.problem(file, label, "a joint item (联办件) needs at least one participant department")
            if promised == 0:
                self.problem(file, label, "a joint item needs at least 1 working day")
        limit_basis = self.text(entry, "limitBasis", file, label)
        legal_basis = self.text(entry, "legalBasis", file, label)
        fee = self.fee(entry.get("fee"), file, label)
        not_counted = entry.get("notCounted", [])
        if not isinstance(not_counted, list) or any(value not in NOT_COUNTED for value in not_counted):
            self.problem(file, label, f"notCounted must list only {', '.join(NOT_COUNTED)} (Art 34, ALL Art 45), got {not_counted!r}")
            not_counted = []
        elif len(set(not_counted)) != len(not_counted):
            self.problem(file, label, "notCounted lists a category twice")
        tolerated = self.boolean(entry, "toleratedGapAllowed", file, label, False)
        materials = self.materials(entry.get("materials"), file, label, kind, tolerated)
        effective = self.date(entry["effectiveFrom"], file, label, "effectiveFrom") if "effectiveFrom" in entry else defaults["effectiveFrom"]
        if effective is None and "effectiveFrom" not in entry:
            self.problem(file, label, "needs effectiveFrom (or catalogue.effectiveFrom in hall.yaml)")
        approval = self.text(entry, "approvalReference", file, label, required=False) or defaults["approvalReference"]
        if not approval:
            self.problem(file, label, "needs the catalogue's approval reference (Art 7): approvalReference here or in hall.yaml")
        form_template = entry.get("formTemplate")
        if form_template is not None and not isinstance(form_template, str):
            self.problem(file, label, "formTemplate must be text")
            form_template = None
        if None in (name, lead, legal, promised, limit_basis, legal_basis, materials, effective, approval) or kind not in KINDS:
            return
        body: dict[str, Any] = {
            "code": code, "name": name, "kind": kind, "leadDepartmentId": lead, "participantDepartmentIds": [str(p) for p in participants],
            "legalLimitDays": legal, "promisedLimitDays": promised, "fee": fee, "materials": materials,
            "notCounted": list(not_counted), "delegatedToCentre": self.boolean(entry, "delegatedToCentre", file, label, True),
            "toleratedGapAllowed": tolerated, "effectiveFrom": effective, "approvalReference": approval,
        }
        body["formTemplate"] = form_template if form_template is not None else application_form(body, legal_basis, limit_basis)
        conditions = entry.get("conditions", [])
        if not isinstance(conditions, list) or not all(isinstance(c, str) and c.strip() for c in conditions):
            self.problem(file, label, "conditions must list who may apply and on what conditions, each in words")
            conditions = []
        body["guide"] = guide_of(body, legal_basis, conditions)
        hall.items[code] = body
        hall.item_files[code] = file

    def fee(self, fee: Any, file: str, label: str) -> dict:
        if fee is None:
            return {}
        if self.mapping(fee, file, f"{label} fee", {"amountYuan", "basis"}, {"amountYuan", "basis"}) is None:
            return {}
        amount = fee.get("amountYuan")
        try:
            value = decimal.Decimal(str(amount)) if isinstance(amount, (str, int)) and not isinstance(amount, bool) else None
        except decimal.InvalidOperation:
            value = None
        if value is None or not value.is_finite() or value <= 0 or value != value.quantize(decimal.Decimal("0.01")):
            self.problem(file, f"{label} fee", f"amountYuan must be a positive amount in yuan with at most 2 decimals, e.g. \"20.00\"; got {amount!r}")
            return {}
        basis = self.text(fee, "basis", file, f"{label} fee")
        if basis is None:
            self.problem(file, f"{label} fee", "a fee needs its legal basis (Art 16)")
            return {}
        return {"amountCents": int(value * 100), "basis": basis}

    def materials(self, materials: Any, file: str, label: str, kind: Any, tolerated: bool) -> list | None:
        if not isinstance(materials, list):
            self.problem(file, label, "materials must be a list")
            return None
        if not materials and kind != "immediate":
            self.problem(file, label, "must list the materials to bring (Art 14(5))")
        result, seen = [], set()
        for index, material in enumerate(materials):
            where = f"{label} materials[{index}]"
            if self.mapping(material, file, where, {"id", "name", "form", "copies", "condition", "toleratedGap"}, {"id", "name"}) is None:
                continue
            ident = self.identifier(material.get("id"), file, where, "id")
            name = self.text(material, "name", file, where)
            form = material.get("form", "original")
            if form not in FORMS:
                self.problem(file, where, f"form must be one of {', '.join(FORMS)}, got {form!r}")
            copies = material.get("copies", 1)
            if isinstance(copies, bool) or not isinstance(copies, int) or copies < 1:
                self.problem(file, where, f"copies must be a whole number ≥ 1, got {copies!r}")
            condition = material.get("condition")
            if condition is not None and (not isinstance(condition, str) or not condition.strip()):
                self.problem(file, where, "condition must be text (when the material is required)")
                condition = None
            gap = self.boolean(material, "toleratedGap", file, where, False)
            if gap and not tolerated:
                self.problem(file, where, "toleratedGap needs toleratedGapAllowed: true on the item (容缺受理)")
            if ident in seen:
                self.problem(file, where, f"material id {ident} appears twice")
            if ident is None or name is None or form not in FORMS:
                continue
            seen.add(ident)
            entry = {"id": ident, "name": name, "form": form, "copies": copies, "requirement": "conditional" if condition else "required", "toleratedGap": gap}
            if condition:
                entry["condition"] = condition
            result.append(entry)
        return result

    def read_seals(self, hall: Hall) -> None:
        file = "seals.yaml"
        raw = self.read(file)
        top = self.mapping(raw, file, "(file)", {"defaults", "everySeal", "seals"}, {"seals"}) or {}
        defaults = self.mapping(top.get("defaults", {}), file, "defaults", {"validFrom", "validUntil"}, set()) or {}
        every = self.authorisations(top.get("everySeal", []), file, "everySeal", hall)
        codes: dict[str, str] = {}
        for index, entry in enumerate(self.entries(raw, "seals", file)):
            label = f"seals[{index}]" + (f" {entry.get('department')}" if isinstance(entry, dict) and entry.get("department") else "")
            allowed = {"department", "code", "name", "custodian", "validFrom", "validUntil", "authorisations"}
            if self.mapping(entry, file, label, allowed, {"department", "code", "name"}) is None:
                continue
            department = entry.get("department")
            code = self.text(entry, "code", file, label)
            name = self.text(entry, "name", file, label)
            if department not in hall.departments:
                self.problem(file, label, f"seal for unknown department {department!r} (not in departments.yaml)")
                continue
            if department in hall.seals:
                self.problem(file, label, f"department {department} already has a seal: one active approval seal per department (Art 30)")
                continue
            if code is not None:
                if code in codes:
                    self.problem(file, label, f"duplicate seal code {code} (also the seal of {codes[code]})")
                codes.setdefault(code, department)
            chief = hall.departments[department].get("chiefRepresentativeId")
            custodian = entry.get("custodian", chief)
            if custodian is None:
                self.problem(file, label, f"department {department} has no chief representative to hold its seal (Art 32)")
            elif custodian != chief:
                self.problem(file, label, f"custodian {custodian} must be the department's chief representative {chief} (Art 32)")
            start = self.instant(entry.get("validFrom", defaults.get("validFrom")), file, label, "validFrom")
            end = self.instant(entry.get("validUntil", defaults.get("validUntil")), file, label, "validUntil")
            if start and end and end <= start:
                self.problem(file, label, "validUntil must be after validFrom")
            own = self.authorisations(entry.get("authorisations", []), file, f"{label} authorisations", hall)
            merged: dict[str, set] = {}
            for source in (every, own):
                for staff, kinds in source.items():
                    merged.setdefault(staff, set()).update(kinds)
            if None in (code, name, custodian, start, end):
                continue
            hall.seals[department] = {
                "departmentId": department, "name": name, "code": code, "custodianStaffId": custodian,
                "authorisations": [{"staffId": s, "documentKinds": [k for k in DOCUMENT_KINDS if k in merged[s]]} for s in sorted(merged)],
                "validFrom": entry.get("validFrom", defaults.get("validFrom")), "validUntil": entry.get("validUntil", defaults.get("validUntil")),
            }

    def authorisations(self, entries: Any, file: str, label: str, hall: Hall) -> dict[str, set]:
        result: dict[str, set] = {}
        if not isinstance(entries, list):
            self.problem(file, label, "must be a list of {staff, kinds}")
            return result
        for index, entry in enumerate(entries):
            where = f"{label}[{index}]" + (f" {entry.get('staff')}" if isinstance(entry, dict) and entry.get("staff") else "")
            if self.mapping(entry, file, where, {"staff", "kinds"}, {"staff", "kinds"}) is None:
                continue
            staff, kinds = entry.get("staff"), entry.get("kinds")
            if staff not in hall.staff:
                self.problem(file, where, f"authorises unknown staff {staff!r} (not in staff.yaml)")
                continue
            if not isinstance(kinds, list) or not kinds or any(k not in DOCUMENT_KINDS for k in kinds) or len(set(kinds)) != len(kinds):
                self.problem(file, where, f"kinds must be a non-empty list of {', '.join(DOCUMENT_KINDS)} without repeats")
                continue
            if staff in result:
                self.problem(file, where, f"lists {staff} a second time: one entry per person with all their kinds")
                continue
            person = hall.staff[staff]
            if not person["qualified"] or not person["windowId"]:
                self.problem(file, where, f"{staff} must be qualified staff posted at a window: authorised staff apply the seal only at their own window (Art 19, 30)")
            result[staff] = set(kinds)
        return result

    # -- rules across files ---------------------------------------------------------------------

    def cross_check(self, hall: Hall) -> None:
        for ident, department in hall.departments.items():
            label = f"department {ident}"
            chief = department.get("chiefRepresentativeId")
            if department.get("active", True) and not chief:
                self.problem("departments.yaml", label, "needs a chief representative (首席代表, Art 26)")
            for role, person in (("chiefRepresentative", chief), ("substitute", (department.get("substitute") or {}).get("staffId"))):
                if person is None:
                    continue
                if person not in hall.staff:
                    self.problem("departments.yaml", label, f"{role} {person} is not in staff.yaml")
                elif hall.staff[person]["departmentId"] != ident:
                    self.problem("departments.yaml", label, f"{role} {person} works for {hall.staff[person]['departmentId']}, not {ident} (Art 27)")
            substitute = (department.get("substitute") or {}).get("staffId")
            if substitute and substitute == chief:
                self.problem("departments.yaml", label, "the substitute must be someone other than the chief representative (Art 27)")
            if ident not in hall.seals and department.get("active", True):
                self.problem("seals.yaml", label, "has no approval seal: every department (and the centre) needs one (Art 29, 30)")

        def can_seal(staff_id: str, department: str, kinds: set) -> bool:
            chief = hall.departments.get(department, {}).get("chiefRepresentativeId")
            if staff_id == chief:
                return True
            seal = hall.seals.get(department)
            if seal is None:
                return False
            granted = next((set(a["documentKinds"]) for a in seal["authorisations"] if a["staffId"] == staff_id), set())
            return kinds <= granted

        # Staff at a window must be able to seal the notices of what their window takes (Art 30, 35,
        # 37): an acceptance notice carries the lead department's seal, applied at a comprehensive
        # window or one that serves the lead. (A window that serves only a participant of a joint
        # item also takes it, but there the lead's seal can never be applied: not checked here.)
        for staff_id, person in hall.staff.items():
            window_id = person["windowId"]
            if not window_id or window_id not in hall.windows or not person["active"]:
                continue
            window = hall.windows[window_id]
            for code, item in hall.items.items():
                lead = item["leadDepartmentId"]
                if not hall.window_takes(window_id, item) or (window["kind"] != "comprehensive" and lead not in window["departmentIds"]):
                    continue
                if not can_seal(staff_id, lead, NOTICES):
                    self.problem(
                        "seals.yaml", f"staff {staff_id}",
                        f"works at window {window_id}, which takes item {code}, but may not apply the seal of {lead} to its acceptance "
                        f"and refusal notices (Art 35, 37): authorise {staff_id} for acceptance-notice and refusal-notice on it",
                    )
            if window["kind"] == "comprehensive" and not can_seal(staff_id, hall.centre, {"refusal-notice"}):
                self.problem(
                    "seals.yaml", f"staff {staff_id}",
                    f"works at comprehensive window {window_id} but may not seal refusals of items the hall does not know with the centre's seal "
                    f"({hall.centre}, Art 37): authorise {staff_id} for refusal-notice on it",
                )

        # Immediate items: who decides them on the spot, and with whose seal (Art 8, 13, 30).
        deciders: dict[str, list[str]] = {}
        for staff_id, person in hall.staff.items():
            for code in person["immediateItems"]:
                where = f"staff {staff_id}"
                item = hall.items.get(code)
                if item is None:
                    self.problem("staff.yaml", where, f"immediateItems names unknown item {code}")
                    continue
                if item["kind"] != "immediate":
                    self.problem("staff.yaml", where, f"immediateItems names {code}, a {item['kind']} item: only immediate items are decided on the spot")
                    continue
                if not person["windowId"] or person["windowId"] not in hall.windows or not hall.window_takes(person["windowId"], item):
                    self.problem("staff.yaml", where, f"decides {code} on the spot but their window {person['windowId']} does not take it")
                    continue
                if not can_seal(staff_id, item["leadDepartmentId"], DECISIONS):
                    self.problem(
                        "seals.yaml", where,
                        f"decides immediate item {code} but may not apply the seal of {item['leadDepartmentId']} to approval and denial decisions: "
                        f"authorise {staff_id} for approval-decision and denial-decision",
                    )
                if person["active"]:
                    deciders.setdefault(code, []).append(staff_id)

        # Every item can be taken somewhere, and every immediate item decided by someone.
        staffed = {p["windowId"] for p in hall.staff.values() if p["windowId"] and p["active"]}
        for code, item in hall.items.items():
            if not any(hall.window_takes(w, item) for w in staffed if w in hall.windows):
                self.problem(hall.item_files[code], f"item {code}", "no staffed window takes it (delegate it to the centre or post staff at a window of its departments)")
            if item["kind"] == "immediate" and code not in deciders:
                self.problem(hall.item_files[code], f"item {code}", "an immediate item needs at least one staff member who may decide it (immediateItems in staff.yaml)")

        administrator = hall.staff.get(hall.administrator)
        if administrator is None or administrator["departmentId"] != hall.centre:
            self.problem("hall.yaml", "hall.administrator", f"{hall.administrator!r} must be a staff member of the hall centre {hall.centre}")
        demo = hall.demo
        if demo:
            clerk = hall.staff.get(demo.get("clerk"))
            item = hall.items.get(demo.get("item"))
            if clerk is None or not clerk["windowId"]:
                self.problem("hall.yaml", "demo.clerk", f"{demo.get('clerk')!r} must be staff posted at a window")
            if item is None:
                self.problem("hall.yaml", "demo.item", f"{demo.get('item')!r} is not an item of the catalogue")
            if clerk and item and clerk["windowId"] and clerk["windowId"] in hall.windows and not hall.window_takes(clerk["windowId"], item):
                self.problem("hall.yaml", "demo.item", f"the clerk's window {clerk['windowId']} does not take {item['code']}")
            system = demo.get("departmentSystem")
            if system is not None:
                if not isinstance(system, dict) or not isinstance(system.get("subject"), str) or system.get("department") not in hall.departments:
                    self.problem("hall.yaml", "demo.departmentSystem", "needs subject (text) and department (in departments.yaml)")


# How long each kind of time not counted usually takes, told to the applicant (ALL Art 45).
EXPECTED_DURATIONS = {
    "hearing": "自申请人提出听证申请之日起20日内组织听证",
    "tender": "依招标投标程序，一般不超过20个工作日",
    "auction": "依拍卖程序，一般不超过20个工作日",
    "inspection": "现场核查一般不超过5个工作日",
    "testing": "以检验检测机构出具报告为准，一般不超过10个工作日",
    "quarantine": "以检疫机构出具结果为准，一般不超过7个工作日",
    "appraisal": "以鉴定机构出具意见为准，一般不超过15个工作日",
    "expert-review": "专家评审一般不超过10个工作日",
}


def guide_of(item: dict, legal_basis: str, conditions: list[str]) -> dict:
    """The guide in full (Art 10, 14, 33, 34) from the catalogue entry: the laws and articles of its
    legal basis, its conditions, the procedure of its kind, how and where to pay, and how long each
    step not counted usually takes."""
    laws = [{"law": law, "articles": articles.strip("，,、；; ") or "全文"} for law, articles in re.findall(r"(《[^》]+》)([^《]*)", legal_basis)]
    steps = {
        "immediate": ["申请", "综合窗口受理", "当场审查并作出决定", "当场送达"],
        "committed": ["申请", "综合窗口受理", "部门审查", "作出决定", "综合窗口送达"],
        "joint": ["申请", "综合窗口受理", "并联审批（牵头部门组织会签）", "作出决定", "综合窗口统一送达"],
    }[item["kind"]]
    if "inspection" in item["notCounted"]:
        steps.insert(-2, "现场核查")
    guide: dict[str, Any] = {
        "legalBasis": laws or [{"law": legal_basis, "articles": "全文"}], "conditions": conditions, "procedure": steps,
        "notCountedDurations": [{"category": c, "expected": EXPECTED_DURATIONS[c]} for c in item["notCounted"]],
    }
    if item["fee"]:
        guide["payment"] = {"how": "现金、银行卡或扫码支付", "where": "政务大厅一楼银行收费窗口（凭缴款通知书缴纳，取得缴款凭证）"}
    return guide


def application_form(item: dict, legal_basis: str, limit_basis: str) -> str:
    """The application form template (申请书格式文本, Art 33) of an item, carrying its legal basis,
    limits and materials (Art 10, 14): the catalogue API has no separate field for them."""
    forms = {"original": "原件", "copy": "复印件", "original-and-copy": "原件及复印件"}
    lines = [
        f"{item['name']}申请表",
        f"事项编码：{item['code']}",
        "",
        "申请人（单位）名称：__________________  证件号码（统一社会信用代码）：__________________",
        "联系电话：__________________  通讯地址：__________________",
        "申请事项及理由：",
        "__________________________________________________________________",
        "",
        "提交材料：",
    ]
    for index, material in enumerate(item["materials"], 1):
        note = f"（{material['condition']}）" if material.get("condition") else ""
        gap = "（可容缺后补）" if material["toleratedGap"] else ""
        lines.append(f"  {index}. {material['name']}{note}：{forms[material['form']]} {material['copies']} 份{gap}")
    fee = item["fee"]
    lines += [
        "",
        f"设定依据：{legal_basis}",
        f"法定办结时限：{item['legalLimitDays']} 个工作日（{limit_basis}）；承诺办结时限：{item['promisedLimitDays']} 个工作日",
        f"收费：{decimal.Decimal(fee['amountCents']) / 100:.2f} 元（{fee['basis']}）" if fee else "收费：不收费",
        "",
        "申请人承诺所提交材料真实有效。",
        "申请人（签字或盖章）：__________________      日期：______年____月____日",
    ]
    return "\n".join(lines) + "\n"


def validate(directory: Path) -> Hall:
    """The hall of `directory`, or `Invalid` with every problem."""
    return Reader(directory).hall()


# ---------------------------------------------------------------------------------------------
# Tokens
# ---------------------------------------------------------------------------------------------


def resident_id(prefix17: str) -> str:
    """A resident identity number with its GB 11643 check digit."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(c) * w for c, w in zip(prefix17, weights))
    return prefix17 + "10X98765432"[total % 11]


# ---------------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------------


class Api:
    def __init__(self, base: str, token: str | None = None, timeout: float = 15):
        self.base = base.rstrip("/")
        self.token = token
        self.timeout = timeout

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, _json(response.read())
        except urllib.error.HTTPError as error:
            return error.code, _json(error.read())
        except (urllib.error.URLError, OSError) as error:
            raise LoadError(f"{method} {self.base}{path}: no answer ({getattr(error, 'reason', error)})") from None


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode(errors="replace")


def _problem(answer: Any) -> str:
    if isinstance(answer, dict):
        field_name = f" [field {answer['field']}]" if answer.get("field") else ""
        return f"{answer.get('status', '')} {answer.get('detail') or answer.get('title')}{field_name}".strip()
    return str(answer)


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


def fingerprint(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    sent: int = 0
    differing: int = 0

    def __str__(self) -> str:
        parts = [
            f"{n} {what}"
            for n, what in (
                (self.created, "created"), (self.updated, "updated"),
                (self.sent, "sent (no receipt of an earlier load: created, or stored again with the same values)"),
                (self.unchanged, "unchanged"),
                (self.differing, "differ from the files and were left alone (below)"),
            )
            if n
        ]
        return ", ".join(parts) or "none"


class Loader:
    def __init__(self, hall: Hall, intake: str, seal: str, secret: str, receipt: Path | None, seal_wait: float = 90, out=sys.stdout):
        self.hall = hall
        self.secret = secret
        token = mint_token(secret, hall.administrator, ["centre-admin"], department=hall.centre, ttl=3600)
        self.intake = Api(intake, token)
        self.seal = Api(seal, token)
        self.receipt_path = receipt
        self.seal_wait = seal_wait
        self.out = out
        self.sent: dict[str, str] = {}
        self.tallies: dict[str, Tally] = {}
        self.differences: list[str] = []  # what the files say and the services hold otherwise, left alone
        self.fresh = False

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    # -- receipt --------------------------------------------------------------------------------

    def read_receipt(self) -> dict[str, str]:
        """What the last load sent, if its anchor (the seals it registered) is still in the registry."""
        if not self.receipt_path or not self.receipt_path.exists():
            return {}
        try:
            receipt = json.loads(self.receipt_path.read_text(encoding="utf-8"))
            anchor = set(receipt["anchor"])
            sent = dict(receipt["sent"])
        except (ValueError, KeyError, TypeError):
            return {}
        status, seals = self.seal.call("GET", "/v1/seals")
        if status != 200 or not anchor:
            return {}
        known = {s.get("sealId") for s in seals if isinstance(s, dict)}
        return sent if anchor <= known else {}

    def write_receipt(self, anchor: list[str]) -> None:
        if not self.receipt_path:
            return
        self.receipt_path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.receipt_path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"anchor": sorted(anchor), "sent": self.sent}, indent=1, sort_keys=True), encoding="utf-8")
        temporary.replace(self.receipt_path)

    # -- directory ------------------------------------------------------------------------------

    def post(self, path: str, body: dict, what: str) -> dict:
        status, answer = self.intake.call("POST", path, body)
        if status not in (200, 201):
            raise LoadError(f"{what}: POST {path} refused: {_problem(answer)}")
        return answer

    def empty_hall(self) -> bool:
        """Whether the services hold no item and no seal yet (a first load into a new hall)."""
        items_status, items = self.intake.call("GET", "/v1/items")
        seals_status, seals = self.seal.call("GET", "/v1/seals")
        return items_status == 200 and seals_status == 200 and not (items or {}).get("items") and not seals

    def directory(self) -> None:
        previous = self.read_receipt()
        self.fresh = not previous and self.empty_hall()
        receipt_note = " (as the last load sent them; receipt checked against the seal registry)" if previous else ""
        departments, windows, staff = Tally(), Tally(), Tally()
        self.tallies.update({"departments": departments, "windows": windows, "staff": staff})

        def changed(key: str, body: dict) -> bool:
            return previous.get(key) != fingerprint(body)

        # Departments first: a department whose chief representative or substitute is not yet a
        # staff member is completed after the staff; on a first load (not in the receipt) it is
        # created without its people first, so that its staff and windows can refer to it. A
        # department the last load created is never sent without its people.
        pending: list[str] = []
        for ident, body in self.hall.departments.items():
            key = f"department:{ident}"
            if not changed(key, body):
                departments.unchanged += 1
                self.sent[key] = previous[key]
                continue
            status, answer = self.intake.call("POST", "/v1/departments", body)
            if status == 200:
                self._tally_sent(departments, key, previous)
                self.sent[key] = fingerprint(body)
            elif status == 400 and isinstance(answer, dict) and answer.get("field") == "chiefRepresentativeId":
                if key not in previous:
                    bare = {k: v for k, v in body.items() if k not in ("chiefRepresentativeId", "substitute")}
                    self.post("/v1/departments", bare, f"department {ident}")
                pending.append(ident)
            else:
                raise LoadError(f"department {ident}: POST /v1/departments refused: {_problem(answer)}")
        for ident, body in self.hall.windows.items():
            key = f"window:{ident}"
            if not changed(key, body):
                windows.unchanged += 1
                self.sent[key] = previous[key]
                continue
            self.post("/v1/windows", body, f"window {ident}")
            self._tally_sent(windows, key, previous)
            self.sent[key] = fingerprint(body)
        for ident, body in self.hall.staff.items():
            key = f"staff:{ident}"
            if not changed(key, body):
                staff.unchanged += 1
                self.sent[key] = previous[key]
                continue
            self.post("/v1/staff", body, f"staff {ident}")
            self._tally_sent(staff, key, previous)
            self.sent[key] = fingerprint(body)
        for ident in pending:
            key = f"department:{ident}"
            self.post("/v1/departments", self.hall.departments[ident], f"department {ident}")
            self._tally_sent(departments, key, previous)
            self.sent[key] = fingerprint(self.hall.departments[ident])
        # The demo's department system signs its Kafka commands with a key derived from the local
        # hall's secret (deploy/hallkeys.py); the centre registers its public key. An upsert: loading
        # again changes nothing.
        system = self.hall.demo.get("departmentSystem")
        if system:
            signer = derived_signer(system["subject"], self.secret)
            body = {"id": signer.identity, "departmentId": system["department"],
                    "name": f"{self.hall.departments[system['department']]['name']}审批系统", "publicKey": signer.public_key}
            key = f"system:{signer.identity}"
            if changed(key, body):
                self.post("/v1/department-systems", body, f"department system {signer.identity}")
            self.sent[key] = fingerprint(body)
        for name in ("departments", "windows", "staff"):
            tally = self.tallies[name]
            note = receipt_note if tally.unchanged else ""
            self.say(f"  {name:<12} {tally}{note}")

    def _tally_sent(self, tally: Tally, key: str, previous: dict) -> None:
        if self.fresh:
            tally.created += 1
        elif not previous:
            tally.sent += 1  # no receipt: created, or stored again with the same values (an upsert)
        elif key in previous:
            tally.updated += 1
        else:
            tally.created += 1

    # -- catalogue ------------------------------------------------------------------------------

    @staticmethod
    def comparable(item: dict) -> dict:
        fee = item.get("fee") or {}
        return {
            "name": item["name"], "kind": item["kind"], "leadDepartmentId": item["leadDepartmentId"],
            "participantDepartmentIds": list(item.get("participantDepartmentIds") or []), "legalLimitDays": item["legalLimitDays"],
            "promisedLimitDays": item["promisedLimitDays"], "fee": {k: fee[k] for k in ("amountCents", "basis") if fee.get(k) is not None},
            "materials": [{k: m[k] for k in ("id", "name", "form", "copies", "requirement", "condition", "toleratedGap") if m.get(k) is not None} for m in item["materials"]],
            "formTemplate": item.get("formTemplate") or "", "notCounted": list(item.get("notCounted") or []),
            "delegatedToCentre": item["delegatedToCentre"], "toleratedGapAllowed": item["toleratedGapAllowed"],
            "approvalReference": item["approvalReference"],
            # A catalogue loaded before guides were kept in full is not made to differ by them.
            **({"guide": item["guide"]} if "guide" in item else {}),
        }

    def catalogue(self) -> None:
        tally = Tally()
        self.tallies["items"] = tally
        stale: list[str] = []
        for code, body in self.hall.items.items():
            status, current = self.intake.call("GET", f"/v1/items/{urllib.parse.quote(code)}?on=9999-12-31")
            if status == 404:
                self.post("/v1/items", body, f"item {code} ({self.hall.item_files[code]})")
                tally.created += 1
            elif status == 200:
                if self.comparable(current) == self.comparable(body if "guide" in current else {k: v for k, v in body.items() if k != "guide"}):
                    tally.unchanged += 1
                elif body["effectiveFrom"] > current["effectiveFrom"]:
                    self.post("/v1/items", body, f"item {code} ({self.hall.item_files[code]})")
                    tally.updated += 1
                else:
                    stale.append(
                        f"{self.hall.item_files[code]}: item {code} differs from version {current['version']} in the catalogue (in force from "
                        f"{current['effectiveFrom']}); a change is a new version from a later date (Art 7): set its effectiveFrom after {current['effectiveFrom']}"
                    )
                    tally.differing += 1
            else:
                raise LoadError(f"item {code}: GET /v1/items/{code} answered {_problem(current)}")
        self.say(f"  {'items':<12} {tally}")
        self.differences += stale

    # -- seals ----------------------------------------------------------------------------------

    @staticmethod
    def _instant(text: str) -> dt.datetime:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))

    @staticmethod
    def _grants(authorisations: list) -> set:
        return {(a["staffId"], tuple(sorted(a["documentKinds"]))) for a in authorisations}

    def seals(self) -> list[str]:
        tally = Tally()
        self.tallies["seals"] = tally
        anchor: list[str] = []
        differences: list[str] = []
        for department, body in self.hall.seals.items():
            status, existing = self.seal.call("GET", f"/v1/seals?departmentId={urllib.parse.quote(department)}")
            if status != 200:
                raise LoadError(f"seal of {department}: GET /v1/seals answered {_problem(existing)}")
            active = next((s for s in existing if s.get("status") == "active"), None)
            if active is None:
                active = self.register(department, body)
                tally.created += 1
                anchor.append(active["sealId"])
                continue
            anchor.append(active["sealId"])
            fixed = []
            if active["code"] != body["code"] or active["name"] != body["name"]:
                fixed.append(f"code/name {active['code']} {active['name']}")
            if active["custodianStaffId"] != body["custodianStaffId"]:
                fixed.append(f"custodian {active['custodianStaffId']}")
            if self._instant(active["validFrom"]) != self._instant(body["validFrom"]) or self._instant(active["validUntil"]) != self._instant(body["validUntil"]):
                fixed.append(f"validity {active['validFrom']} – {active['validUntil']}")
            if fixed:
                tally.differing += 1
                differences.append(
                    f"seals.yaml: seal of {department}: the active seal {active['sealId']} has {'; '.join(fixed)}; a seal's code, name, custodian "
                    f"and validity do not change: revoke it with its successor (POST /v1/seals/{active['sealId']}/revoke)"
                )
            if self._grants(active["authorisations"]) != self._grants(body["authorisations"]):
                status, answer = self.seal.call("PUT", f"/v1/seals/{active['sealId']}/authorisations", {"authorisations": body["authorisations"]})
                if status != 200:
                    raise LoadError(f"seal of {department}: PUT authorisations refused: {_problem(answer)}")
                tally.updated += 1
            elif not fixed:
                tally.unchanged += 1
        self.say(f"  {'seals':<12} {tally}")
        self.differences += differences
        return anchor

    def register(self, department: str, body: dict) -> dict:
        """Registers a seal, waiting (bounded) until the seal service has learned the department
        and its chief representative from intake's directory events (its projection)."""
        deadline = time.monotonic() + self.seal_wait
        while True:
            status, answer = self.seal.call("POST", "/v1/seals", body)
            if status == 201:
                return answer
            waiting = status == 400 and isinstance(answer, dict) and answer.get("field") in ("departmentId", "custodianStaffId")
            if not waiting:
                raise LoadError(f"seal of {department}: POST /v1/seals refused: {_problem(answer)}")
            if time.monotonic() >= deadline:
                raise LoadError(
                    f"seal of {department}: the seal service has not learned {department} and its chief representative "
                    f"{body['custodianStaffId']} from intake's directory events after {self.seal_wait:.0f} s ({_problem(answer)}); "
                    "is the broker up? see the seal and intake logs (.hall/logs/)"
                )
            time.sleep(0.5)

    # -- all ------------------------------------------------------------------------------------

    def run(self) -> bool:
        """Loads the hall; True when something changed."""
        for api, name in ((self.intake, "intake"), (self.seal, "seal")):
            deadline = time.monotonic() + 30
            while True:
                try:
                    status, _ = api.call("GET", "/health/ready")
                except LoadError:
                    status = 0
                if status == 200:
                    break
                if time.monotonic() >= deadline:
                    raise LoadError(f"{name} at {api.base} is not ready (GET /health/ready answered {status or 'nothing'})")
                time.sleep(0.5)
        self.directory()
        self.catalogue()
        anchor = self.seals()
        self.write_receipt(anchor)
        if self.differences:
            raise Differs("\n    ".join(self.differences))
        return any(t.created or t.updated or t.sent for t in self.tallies.values())


# ---------------------------------------------------------------------------------------------
# What next
# ---------------------------------------------------------------------------------------------


def next_steps(hall: Hall, urls: dict[str, str], secret: str, out=sys.stdout) -> None:
    def say(text: str = "") -> None:
        print(text, file=out)

    say(f"== {hall.name}: what next ==")
    say("API documents:")
    for service in ("intake", "coordinator", "seal"):
        url = urls[service]
        try:
            status, _ = Api(url, timeout=5).call("GET", "/openapi.yaml")
        except LoadError:
            status = 0
        if status == 200:
            say(f"  {service:<12} {url}/openapi.yaml")
        else:
            say(f"  {service:<12} none served (GET {url}/openapi.yaml answered {status or 'nothing'}); "
                f"its routes are listed in Services/Seal/HTTP/SealRoutes.swift; public: {url}/v1/seals")
    demo = hall.demo
    clerk_id = demo.get("clerk")
    clerk = hall.staff.get(clerk_id) if clerk_id else None
    system = demo.get("departmentSystem") or {}
    bin_dir = os.environ.get("HALL_BIN_DIR")
    prefix = f"HALL_BIN_DIR={shlex.quote(bin_dir)} " if bin_dir else ""
    tokens = []
    if clerk:
        tokens.append((f"clerk {clerk['name']} at {hall.windows[clerk['windowId']]['name']}", "CLERK_TOKEN",
                       clerk_id, ["clerk"], clerk["departmentId"], clerk["windowId"]))
    administrator = hall.staff[hall.administrator]
    tokens.append((f"centre admin {administrator['name']} ({hall.departments[hall.centre]['name']})", "ADMIN_TOKEN",
                   hall.administrator, ["centre-admin"], hall.centre, None))
    if system:
        tokens.append((f"department system of {hall.departments[system['department']]['name']}", "DEPT_TOKEN",
                       system["subject"], ["department-system"], system["department"], None))
    say()
    say("Tokens (valid 8 h; `source <(deploy/hall demo-tokens)` exports them; mint again with the command shown):")
    for label, variable, subject, roles, department, window in tokens:
        token = mint_token(secret, subject, roles, department, window)
        command = f"{prefix}deploy/hall token --subject {subject}" + "".join(f" --role {r}" for r in roles)
        command += f" --department {department}" if department else ""
        command += f" --window {window}" if window else ""
        say(f"  {label}:")
        say(f"    {variable}={token}")
        say(f"    {command}")
    item = hall.items.get(demo.get("item")) if demo.get("item") else None
    if clerk and item:
        materials = [
            {"materialId": m["id"], "form": m["form"], "copies": m["copies"], "legalForm": True}
            for m in item["materials"] if m["requirement"] == "required"
        ]
        id_number = resident_id("15043019850312047")
        application = {
            "itemCode": item["code"],
            "applicant": {"kind": "person", "name": "李明", "idNumber": id_number, "contact": "13904761234"},
            "materials": materials, "channel": "window", "idempotencyKey": f"demo-{item['code']}-1",
        }
        clerk_token = mint_token(secret, clerk_id, ["clerk"], clerk["departmentId"], clerk["windowId"])
        say()
        say(f"Submit an application for {item['code']} {item['name']} at {clerk['windowId']} (the same key answers the same again):")
        say(f"  curl -s -X POST {urls['intake']}/v1/applications -H 'Authorization: Bearer {clerk_token}' "
            f"-H 'Content-Type: application/json' -d {shlex.quote(json.dumps(application, ensure_ascii=False, separators=(',', ':')))}; echo")
        say("Then follow it (receiptCode from the answer):")
        say(f"  curl -s '{urls['intake']}/v1/cases/<receiptCode>?idNumber={id_number}'; echo")
        if system:
            say(f"  curl -s {urls['coordinator']}/v1/tasks -H \"Authorization: Bearer $DEPT_TOKEN\"; echo    # the department's tasks")
    say()
    say("Pages (staff sign in at /login: on a local hall the form asks the local identity provider for a token):")
    say(f"  the public guide and tracking   {urls['intake']}/   {urls['intake']}/track")
    if clerk:
        say(f"  the front desk                  {urls['intake']}/desk   (sign in as {clerk_id}, role clerk, "
            f"department {clerk['departmentId']}, window {clerk['windowId']})")
    market = next((d for d in hall.departments.values() if d.get("chiefRepresentativeId") and d["id"] != hall.centre), None)
    if market:
        say(f"  a department's worklist         {urls['coordinator']}/worklist   (sign in as {market['chiefRepresentativeId']}, "
            f"role chief-representative, department {market['id']})")
    say(f"  seal verification               {urls['seal']}/verify")
    say()
    say(f"Catalogue: {urls['intake']}/v1/items   Seals: {urls['seal']}/v1/seals   Reload the files: deploy/hall demo-load")


def token_exports(hall: Hall, secret: str, out=sys.stdout) -> None:
    """`export` lines for the three demo tokens."""
    demo = hall.demo
    clerk = hall.staff.get(demo.get("clerk") or "")
    if clerk:
        print(f"export CLERK_TOKEN={mint_token(secret, clerk['id'], ['clerk'], clerk['departmentId'], clerk['windowId'])}", file=out)
    print(f"export ADMIN_TOKEN={mint_token(secret, hall.administrator, ['centre-admin'], hall.centre)}", file=out)
    system = demo.get("departmentSystem")
    if system:
        print(f"export DEPT_TOKEN={mint_token(secret, system['subject'], ['department-system'], system['department'])}", file=out)


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def service_urls() -> dict[str, str]:
    """The services' base URLs, from the environment deploy/hall sets."""
    return {
        "intake": os.environ.get("HALL_INTAKE_URL", "http://127.0.0.1:8081"),
        "coordinator": os.environ.get("HALL_COORDINATOR_URL", "http://127.0.0.1:8082"),
        "seal": os.environ.get("HALL_SEAL_URL", "http://127.0.0.1:8083"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Load a county hall from YAML files through the services' APIs.")
    parser.add_argument("--dir", type=Path, default=Path(os.environ.get("HALL_DEMO_DIR") or HERE), help="the hall's files (default: deploy/demo)")
    parser.add_argument("--check", action="store_true", help="validate the files only")
    parser.add_argument("--next-steps", action="store_true", help="print the next steps only")
    parser.add_argument("--tokens", action="store_true", help="print `export` lines for the demo tokens")
    parser.add_argument("--seal-wait", type=float, default=90, help="seconds to wait for the seal service to learn the directory")
    args = parser.parse_args(argv)

    try:
        hall = validate(args.dir)
    except Invalid as invalid:
        print(f"load.py: {args.dir}: {len(invalid.problems)} problem(s); nothing was loaded:", file=sys.stderr)
        for problem in invalid.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    kinds = {k: sum(1 for i in hall.items.values() if i["kind"] == k) for k in KINDS}
    summary = (f"{len(hall.departments)} departments, {len(hall.windows)} windows, {len(hall.staff)} staff, {len(hall.items)} items "
               f"({kinds['immediate']} immediate, {kinds['committed']} committed, {kinds['joint']} joint), {len(hall.seals)} seals")
    if args.check:
        print(f"load.py: {args.dir}: valid: {summary}")
        return 0

    secret = os.environ.get("HALL_JWT_SECRET")
    if not secret:
        print("load.py: HALL_JWT_SECRET is not set (source .hall/env, or run through deploy/hall demo-load)", file=sys.stderr)
        return 2
    urls = service_urls()
    if args.tokens:
        token_exports(hall, secret)
        return 0
    if not args.next_steps:
        state = os.environ.get("HALL_STATE_DIR")
        receipt = Path(state) / "demo-receipt.json" if state else None
        print(f"load.py: {args.dir}: valid: {summary}")
        print(f"load.py: loading through {urls['intake']} (intake) and {urls['seal']} (seal)")
        try:
            changed = Loader(hall, urls["intake"], urls["seal"], secret, receipt, seal_wait=args.seal_wait).run()
        except Differs as error:
            print(f"load.py: the rest is loaded, but the hall differs from the files where the loader does not overwrite:\n    {error}", file=sys.stderr)
            return 1
        except LoadError as error:
            print(f"load.py: loading stopped: {error}", file=sys.stderr)
            return 1
        if changed:
            print(f"load.py: {hall.name} loaded")
        else:
            print(f"load.py: nothing to change: {hall.name} already matches {args.dir}")
        print()
    next_steps(hall, urls, secret)
    return 0


if __name__ == "__main__":
    sys.exit(main())
