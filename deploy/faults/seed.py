"""A small hall, entered through the services' own HTTP APIs (as the centre would)."""

from __future__ import annotations

import time

from common import SuiteError, http, log, mint_token
from hallkeys import Signer, derived_signer

CENTRE = "d-centre"
WINDOW = "w-01"
# Departments (besides the centre) and their chief representatives and officers.
DEPARTMENTS = {
    "d-market": ("县市场监督管理局", "mkt-chief", "mkt-officer"),
    "d-tax": ("县税务局", "tax-chief", "tax-officer"),
    "d-fire": ("县消防救援大队", "fire-chief", "fire-officer"),
}
CENTRE_CHIEF = "centre-chief"
CLERKS = ["clerk-1", "clerk-2"]
IMMEDIATE_ITEM = "IMM-001"

MATERIAL_FORM = {"id": "application-form", "name": "申请书", "form": "original", "copies": 1,
                 "requirement": "required", "toleratedGap": False}
MATERIAL_ID = {"id": "identity-card", "name": "身份证", "form": "original-and-copy", "copies": 1,
               "requirement": "required", "toleratedGap": False}
MATERIAL_PLAN = {"id": "site-plan", "name": "场所平面图", "form": "copy", "copies": 1,
                 "requirement": "required", "toleratedGap": False}

# Items: code -> (kind, lead, participants, materials)
ITEMS = {
    "MKT-001": ("committed", "d-market", [], [MATERIAL_FORM, MATERIAL_ID]),
    "TAX-001": ("committed", "d-tax", [], [MATERIAL_FORM, MATERIAL_ID]),
    "JNT-001": ("joint", "d-market", ["d-tax", "d-fire"], [MATERIAL_FORM, MATERIAL_PLAN]),
    "JNT-002": ("joint", "d-fire", ["d-tax"], [MATERIAL_FORM, MATERIAL_PLAN]),
    IMMEDIATE_ITEM: ("immediate", "d-market", [], [MATERIAL_FORM]),
}
DOCUMENT_KINDS = ["acceptance-notice", "refusal-notice", "approval-decision", "denial-decision"]


def presented(material: dict) -> dict:
    return {"materialId": material["id"], "form": material["form"], "copies": material["copies"], "legalForm": True}


class Tokens:
    """Every token the run uses, minted once with the run's secret."""

    def __init__(self, secret: str):
        # Each department's system signs its Kafka commands; the seeding registers its public key.
        self.systems: dict[str, Signer] = {d: derived_signer(f"{d}-system", secret) for d in DEPARTMENTS}
        self.admin = mint_token(secret, "admin-1", ["centre-admin"])
        self.operator = mint_token(secret, "operator-1", ["operator"])
        self.clerks = {c: mint_token(secret, c, ["clerk"], window=WINDOW) for c in CLERKS}
        self.officers = {d: mint_token(secret, officer, ["department-officer"], department=d)
                         for d, (_, _, officer) in DEPARTMENTS.items()}
        self.chiefs = {d: mint_token(secret, chief, ["chief-representative"], department=d, window=WINDOW)
                       for d, (_, chief, _) in DEPARTMENTS.items()}


def _must(answer, what: str):
    if not answer.ok:
        raise SuiteError(f"seeding: {what} answered {answer!r}")
    return answer.body


