#!/usr/bin/env python3
"""One busy day at the demo hall, driven through the services' public APIs and Kafka only.

    day.py [--applications N] [--seed S] [--timeout SECONDS]

Front-desk clerks submit a few hundred applications of the loaded hall's items (deploy/demo, loaded
by load.py): refusals with a referral, one-time correction notices and the applicant's return with
the corrections (and some who never come back), acceptances with tolerated gaps, immediate items
decided on the spot, joint items, one-thing-one-go bundles. The back offices decide: one department's
own system over Kafka (hall.demo.departmentSystem in hall.yaml: it reads its tasks on
hall.coordinator.events and answers on hall.coordinator.department-commands, countersigned in the
same command), every other department over HTTP (the officer's opinion, then the chief
representative's countersignature), with a supplement asked of an applicant, a clock suspended and
resumed, a limit extended and some denials. The window then records fees and hands results over,
leaving a few uncollected.

At the end it reads every case back from tracking, as its applicant would, prints the day (cases by
desk outcome and by status, decisions, on time and late, where each open case stands) and checks
every figure against what the demo itself did: a mismatch is printed and the exit status is 1.

Python 3 standard library, PyYAML and confluent-kafka (the venv of deploy/hall install).
Environment (set by deploy/hall demo): HALL_INTAKE_URL, HALL_COORDINATOR_URL, HALL_SEAL_URL,
HALL_JWT_SECRET, HALL_KAFKA_BROKERS, HALL_DEMO_DIR (default deploy/demo).
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import datetime as dt
import json
import os
import random
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import load
from load import Api, Hall, mint_token, resident_id

try:
    from confluent_kafka import Consumer, Producer, TopicPartition
except ImportError:  # pragma: no cover - the venv of deploy/hall install has it
    sys.exit("day.py needs confluent-kafka: run it with .hall/venv/bin/python (deploy/hall install creates it)")

EVENTS_TOPIC = "hall.coordinator.events"
COMMANDS_TOPIC = "hall.coordinator.department-commands"


class DayError(Exception):
    """The day could not be driven (a service refused what a real user would do)."""


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def now_rfc3339() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


# ---------------------------------------------------------------------------------------------
# The plan: what each applicant comes for and what should become of it
# ---------------------------------------------------------------------------------------------


@dataclass
class Case:
    """One application of the day, what the demo does with it and what it expects to see."""

    number: int
    scenario: str  # see Planner.SCENARIOS
    item: dict
    id_number: str
    applicant: str
    clerk: str  # staff id of the clerk who takes it
    decision: str = "approve"  # every department's opinion (deny: the lead's)
    collect: bool = True  # handed over at the end of the day
    bundle: "Bundle | None" = None
    receipt: str | None = None
    case_id: str | None = None
    desk_outcome: str | None = None  # what the desk answered first
    due_at_acceptance: str | None = None
    resubmitted: bool = False
    supplement_delivered: bool = False
    fee_recorded: bool = False
    handed_over: bool = False
    tracking: dict = field(default_factory=dict)

    @property
    def departments(self) -> list[str]:
        return [self.item["leadDepartmentId"], *self.item.get("participantDepartmentIds", [])]

    @property
    def decided_by_departments(self) -> bool:
        return self.scenario not in ("refused", "correction-left", "immediate", "immediate-deny")

    @property
    def expected_status(self) -> str:
        if self.scenario == "refused":
            return "refused"
        if self.scenario == "correction-left":
            return "awaiting-correction"
        if self.bundle is not None:
            return "issued" if self.bundle.collect else "ready"
        return "issued" if self.collect else "ready"

    @property
    def expected_outcome(self) -> str | None:
        if self.scenario in ("refused", "correction-left"):
            return None
        return "denied" if self.decision == "deny" else "approved"


@dataclass
class Bundle:
    number: int
    cases: list[Case]
    clerk: str
    collect: bool = True
    bundle_id: str | None = None
    tracking: dict = field(default_factory=dict)


class Planner:
    """Spreads `n` applications over the scenarios, with the hall's own items, windows and staff."""

    def __init__(self, hall: Hall, n: int, rng: random.Random, kafka_department: str):
        self.hall = hall
        self.rng = rng
        self.kafka_department = kafka_department
        items = [i for i in hall.items.values() if i.get("active", True)]
        self.immediate = [i for i in items if i["kind"] == "immediate" and self.deciders(i)]
        self.committed = [i for i in items if i["kind"] == "committed" and i["delegatedToCentre"]]
        self.joint = [i for i in items if i["kind"] == "joint" and i["delegatedToCentre"]]
        self.gaps = [i for i in self.committed + self.joint if i.get("toleratedGapAllowed") and any(m["toleratedGap"] for m in i["materials"])]
        http_led = [i for i in self.committed if i["leadDepartmentId"] != kafka_department]
        self.suspendable = [i for i in http_led if i.get("notCounted")]
        self.http_led = http_led
        self.front_desk = [s for s in hall.staff.values() if s.get("active", True) and s.get("windowId")
                           and hall.windows[s["windowId"]]["kind"] == "comprehensive" and s["departmentId"] == hall.centre]
        if not (self.immediate and self.committed and self.joint and self.front_desk and self.suspendable):
            raise DayError("the hall's files lack what a day needs: immediate items someone may decide, committed and joint "
                           "items taken at comprehensive windows, an item with time not counted, front-desk clerks")
        self.n = n

    def deciders(self, item: dict) -> list[dict]:
        """Staff who may decide an immediate item on the spot at a window that takes it."""
        return [s for s in self.hall.staff.values()
                if s.get("active", True) and item["code"] in s.get("immediateItems", []) and s.get("windowId")
                and self.hall.window_takes(s["windowId"], item)]

    def plan(self) -> tuple[list[Case], list[Bundle]]:
        n, rng = self.n, self.rng
        if n < 40:
            raise DayError(f"--applications {n}: a day needs at least 40 applications to hold one case of every kind")
        shares = {
            "refused": 0.04, "correction": 0.08, "correction-left": 0.02, "gap": 0.05, "immediate": 0.18, "immediate-deny": 0.02,
            "joint": 0.15, "deny": 0.04,
        }
        counts = {k: max(1, round(v * n)) for k, v in shares.items()}
        counts["supplement"] = counts["suspension"] = counts["extension"] = 1
        bundle_count = max(1, round(0.05 * n))
        counts["committed"] = n - sum(counts.values()) - 2 * bundle_count
        cases: list[Case] = []

        def add(scenario: str, item: dict, clerk: str | None = None) -> Case:
            number = len(cases) + 1
            case = Case(number=number, scenario=scenario, item=item, id_number=resident_id(f"150430{1960 + number % 40}{(number % 12) + 1:02d}{(number % 28) + 1:02d}{number % 1000:03d}"),
                        applicant=rng.choice("王李张刘陈杨赵黄周吴") + rng.choice(["建华", "秀英", "志强", "丽娟", "海涛", "春梅", "国庆", "晓燕"]),
                        clerk=clerk or rng.choice(self.front_desk)["id"])
            cases.append(case)
            return case

        unknown = {"code": "WB-999", "name": "（本大厅不办理的事项）", "kind": "committed", "leadDepartmentId": self.hall.centre, "materials": []}
        for _ in range(counts["refused"]):
            add("refused", unknown)
        for scenario in ("correction", "correction-left"):
            for _ in range(counts[scenario]):
                add(scenario, rng.choice([i for i in self.committed if self.required(i)]))
        for _ in range(counts["gap"]):
            add("gap", rng.choice(self.gaps))
        for scenario in ("immediate", "immediate-deny"):
            for _ in range(counts[scenario]):
                item = rng.choice(self.immediate)
                case = add(scenario, item, clerk=rng.choice(self.deciders(item))["id"])
                case.decision = "deny" if scenario == "immediate-deny" else "approve"
        for _ in range(counts["joint"]):
            add("joint", rng.choice(self.joint))
        for _ in range(counts["deny"]):
            add("deny", rng.choice(self.committed)).decision = "deny"
        add("supplement", rng.choice([i for i in self.http_led if self.required(i)]))
        add("suspension", rng.choice(self.suspendable))
        add("extension", rng.choice([i for i in self.http_led if i["legalLimitDays"] - i["promisedLimitDays"] >= 5] or self.http_led))
        for _ in range(counts["committed"]):
            add("committed", rng.choice(self.committed))
        bundles: list[Bundle] = []
        for b in range(bundle_count):
            first, second = rng.sample(self.committed, 1)[0], rng.choice(self.joint)
            clerk = rng.choice(self.front_desk)["id"]
            members = [add("bundle", first, clerk), add("bundle", second, clerk)]
            for member in members[1:]:
                member.id_number, member.applicant = members[0].id_number, members[0].applicant
            bundle = Bundle(number=b + 1, cases=members, clerk=clerk)
            for member in members:
                member.bundle = bundle
            bundles.append(bundle)
        # A few results stay uncollected at the end of the day.
        collectable = [c for c in cases if c.scenario in ("committed", "immediate", "joint")]
        for case in rng.sample(collectable, max(1, len(collectable) // 20)):
            case.collect = False
        if len(bundles) >= 2:
            bundles[-1].collect = False
        return cases, bundles

    @staticmethod
    def required(item: dict) -> list[dict]:
        return [m for m in item["materials"] if m["requirement"] == "required"]


# ---------------------------------------------------------------------------------------------
# The day
# ---------------------------------------------------------------------------------------------


def presented(material: dict) -> dict:
    return {"materialId": material["id"], "form": material["form"], "copies": material["copies"], "legalForm": True}


class Day:
    def __init__(self, hall: Hall, urls: dict[str, str], secret: str, brokers: str, rng: random.Random, timeout: float, out=sys.stdout):
        self.hall = hall
        self.urls = urls
        self.secret = secret
        self.brokers = brokers
        self.rng = rng
        self.timeout = timeout
        self.out = out
        self.run_id = f"{dt.datetime.now():%Y%m%d%H%M%S}-{rng.randrange(16**4):04x}"
        system = hall.demo.get("departmentSystem") or {}
        if not system:
            raise DayError("hall.yaml names no demo.departmentSystem: the department that decides over Kafka")
        self.kafka_department = system["department"]
        self.kafka_producer_name = system["subject"]
        # Its commands are signed with the key the loader registered for it.
        self.kafka_signer = load.derived_signer(system["subject"], secret)
        self.lock = threading.Lock()
        self.by_case_id: dict[str, Case] = {}
        self.counters: collections.Counter[str] = collections.Counter()
        self.failures: list[str] = []
        self.kafka_commands: dict[str, str] = {}  # command id -> task id
        self.kafka_rejections: list[str] = []
        self.completions_seen: set[str] = set()
        self.stop = threading.Event()
        self._first_seen: dict[str, float] = {}

    # MARK: people and their tokens

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def staff_token(self, staff_id: str, roles: list[str]) -> str:
        staff = self.hall.staff[staff_id]
        return mint_token(self.secret, staff_id, roles, staff["departmentId"], staff.get("windowId"))

    def clerk_api(self, staff_id: str) -> Api:
        return Api(self.urls["intake"], self.staff_token(staff_id, ["clerk"]))

    def officer(self, department: str) -> str:
        chief = self.hall.departments[department].get("chiefRepresentativeId")
        staff = sorted(s["id"] for s in self.hall.staff.values() if s["departmentId"] == department and s["id"] != chief and s.get("active", True))
        return staff[0] if staff else chief

    def officer_api(self, department: str) -> Api:
        return Api(self.urls["coordinator"], mint_token(self.secret, self.officer(department), ["department-officer"], department))

    def chief_api(self, department: str) -> Api:
        chief = self.hall.departments[department]["chiefRepresentativeId"]
        return Api(self.urls["coordinator"], self.staff_token(chief, ["chief-representative"]))

    def expect(self, what: str, answer: tuple[int, Any], statuses: tuple[int, ...] = (200, 201, 204)) -> Any:
        status, body = answer
        if status not in statuses:
            raise DayError(f"{what}: answered {status}: {load._problem(body)}")
        return body

    # MARK: the front desk

    def application(self, case: Case, materials: list[dict] | None = None, **extra: Any) -> dict:
        item = case.item
        if materials is None:
            materials = [presented(m) for m in Planner.required(item)]
        body = {
            "itemCode": item["code"],
            "applicant": {"kind": "person", "name": case.applicant, "idNumber": case.id_number, "contact": f"139{case.number:08d}"},
            "materials": materials, "channel": "window", "idempotencyKey": f"day-{self.run_id}-{case.number}",
        }
        body.update(extra)
        return body

    def submit(self, case: Case) -> None:
        api = self.clerk_api(case.clerk)
        item = case.item
        if case.scenario == "refused":
            answer = self.expect(f"refusing {item['code']}", api.call("POST", "/v1/applications", self.application(case, [], competentAuthority="旗自然资源局（不动产登记中心）")))
        elif case.scenario in ("correction", "correction-left"):
            required = Planner.required(item)
            missing = required[-1]
            answer = self.expect(f"submitting {item['code']} without {missing['id']}",
                                 api.call("POST", "/v1/applications", self.application(case, [presented(m) for m in required[:-1]])))
            if answer.get("outcome") != "correction-required":
                raise DayError(f"{item['code']} without {missing['id']}: expected a one-time correction notice, got {answer.get('outcome')}")
            case.desk_outcome = "correction-required"
            self.record(case, answer)
            if case.scenario == "correction":
                back = self.expect(f"resubmitting {case.receipt}", api.call("POST", f"/v1/applications/{case.receipt}/resubmission", {"materials": [presented(missing)]}))
                if back.get("outcome") != "accepted":
                    raise DayError(f"resubmission of {case.receipt} with {missing['id']}: expected accepted, got {back.get('outcome')}: {back}")
                case.resubmitted = True
                self.record(case, back)
            return
        elif case.scenario == "gap":
            gaps = [m for m in item["materials"] if m["toleratedGap"]]
            promised = [{"materialId": m["id"], "dueBy": (dt.date.today() + dt.timedelta(days=5)).isoformat()} for m in gaps]
            in_hand = [presented(m) for m in Planner.required(item) if not m["toleratedGap"]]
            answer = self.expect(f"submitting {item['code']} with tolerated gaps", api.call("POST", "/v1/applications", self.application(case, in_hand, promised=promised)))
            if answer.get("outcome") == "accepted" and not answer.get("promisedMaterials"):
                raise DayError(f"{item['code']}: accepted with tolerated gaps but the answer lists no promised material")
        else:
            answer = self.expect(f"submitting {item['code']}", api.call("POST", "/v1/applications", self.application(case)))
        case.desk_outcome = answer.get("outcome")
        self.record(case, answer)
        if case.scenario in ("immediate", "immediate-deny"):
            body = {"decision": case.decision}
            if case.decision == "deny":
                body["reasons"] = "申请人不符合法定条件（演示）"
            self.expect(f"deciding {case.receipt} on the spot", api.call("POST", f"/v1/applications/{case.receipt}/decision", body))

    def submit_bundle(self, bundle: Bundle) -> None:
        api = self.clerk_api(bundle.clerk)
        first = bundle.cases[0]
        body = {
            "applicant": {"kind": "person", "name": first.applicant, "idNumber": first.id_number, "contact": f"139{first.number:08d}"},
            "applications": [{"itemCode": c.item["code"], "materials": [presented(m) for m in Planner.required(c.item)]} for c in bundle.cases],
            "channel": "window", "idempotencyKey": f"day-{self.run_id}-bundle-{bundle.number}",
        }
        answer = self.expect(f"submitting bundle {bundle.number}", api.call("POST", "/v1/bundles", body))
        bundle.bundle_id = answer.get("bundleId")
        if answer.get("outcome") != "accepted":
            raise DayError(f"bundle {bundle.number}: expected accepted, got {answer.get('outcome')}: {answer}")
        for member, entry in zip(bundle.cases, answer.get("applications", [])):
            member.desk_outcome = entry.get("outcome")
            self.record(member, entry.get("application") or {})

    def record(self, case: Case, answer: dict) -> None:
        case.receipt = answer.get("receiptCode") or case.receipt
        if answer.get("caseId"):
            case.case_id = answer["caseId"].lower()
            with self.lock:
                self.by_case_id[case.case_id] = case
        case.due_at_acceptance = answer.get("dueDate") or case.due_at_acceptance

    # MARK: the back offices

    def kafka_department_system(self, ready: threading.Event) -> None:
        """The Kafka department's own system: every task of its department is answered in one command
        (the officer's opinion, countersigned by the chief representative)."""
        department = self.kafka_department
        chief = self.hall.departments[department]["chiefRepresentativeId"]
        officer = self.officer(department)
        consumer = Consumer({
            "bootstrap.servers": self.brokers, "group.id": f"demo-day-{self.run_id}", "enable.auto.commit": False,
            "session.timeout.ms": 6000, "auto.offset.reset": "latest",
        })
        producer = Producer({"bootstrap.servers": self.brokers, "enable.idempotence": True, "linger.ms": 5})

        def on_assign(consumer: Any, partitions: list) -> None:
            # Start at each partition's end now: the tasks of this day come after.
            for partition in partitions:
                _, high = consumer.get_watermark_offsets(partition, timeout=10)
                partition.offset = high
            consumer.assign(partitions)
            ready.set()

        consumer.subscribe([EVENTS_TOPIC], on_assign=on_assign)
        waiting: list[tuple[dict, dict]] = []  # tasks of cases whose acceptance answer has not come back yet
        try:
            while not self.stop.is_set():
                message = consumer.poll(0.2)
                fresh: list[tuple[dict, dict]] = []
                if message is not None and not message.error():
                    try:
                        envelope = json.loads(message.value())
                    except ValueError:
                        envelope = {}
                    kind, data = envelope.get("type"), envelope.get("data") or {}
                    if kind == "coordinator.task.assigned" and data.get("departmentId") == department:
                        fresh.append((envelope, data))
                    elif kind == "coordinator.command.rejected" and envelope.get("causationId") in self.kafka_commands:
                        with self.lock:
                            self.kafka_rejections.append(f"{data.get('commandType')} on task {data.get('taskId')}: {data.get('reason')} {data.get('detail')}")
                    elif kind == "coordinator.case.completed":
                        with self.lock:
                            self.completions_seen.add((envelope.get("caseId") or "").lower())
                pending, waiting = waiting + fresh, []
                for envelope, data in pending:
                    case_id = (envelope.get("caseId") or "").lower()
                    with self.lock:
                        case = self.by_case_id.get(case_id)
                    if case is None:
                        waiting.append((envelope, data))  # not ours yet (or not this day's: dropped at the end)
                        continue
                    opinion = "deny" if case.decision == "deny" and data.get("role") == "lead" else "approve"
                    command_id = str(uuid.uuid4())
                    payload: dict[str, Any] = {"taskId": data["taskId"], "departmentId": department, "opinion": opinion, "officerId": officer, "countersignedBy": chief}
                    if opinion == "deny":
                        payload["reasons"] = ["申请材料所述经营场所不符合许可条件（演示）"]
                    command = {
                        "id": command_id, "type": "department.task.opinion-submitted", "version": 1, "occurredAt": now_rfc3339(),
                        "producer": self.kafka_producer_name, "caseId": envelope["caseId"], "correlationId": envelope.get("correlationId"),
                        "causationId": envelope["id"], "data": payload,
                    }
                    command = {k: v for k, v in command.items() if v is not None}
                    headers = [("hall-event-id", command_id), ("hall-event-type", command["type"]), ("hall-event-version", "1"),
                               ("hall-producer", command["producer"]), ("content-type", "application/json")]
                    if command.get("correlationId"):
                        headers.append(("hall-correlation-id", command["correlationId"]))
                    headers.append(("hall-causation-id", command["causationId"]))
                    value = json.dumps(command, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
                    headers += self.kafka_signer.headers(value)
                    producer.produce(COMMANDS_TOPIC, key=envelope["caseId"], value=value, headers=headers)
                    with self.lock:
                        self.kafka_commands[command_id] = data["taskId"]
                        self.counters[f"kafka-{opinion}"] += 1
                producer.poll(0)
                # Tasks of cases unknown after a minute are another day's.
                waiting = [(e, d) for e, d in waiting if time.time() - self._seen_at(e) < 60]
        finally:
            producer.flush(10)
            consumer.close()

    def _seen_at(self, envelope: dict) -> float:
        return self._first_seen.setdefault(envelope.get("id", ""), time.time())

    def http_departments(self) -> None:
        """Every other department's officers and chief representatives, over HTTP, until the day ends."""
        departments = sorted({d for c in self.by_case_id.values() for d in c.departments if d != self.kafka_department})
        apis = {d: (self.officer_api(d), self.chief_api(d)) for d in departments}
        asked: set[str] = set()
        done: set[str] = set()
        while not self.stop.is_set():
            acted = False
            for department, (officer, chief) in apis.items():
                status, tasks = officer.call("GET", "/v1/tasks?state=open")
                if status != 200 or not isinstance(tasks, list):
                    continue
                for task in tasks:
                    case_id = str(task.get("caseId", "")).lower()
                    with self.lock:
                        case = self.by_case_id.get(case_id)
                    task_id = task.get("taskId")
                    if case is None or task_id in done:
                        continue
                    acted = True
                    self.decide_over_http(case, task, department, officer, chief, asked, done)
            if not acted:
                self.stop.wait(0.3)

    def decide_over_http(self, case: Case, task: dict, department: str, officer: Api, chief: Api, asked: set[str], done: set[str]) -> None:
        task_id = task["taskId"]
        lead = task.get("role") == "lead"
        if case.scenario == "supplement" and lead and task_id not in asked:
            material = Planner.required(case.item)[0]
            body = {"opinion": "needs-supplement", "supplements": [{"material": material["id"], "needed": f"{material['name']}原件1份，须本人签字（演示）"}]}
            self.expect(f"asking a supplement on {case.receipt}", officer.call("POST", f"/v1/tasks/{task_id}/opinion", body))
            self.expect(f"countersigning the supplement request on {case.receipt}", chief.call("POST", f"/v1/tasks/{task_id}/countersign"))
            asked.add(task_id)
            with self.lock:
                self.counters["http-needs-supplement"] += 1
            return
        if case.scenario == "suspension" and lead:
            category = case.item["notCounted"][0]
            self.expect(f"suspending {case.receipt}", officer.call("POST", f"/v1/cases/{case.case_id}/suspensions",
                                                                    {"category": category, "reason": f"{category}（演示）", "noticeReference": f"演示通知〔{case.number}〕号"}))
            self.expect(f"resuming {case.receipt}", officer.call("POST", f"/v1/cases/{case.case_id}/resume", {"reason": "检验结果已出（演示）"}))
            with self.lock:
                self.counters["suspended-and-resumed"] += 1
        if case.scenario == "extension" and lead:
            # ALL Art 42: the lead department's head approves; a joint case's extension the centre's head (the people's government's leader in charge).
            joint = bool(case.item.get("participantDepartmentIds"))
            approver = self.hall.departments[self.hall.centre if joint else department]["head"]["id"]
            self.expect(f"extending {case.receipt}", officer.call("POST", f"/v1/cases/{case.case_id}/extensions",
                                                                   {"workingDays": 5, "reason": "需现场核查（演示）", "approvedBy": approver}))
            with self.lock:
                self.counters["extended"] += 1
        opinion = "deny" if case.decision == "deny" and lead else "approve"
        body: dict[str, Any] = {"opinion": opinion}
        if opinion == "deny":
            body["reasons"] = ["申请人不符合法定条件（演示）"]
        self.expect(f"{opinion} on {case.receipt} ({department})", officer.call("POST", f"/v1/tasks/{task_id}/opinion", body))
        self.expect(f"countersigning {case.receipt} ({department})", chief.call("POST", f"/v1/tasks/{task_id}/countersign"))
        done.add(task_id)
        with self.lock:
            self.counters[f"http-{opinion}"] += 1

    # MARK: the applicants and the windows at the end of the day

    def track(self, case: Case) -> dict:
        status, body = Api(self.urls["intake"]).call("GET", f"/v1/cases/{case.receipt}?idNumber={case.id_number}")
        if status != 200:
            raise DayError(f"tracking {case.receipt}: answered {status}: {load._problem(body)}")
        case.tracking = body
        return body

    def follow(self, cases: list[Case], bundles: list[Bundle]) -> None:
        """Applicants bring supplements; windows record fees and hand results over once ready."""
        deadline = time.time() + self.timeout
        outstanding = [c for c in cases if c.bundle is None and c.expected_status in ("issued", "ready")]
        bundles_left = list(bundles)
        while outstanding or bundles_left:
            if time.time() > deadline:
                raise DayError(f"after {self.timeout:.0f} s, {len(outstanding)} case(s) and {len(bundles_left)} bundle(s) are not ready yet: "
                               + ", ".join(f"{c.receipt} ({c.scenario}: {c.tracking.get('status')})" for c in outstanding[:10]))
            still = []
            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                results = list(pool.map(self.advance, outstanding))
            still = [c for c, finished in zip(outstanding, results) if not finished]
            remaining_bundles = []
            for bundle in bundles_left:
                status, body = Api(self.urls["intake"]).call("GET", f"/v1/bundles/{bundle.bundle_id}?idNumber={bundle.cases[0].id_number}")
                bundle.tracking = body if status == 200 else {}
                if bundle.tracking.get("status") != "ready":
                    remaining_bundles.append(bundle)
                elif bundle.collect:
                    for member in bundle.cases:
                        self.settle(member, self.clerk_api(bundle.clerk), self.track(member))
                    self.expect(f"handing over bundle {bundle.bundle_id}", self.clerk_api(bundle.clerk).call("POST", f"/v1/bundles/{bundle.bundle_id}/handover"))
                    with self.lock:
                        self.counters["bundles-handed-over"] += 1
            outstanding, bundles_left = still, remaining_bundles
            if outstanding or bundles_left:
                time.sleep(0.5)

    def settle(self, case: Case, api: "Api", tracking: dict) -> None:
        """What a result waits for at the window: the fee of an approval, paid at the hall's bank
        window (its receipt recorded), and the materials promised under tolerated-gap acceptance."""
        fee = case.item.get("fee")
        if fee and case.expected_outcome == "approved" and not case.fee_recorded:
            self.expect(f"recording the fee of {case.receipt}", api.call(
                "POST", f"/v1/applications/{case.receipt}/fee", {"amountCents": fee["amountCents"], "paymentReference": f"BANK-{case.receipt}"}))
            case.fee_recorded = True
        materials = {m["id"]: m for m in case.item["materials"]}
        for promise in tracking.get("promisedMaterials", []):
            if promise.get("receivedAt"):
                continue
            brought = {k: v for k, v in presented(materials[promise["materialId"]]).items() if k != "materialId"}
            self.expect(f"receiving {promise['materialId']} promised for {case.receipt}", api.call(
                "POST", f"/v1/applications/{case.receipt}/promised-materials/{promise['materialId']}", brought))
            with self.lock:
                self.counters["promises-kept"] += 1

    def advance(self, case: Case) -> bool:
        """One look at a case by its applicant and the window; True once it needs nothing more today."""
        tracking = self.track(case)
        status = tracking.get("status")
        api = self.clerk_api(case.clerk)
        if status == "awaiting-supplement" and not case.supplement_delivered:
            materials = [s["material"] for s in tracking.get("supplements", []) if not s.get("suppliedAt")]
            self.expect(f"recording the supplement of {case.receipt}", api.call("POST", f"/v1/applications/{case.receipt}/supplements", {"materials": materials}))
            case.supplement_delivered = True
            return False
        if status != "ready":
            return False
        if not case.collect:
            return True
        self.settle(case, api, tracking)
        self.expect(f"handing over {case.receipt}", api.call("POST", f"/v1/applications/{case.receipt}/handover"))
        case.handed_over = True
        return True

    # MARK: the day

    def run(self, cases: list[Case], bundles: list[Bundle]) -> int:
        for code in sorted({c.item["code"] for c in cases if c.scenario != "refused"}):
            status, _ = Api(self.urls["intake"]).call("GET", f"/v1/items/{code}")
            if status != 200:
                raise DayError(f"item {code} of the hall's files is not in the catalogue (GET /v1/items/{code} answered {status}): "
                               "load the hall first with deploy/hall demo-load")
        started = time.time()
        ready = threading.Event()
        kafka = threading.Thread(target=self.kafka_department_system, args=(ready,), name="kafka-department", daemon=True)
        kafka.start()
        if not ready.wait(60):
            raise DayError(f"the department system could not join {EVENTS_TOPIC} at {self.brokers} within 60 s")
        singles = [c for c in cases if c.bundle is None]
        self.say(f"day.py: {len(cases)} applications ({len(singles)} single, {len(bundles)} bundles of 2) at {len({c.clerk for c in cases})} windows' clerks; "
                 f"{self.hall.departments[self.kafka_department]['name']} decides over Kafka, the other departments over HTTP")
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(self.submit, singles))
            list(pool.map(self.submit_bundle, bundles))
        self.say(f"day.py: the front desk is done in {time.time() - started:.1f} s; the back offices decide, the windows hand over")
        offices = threading.Thread(target=self.http_departments, name="http-departments", daemon=True)
        offices.start()
        try:
            self.follow(cases, bundles)
            # Every case read back once more, now that the day is over; what intake learns from the
            # seal service and the coordinator arrives on two topics, so a case still catching up is
            # read again for a few seconds before it counts as a mismatch.
            settle = time.time() + 15
            behind = cases
            while behind:
                with concurrent.futures.ThreadPoolExecutor(8) as pool:
                    list(pool.map(self.track, behind))
                behind = [c for c in behind if self.case_mismatches(c)]
                if behind and time.time() < settle:
                    time.sleep(1)
                else:
                    break
        finally:
            self.stop.set()
            offices.join(15)
            kafka.join(15)
        self.say(f"day.py: the day took {time.time() - started:.1f} s")
        return self.report(cases, bundles)

    # MARK: the figures, checked

    def report(self, cases: list[Case], bundles: list[Bundle]) -> int:
        mismatches: list[str] = []

        def check(label: str, seen: Any, expected: Any) -> str:
            if seen != expected:
                mismatches.append(f"{label}: tracking shows {seen}, the demo did {expected}")
                return f"{seen}  ✘ expected {expected}"
            return f"{seen}"

        for case in cases:
            mismatches += self.case_mismatches(case)

        # Cases by what the desk answered first, and by where they stand now.
        desk = collections.Counter(c.desk_outcome for c in cases)
        expected_desk = collections.Counter(
            "refused" if c.scenario == "refused" else "correction-required" if c.scenario.startswith("correction") else "accepted" for c in cases)
        statuses = collections.Counter(c.tracking.get("status") for c in cases)
        expected_statuses = collections.Counter(c.expected_status for c in cases)
        completions = [c.tracking.get("completion") or {} for c in cases]
        outcomes = collections.Counter(x.get("outcome") for x in completions if x.get("outcome"))
        expected_outcomes = collections.Counter(c.expected_outcome for c in cases if c.expected_outcome)
        on_time = sum(1 for x in completions if x.get("onTime") is True)
        late = sum(1 for x in completions if x.get("onTime") is False)
        completed = sum(1 for c in cases if c.expected_outcome)
        # Nothing today can be late: every limit is at least a working day, and the day took minutes.
        self.say()
        self.say(f"== {self.hall.name}: the day {dt.date.today().isoformat()} ({self.run_id}) ==")
        self.say(f"Applications: {len(cases)} ({sum(1 for c in cases if c.bundle)} in {len(bundles)} bundles)")
        self.say("At the desk (first answer):")
        for outcome in ("accepted", "correction-required", "refused"):
            self.say(f"  {outcome:<22} {check('desk ' + outcome, desk[outcome], expected_desk[outcome])}")
        self.say(f"  corrections brought back and accepted: {check('resubmitted', sum(1 for c in cases if c.resubmitted), sum(1 for c in cases if c.scenario == 'correction'))}")
        self.say(f"  accepted with tolerated gaps:          {check('tolerated gaps', sum(1 for c in cases if c.scenario == 'gap' and c.desk_outcome == 'accepted'), sum(1 for c in cases if c.scenario == 'gap'))}")
        self.say("Where each case stands now:")
        for status in sorted(set(statuses) | set(expected_statuses), key=str):
            self.say(f"  {str(status):<22} {check('status ' + str(status), statuses[status], expected_statuses[status])}")
        self.say("Decisions (sealed):")
        for outcome in ("approved", "denied"):
            self.say(f"  {outcome:<22} {check('outcome ' + outcome, outcomes[outcome], expected_outcomes[outcome])}")
        self.say(f"  on time                {check('on time', on_time, completed)}")
        self.say(f"  late                   {check('late', late, 0)}")
        with self.lock:
            counters = dict(self.counters)
            rejections = list(self.kafka_rejections)
        kafka_tasks = sum(1 for c in cases if c.decided_by_departments and self.kafka_department in c.departments)
        http_tasks = sum(sum(1 for d in c.departments if d != self.kafka_department) for c in cases if c.decided_by_departments)
        self.say("The back offices:")
        self.say(f"  over Kafka ({self.kafka_department}): {check('Kafka opinions', counters.get('kafka-approve', 0) + counters.get('kafka-deny', 0), kafka_tasks)} opinions "
                 f"({plural(counters.get('kafka-deny', 0), 'denial')}), each countersigned in the same command; refused: {check('Kafka commands refused', len(rejections), 0)}")
        self.say(f"  over HTTP (the other departments): {check('HTTP opinions', counters.get('http-approve', 0) + counters.get('http-deny', 0), http_tasks)} opinions "
                 f"({plural(counters.get('http-deny', 0), 'denial')}), each countersigned by the chief representative")
        self.say(f"  supplements asked and brought: {check('supplements', counters.get('http-needs-supplement', 0), 1)}; "
                 f"clocks suspended and resumed: {check('suspensions', counters.get('suspended-and-resumed', 0), 1)}; "
                 f"limits extended: {check('extensions', counters.get('extended', 0), 1)}")
        fees = sum(1 for c in cases if c.fee_recorded)
        self.say("The windows:")
        self.say(f"  handed over: {check('handed over', sum(1 for c in cases if c.handed_over), sum(1 for c in cases if c.bundle is None and c.expected_status == 'issued'))} cases, "
                 f"{check('bundles handed over', counters.get('bundles-handed-over', 0), sum(1 for b in bundles if b.collect))} bundles; fees recorded: {fees}")
        promised = sum(sum(1 for m in Planner.required(c.item) if m["toleratedGap"]) for c in cases
                       if c.scenario == "gap" and c.handed_over)
        self.say(f"  promised materials brought before the hand-over: {check('promises kept', counters.get('promises-kept', 0), promised)}")
        waiting = [c.receipt for c in cases if c.tracking.get("status") == "ready"]
        self.say(f"  waiting to be collected: {len(waiting)}" + (f" ({', '.join(waiting[:6])}{', …' if len(waiting) > 6 else ''})" if waiting else ""))
        open_cases = [c for c in cases if c.tracking.get("status") == "awaiting-correction"]
        if open_cases:
            self.say(f"  awaiting the applicant's corrections: {', '.join(c.receipt for c in open_cases)}")
        for rejection in rejections:
            mismatches.append(f"the coordinator refused a Kafka command: {rejection}")
        self.say()
        if mismatches:
            self.say(f"day.py: {len(mismatches)} figure(s) do not match what the demo did:")
            for mismatch in mismatches[:50]:
                self.say(f"  {mismatch}")
            return 1
        self.say(f"day.py: every figure matches what the demo did ({len(cases)} cases read back from tracking)")
        return 0

    def case_mismatches(self, case: Case) -> list[str]:
        """What the applicant's tracking of `case` shows that differs from what the demo did."""
        found: list[str] = []
        t = case.tracking
        where = f"{case.receipt} ({case.scenario}, {case.item['code']})"
        if t.get("status") != case.expected_status:
            found.append(f"{where}: status {t.get('status')}, expected {case.expected_status}")
        outcome = (t.get("completion") or {}).get("outcome")
        if outcome != case.expected_outcome:
            found.append(f"{where}: outcome {outcome}, expected {case.expected_outcome}")
        sealed = collections.Counter(d.get("kind") for d in t.get("documents", []) if d.get("sealed"))
        for kind, count in self.expected_documents(case).items():
            if sealed[kind] != count:
                found.append(f"{where}: {sealed[kind]} sealed {kind}, expected {count} (documents: {t.get('documents')})")
        if case.scenario == "extension" and not (t.get("dueDate") or "") > (case.due_at_acceptance or ""):
            found.append(f"{where}: due date {t.get('dueDate')} not moved by the extension from {case.due_at_acceptance}")
        supplements = t.get("supplements") or []
        if case.scenario == "supplement" and not (supplements and all(s.get("suppliedAt") for s in supplements)):
            found.append(f"{where}: the supplement is not shown as asked and brought: {supplements}")
        return found

    @staticmethod
    def expected_documents(case: Case) -> collections.Counter[str]:
        """The sealed documents the applicant should see: the notice, and each department's decision
        (one denial, under the lead's seal, when denied)."""
        if case.scenario == "refused":
            return collections.Counter({"refusal-notice": 1})
        if case.scenario == "correction-left":
            return collections.Counter()
        if case.scenario in ("immediate", "immediate-deny"):
            return collections.Counter({"approval-decision" if case.decision == "approve" else "denial-decision": 1})
        if case.decision == "deny":
            return collections.Counter({"acceptance-notice": 1, "denial-decision": 1})
        return collections.Counter({"acceptance-notice": 1, "approval-decision": len(case.departments)})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Drive one busy day at the loaded demo hall through its APIs and Kafka, then check the figures.")
    parser.add_argument("--dir", type=Path, default=Path(os.environ.get("HALL_DEMO_DIR") or load.HERE), help="the hall's files (default: deploy/demo)")
    parser.add_argument("--applications", type=int, default=300, help="applications in the day (default 300, at least 40)")
    parser.add_argument("--seed", type=int, default=None, help="the day's random seed (default: a new day each time)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for every case to be decided and sealed")
    args = parser.parse_args(argv)
    try:
        hall = load.validate(args.dir)
    except load.Invalid as invalid:
        print(f"day.py: {args.dir}: {len(invalid.problems)} problem(s) in the hall's files:", file=sys.stderr)
        for problem in invalid.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    secret = os.environ.get("HALL_JWT_SECRET")
    brokers = os.environ.get("HALL_KAFKA_BROKERS")
    if not secret or not brokers:
        print("day.py: HALL_JWT_SECRET and HALL_KAFKA_BROKERS must be set (run it through deploy/hall demo)", file=sys.stderr)
        return 2
    urls = load.service_urls()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    try:
        day = Day(hall, urls, secret, brokers, rng, args.timeout)
        cases, bundles = Planner(hall, args.applications, rng, day.kafka_department).plan()
        print(f"day.py: seed {seed} (repeat this day's plan with --seed {seed})")
        return day.run(cases, bundles)
    except (DayError, load.LoadError) as error:
        print(f"day.py: the day stopped: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