def _eventually(what: str, check, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise SuiteError(f"seeding: {what} not seen within {timeout:.0f}s")


def seed(intake: str, seal: str, tokens: Tokens, psql, schemas: dict[str, str]) -> dict[str, str]:
    """Enters the directory, the catalogue and one seal per department; returns seal ids by department."""
    admin = tokens.admin
    post = lambda path, body, what: _must(http("POST", intake + path, admin, body, timeout=15), what)  # noqa: E731
    everyone = {CENTRE: ("旗政务服务中心", CENTRE_CHIEF, None), **DEPARTMENTS}
    for department, (name, _, _) in everyone.items():
        post("/v1/departments", {"id": department, "name": name, "centre": department == CENTRE}, f"department {department}")
    post("/v1/windows", {"id": WINDOW, "name": "综合窗口1", "kind": "comprehensive",
                         "departmentIds": list(DEPARTMENTS)}, "window")
    for department, (_, chief, officer) in everyone.items():
        post("/v1/staff", {"id": chief, "name": f"首席{department}", "departmentId": department, "windowId": WINDOW,
                           "qualified": True}, f"staff {chief}")
        if officer:
            post("/v1/staff", {"id": officer, "name": f"经办{department}", "departmentId": department,
                               "qualified": True}, f"staff {officer}")
    for clerk in CLERKS:
        post("/v1/staff", {"id": clerk, "name": f"窗口{clerk}", "departmentId": CENTRE, "windowId": WINDOW,
                           "qualified": True, "immediateItems": [IMMEDIATE_ITEM]}, f"staff {clerk}")
    for department, (name, chief, _) in everyone.items():
        post("/v1/departments", {"id": department, "name": name, "centre": department == CENTRE,
                                 "chiefRepresentativeId": chief}, f"chief of {department}")
    for department, system in tokens.systems.items():
        post("/v1/department-systems", {"id": system.identity, "departmentId": department, "name": f"{department} 审批系统",
                                        "publicKey": system.public_key}, f"system of {department}")
    for code, (kind, lead, participants, materials) in ITEMS.items():
        immediate = kind == "immediate"
        body = {"code": code, "name": f"事项{code}", "kind": kind, "leadDepartmentId": lead,
                "legalLimitDays": 0 if immediate else 20, "promisedLimitDays": 0 if immediate else 10,
                "materials": materials, "delegatedToCentre": True, "toleratedGapAllowed": False,
                "effectiveFrom": "2026-01-01", "approvalReference": "县审改办〔2025〕9号"}
        if participants:
            body["participantDepartmentIds"] = participants
        post("/v1/items", body, f"item {code}")

    # The seal service learns the directory from intake's events; then each department's seal.
    seal_schema = schemas["seal"]
    expected_departments = len(everyone)
    expected_staff = len(everyone) + len(DEPARTMENTS) + len(CLERKS)
    _eventually("the seal service's directory", lambda: psql.value(
        f"SELECT (SELECT count(*) FROM {seal_schema}.departments WHERE chief_staff_id IS NOT NULL) = {expected_departments}"
        f" AND (SELECT count(*) FROM {seal_schema}.staff) = {expected_staff}"
        f" AND (SELECT count(*) FROM {seal_schema}.windows) = 1") is True)
    seals = {}
    for department, (name, chief, _) in everyone.items():
        body = {"departmentId": department, "name": f"{name}行政审批专用章", "code": f"SC-{department.upper()}",
                "custodianStaffId": chief, "validFrom": "2026-01-01T00:00:00.000Z",
                "validUntil": "2099-01-01T00:00:00.000Z",
                "authorisations": [{"staffId": clerk, "documentKinds": DOCUMENT_KINDS} for clerk in CLERKS]}
        answer = _must(http("POST", seal + "/v1/seals", admin, body, timeout=15), f"seal of {department}")
        seals[department] = answer["sealId"]

    # The coordinator must know the chiefs and the window before the first case is decided.
    coordinator_schema = schemas["coordinator"]
    _eventually("the coordinator's directory", lambda: psql.value(
        f"SELECT (SELECT count(*) FROM {coordinator_schema}.departments) = {expected_departments}"
        f" AND (SELECT count(*) FROM {coordinator_schema}.staff) = {expected_staff}") is True)
    _eventually("intake's items", lambda: all(
        http("GET", f"{intake}/v1/items/{code}", timeout=5).ok for code in ITEMS), timeout=30)
    log(f"seeded: {len(everyone)} departments (centre included), window {WINDOW}, {expected_staff} staff, "
        f"{len(ITEMS)} items, {len(seals)} seals")
    return seals
