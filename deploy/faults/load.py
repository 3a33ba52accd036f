"""Mixed load through the public APIs and Kafka: the front desk's clerks and the departments' systems.

The clerks submit applications at a steady rate (every outcome: accepted committed, joint and
immediate items, correction notices, refusals of items unknown to the hall) and decide immediate
items on the spot. A request without a 2xx answer is sent again with the same idempotency key, as a
clerk presses again, until it is answered. The department system reads `coordinator.task.assigned`
from the coordinator's events topic and decides every task at once, over HTTP (an officer's opinion
and the chief representative's countersignature, or the chief's own opinion) or over Kafka
(`hall.coordinator.department-commands`); a command whose effect is not seen is sent again.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from common import http, log, new_id, resident_id, rfc3339_ms
from seed import CLERKS, DEPARTMENTS, IMMEDIATE_ITEM, ITEMS, presented

APPLICANTS = [resident_id(body) for body in
              ("11010519491231002", "11010519800101001", "44030419900215123", "32010219751111456")]

# Share of each kind of submission (weights).
MIX = [
    ("committed", 30),   # MKT-001 / TAX-001, accepted
    ("joint", 25),       # JNT-001 / JNT-002, accepted
    ("immediate", 20),   # IMM-001, accepted then decided on the spot
    ("correction", 12),  # a required material missing: correction-required
    ("unknown", 13),     # an item unknown to the hall: refused under the centre's seal
]

TERMINAL_TYPES = ("duplicate-opinion", "task-closed", "case-decided")


def _h(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")


class Application:
    """One submission as the clerk sees it."""

    def __init__(self, number: int, kind: str, phase: str):
        self.number = number
        self.kind = kind
        self.phase = phase
        self.clerk = CLERKS[number % len(CLERKS)]
        self.key = f"f-{number:06d}"
        self.id_number = APPLICANTS[number % len(APPLICANTS)]
        if kind == "committed":
            self.item = "MKT-001" if number % 2 else "TAX-001"
        elif kind == "joint":
            self.item = "JNT-001" if number % 2 else "JNT-002"
        elif kind == "immediate":
            self.item = IMMEDIATE_ITEM
        elif kind == "correction":
            self.item = "MKT-001"
        else:
            self.item = f"UNK-{number % 97:03d}"
        self.expected = {"correction": "correction-required", "unknown": "refused"}.get(kind, "accepted")
        self.attempts = 0
        self.next_try = 0.0
        self.answer = None          # body of the first 2xx answer
        self.acked_at = None        # time.monotonic() of the first 2xx answer
        self.unexpected = None      # a 4xx answer, kept for the report
        # Immediate items: the decision on the spot.
        self.decision = "deny" if kind == "immediate" and number % 4 == 0 else "approve"
        self.decided = False
        self.decision_attempts = 0
        self.decision_next_try = 0.0

    def body(self) -> dict:
        if self.kind == "unknown":
            materials = [presented(ITEMS["MKT-001"][3][0])]
        else:
            materials = [presented(m) for m in ITEMS[self.item][3]]
            if self.kind == "correction":
                materials = materials[:1]
        body = {"itemCode": self.item, "applicant": {"kind": "person", "name": "张三", "idNumber": self.id_number,
                                                     "contact": "13800000000"},
                "materials": materials, "channel": "window", "idempotencyKey": self.key}
        if self.kind == "unknown":
            body["competentAuthority"] = "县自然资源局"
        return body

    @property
    def acked(self) -> bool:
        return self.answer is not None

    @property
    def receipt(self) -> str | None:
        return self.answer.get("receiptCode") if self.answer else None

    @property
    def case_id(self) -> str | None:
        value = self.answer.get("caseId") if self.answer else None
        return value.lower() if value else None

    @property
    def outcome(self) -> str | None:
        return self.answer.get("outcome") if self.answer else None


class FrontDesk:
    """The clerks: submissions at a steady rate, retries, decisions of immediate items."""

    def __init__(self, hall, tokens, rate: float, seed: int = 1):
        self.hall = hall
        self.tokens = tokens
        self.rate = rate
        self.random = random.Random(seed)
        self.applications: list[Application] = []
        self.lock = threading.Lock()
        self.counter = itertools.count(1)
        self.pool = ThreadPoolExecutor(max_workers=6, thread_name_prefix="clerk")
        self.in_flight: set[int] = set()
        self.submitting = threading.Event()
        self.stopping = threading.Event()
        self.phase = "seed"
        self.thread = threading.Thread(target=self._loop, name="front-desk", daemon=True)
        self.thread.start()

    # -- control --------------------------------------------------------------------------
    def start(self, phase: str) -> None:
        self.phase = phase
        self.submitting.set()

    def pause(self) -> None:
        self.submitting.clear()

    def close(self) -> None:
        self.submitting.clear()
        self.stopping.set()
        self.thread.join(timeout=5)
        self.pool.shutdown(wait=False, cancel_futures=True)

    def submit_one(self, kind: str) -> Application:
        """One application of `kind` now (used for the last write before a quiet period)."""
        application = Application(next(self.counter), kind, self.phase)
        with self.lock:
            self.applications.append(application)
        self._dispatch(application, "submit")
        return application

    def first_ack_after(self, moment: float) -> float | None:
        """The monotonic time of the first 2xx answer to a request after `moment` (None: none yet)."""
        with self.lock:
            times = [a.acked_at for a in self.applications if a.acked_at is not None and a.acked_at >= moment]
        return min(times) if times else None

    def outstanding(self) -> int:
        """Submissions not yet answered plus immediate decisions not yet recorded."""
        with self.lock:
            return sum(1 for a in self.applications if not a.acked and a.unexpected is None) + sum(
                1 for a in self.applications if self._needs_decision(a))

    # -- loop -------------------------------------------------------------------------------
    def _loop(self) -> None:
        interval = 1.0 / self.rate
        next_submission = time.monotonic()
        weights = [w for _, w in MIX]
        kinds = [k for k, _ in MIX]
        while not self.stopping.is_set():
            now = time.monotonic()
            if self.submitting.is_set() and now >= next_submission:
                kind = self.random.choices(kinds, weights)[0]
                self.submit_one(kind)
                next_submission = max(next_submission + interval, now - interval)
            elif not self.submitting.is_set():
                next_submission = now
            with self.lock:
                due = [a for a in self.applications if a.number not in self.in_flight and (
                    (not a.acked and a.unexpected is None and a.attempts and now >= a.next_try)
                    or (self._needs_decision(a) and now >= a.decision_next_try))]
            for application in due:
                self._dispatch(application, "submit" if not application.acked else "decide")
            time.sleep(0.05)

    @staticmethod
    def _needs_decision(a: Application) -> bool:
        return a.kind == "immediate" and a.acked and a.outcome == "accepted" and not a.decided

    def _dispatch(self, application: Application, what: str) -> None:
        with self.lock:
            if application.number in self.in_flight:
                return
            self.in_flight.add(application.number)
        self.pool.submit(self._run, application, what)

    def _run(self, application: Application, what: str) -> None:
        try:
            if what == "submit":
                self._submit(application)
            else:
                self._decide(application)
        except Exception as error:  # noqa: BLE001 - a clerk's thread must not die
            log(f"front desk: {application.key}: {error!r}")
        finally:
            with self.lock:
                self.in_flight.discard(application.number)

    def _intake(self) -> str:
        live = self.hall.live("intake") or self.hall.instances["intake"]
        return self.random.choice(live).url

    def _submit(self, application: Application) -> None:
        application.attempts += 1
        answer = http("POST", self._intake() + "/v1/applications", self.tokens.clerks[application.clerk],
                      application.body(), timeout=8)
        if answer.ok and isinstance(answer.body, dict):
            application.answer = answer.body
            application.acked_at = time.monotonic()
            if self._needs_decision(application):
                application.decision_next_try = time.monotonic() + 0.3
        elif answer.status is not None and 400 <= answer.status < 500 and answer.status not in (408, 429):
            application.unexpected = answer
            log(f"front desk: {application.key} ({application.kind}) answered {answer!r}")
        else:
            application.next_try = time.monotonic() + min(4.0, 0.5 * application.attempts)

    def _decide(self, application: Application) -> None:
        application.decision_attempts += 1
        body = {"decision": application.decision}
        if application.decision == "deny":
            body["reasons"] = "申请材料与事实不符"
        url = self._intake() + f"/v1/applications/{application.receipt}/decision"
        answer = http("POST", url, self.tokens.clerks[application.clerk], body, timeout=8)
        if answer.ok:
            application.decided = True
            return
        if answer.status == 409:
            # Decided by an earlier attempt whose answer was lost?
            view = http("GET", self._intake() + f"/v1/applications/{application.receipt}",
                        self.tokens.clerks[application.clerk], timeout=8)
            if view.ok and isinstance(view.body, dict) and view.body.get("status") in ("decided", "ready", "issued"):
                application.decided = True
                return
        if answer.status is not None and 400 <= answer.status < 500 and answer.status not in (408, 409, 429):
            log(f"front desk: decision of {application.key} answered {answer!r}")
        application.decision_next_try = time.monotonic() + min(4.0, 0.5 * application.decision_attempts)


class Task:
    def __init__(self, task_id: str, department: str, case_id: str, receipt: str, lead: str, event_id: str,
                 correlation: str | None):
        self.task_id = task_id
        self.department = department
        self.case_id = case_id
        self.receipt = receipt
        self.lead = lead
        self.event_id = event_id
        self.correlation = correlation
        self.channel = ("http-officer", "http-chief", "kafka-once", "kafka-twice")[_h(task_id) % 4]
        self.opinion = "deny" if department == lead and _h(case_id) % 7 == 0 else "approve"
        self.state = "new"          # new -> sent -> countersigned
        self.sent_at = 0.0
        self.sends = 0
        self.commands: dict[str, dict] = {}   # command id -> envelope (Kafka)


class DepartmentSystem:
    """Every department's system in one: decides each assigned task at once."""

    def __init__(self, hall, tokens, brokers: str, namespace: str, resend_after: float = 15.0):
        from confluent_kafka import Producer  # the venv's confluent-kafka (deploy/hall install)

        self.hall = hall
        self.tokens = tokens
        self.brokers = brokers
        self.events_topic = f"{namespace}.hall.coordinator.events"
        self.commands_topic = f"{namespace}.hall.coordinator.department-commands"
        self.resend_after = resend_after
        self.tasks: dict[str, Task] = {}
        self.lock = threading.Lock()
        self.rejections: dict[str, int] = {}
        self.completions: dict[str, str] = {}   # receipt code -> completedAt (coordinator.case.completed)
        self.events_seen = 0
        self.stopping = threading.Event()
        self.reset_requested = threading.Event()
        self.producer = Producer({
            "bootstrap.servers": brokers, "acks": "all", "enable.idempotence": False,
            "allow.auto.create.topics": False, "message.timeout.ms": 10000, "request.timeout.ms": 5000,
            "socket.timeout.ms": 5000, "reconnect.backoff.max.ms": 1000, "topic.metadata.refresh.interval.ms": 2000,
            "linger.ms": 5, "client.id": "faults-department-system", "log_level": 2,
        })
        self.pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="department")
        self.threads = [threading.Thread(target=self._read, name="department-reader", daemon=True),
                        threading.Thread(target=self._watch, name="department-watch", daemon=True),
                        threading.Thread(target=self._poll_producer, name="department-producer", daemon=True)]
        for thread in self.threads:
            thread.start()

    def close(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=8)
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.producer.flush(2)

    def reset(self) -> None:
        """The broker lost its data: read the (recreated, republished) topic again from its start."""
        self.reset_requested.set()

    def undecided(self) -> int:
        with self.lock:
            return sum(1 for t in self.tasks.values() if t.state != "countersigned")

    # -- reading the coordinator's events ---------------------------------------------------------
    def _consumer(self):
        from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING

        consumer = Consumer({
            "bootstrap.servers": self.brokers, "group.id": f"faults-department-reader-{new_id()}",
            "enable.auto.commit": False, "enable.auto.offset.store": False, "auto.offset.reset": "earliest",
            "session.timeout.ms": 6000, "socket.timeout.ms": 5000, "reconnect.backoff.max.ms": 1000,
            "topic.metadata.refresh.interval.ms": 2000, "allow.auto.create.topics": False,
            "fetch.wait.max.ms": 100, "client.id": "faults-department-reader", "log_level": 2,
        })
        while not self.stopping.is_set():
            try:
                metadata = consumer.list_topics(self.events_topic, timeout=3)
                topic = metadata.topics.get(self.events_topic)
                if topic is not None and topic.error is None and topic.partitions:
                    consumer.assign([TopicPartition(self.events_topic, p, OFFSET_BEGINNING) for p in topic.partitions])
                    return consumer
            except Exception:  # noqa: BLE001 - broker away: try again
                pass
            time.sleep(1)
        consumer.close()
        return None

    def _read(self) -> None:
        consumer = self._consumer()
        while consumer is not None and not self.stopping.is_set():
            if self.reset_requested.is_set():
                self.reset_requested.clear()
                consumer.close()
                consumer = self._consumer()
                continue
            message = consumer.poll(0.5)
            if message is None or message.error():
                continue
            try:
                envelope = json.loads(message.value())
            except ValueError:
                continue
            self.events_seen += 1
            self._on_event(envelope)
        if consumer is not None:
            consumer.close()

    def _on_event(self, envelope: dict) -> None:
        kind = envelope.get("type")
        data = envelope.get("data") or {}
        if kind == "coordinator.task.assigned":
            with self.lock:
                if data["taskId"] in self.tasks:
                    return
                task = Task(data["taskId"], data["departmentId"], envelope.get("caseId"), data["receiptCode"],
                            data["leadDepartmentId"], envelope["id"], envelope.get("correlationId"))
                self.tasks[task.task_id] = task
            self._submit(task)
        elif kind == "coordinator.task.countersigned":
            with self.lock:
                task = self.tasks.get(data["taskId"])
                if task:
                    task.state = "countersigned"
        elif kind == "coordinator.command.rejected":
            reason = data.get("reason", "?")
            with self.lock:
                self.rejections[reason] = self.rejections.get(reason, 0) + 1
                task = self.tasks.get(data.get("taskId") or "")
            # A countersignature that overtook its opinion: send it again later.
            if task and reason == "nothing-to-countersign" and task.state != "countersigned":
                task.sent_at = 0.0
        elif kind == "coordinator.case.completed":
            with self.lock:
                self.completions[data["receiptCode"]] = data["completedAt"]

    # -- deciding -----------------------------------------------------------------------------------
    def _watch(self) -> None:
        """Sends again what shows no effect after `resend_after` seconds."""
        while not self.stopping.wait(1.0):
            now = time.monotonic()
            with self.lock:
                late = [t for t in self.tasks.values() if t.state == "sent" and now - t.sent_at > self.resend_after]
                for task in late:
                    task.state = "new"
            for task in late:
                self._submit(task)

    def _submit(self, task: Task) -> None:
        if self.stopping.is_set():
            return
        try:
            self.pool.submit(self._act, task)
        except RuntimeError:   # the pool is shut down: the run is ending
            pass

    def _poll_producer(self) -> None:
        while not self.stopping.is_set():
            self.producer.poll(0.2)

    def _act(self, task: Task) -> None:
        try:
            with self.lock:
                if task.state != "new":
                    return
                task.state = "acting"
            done = self._http(task) if task.channel.startswith("http") else self._kafka(task)
            with self.lock:
                if task.state != "countersigned":
                    task.state = "sent" if done else "new"
                    task.sent_at = time.monotonic() if done else task.sent_at
                    task.sends += 1
            if not done:
                time.sleep(1.0)
                self._submit(task)
        except Exception as error:  # noqa: BLE001
            log(f"department system: task {task.task_id}: {error!r}")
            with self.lock:
                if task.state == "acting":
                    task.state = "new"

    def _coordinator(self) -> str:
        live = self.hall.live("coordinator") or self.hall.instances["coordinator"]
        return random.choice(live).url

    def _opinion_body(self, task: Task) -> dict:
        body = {"opinion": task.opinion}
        if task.opinion == "deny":
            body["reasons"] = ["不符合法定条件"]
        return body

    def _http(self, task: Task) -> bool:
        base = self._coordinator() + f"/v1/tasks/{task.task_id}"
        department = task.department
        if task.channel == "http-chief":
            answer = http("POST", base + "/opinion", self.tokens.chiefs[department], self._opinion_body(task), timeout=8)
            return answer.ok or _terminal(answer)
        answer = http("POST", base + "/opinion", self.tokens.officers[department], self._opinion_body(task), timeout=8)
        if not (answer.ok or _terminal(answer)):
            return False
        answer = http("POST", base + "/countersign", self.tokens.chiefs[department], None, timeout=8)
        return answer.ok or _terminal(answer)

    def _envelope(self, task: Task, kind: str, data: dict, slot: str) -> dict:
        """The same command (same id) every time it is sent for this task and slot."""
        if slot not in task.commands:
            envelope = {"id": new_id(), "type": kind, "version": 1, "occurredAt": rfc3339_ms(),
                        "producer": f"{task.department}-system", "caseId": task.case_id,
                        "causationId": task.event_id, "data": data}
            if task.correlation:
                envelope["correlationId"] = task.correlation
            task.commands[slot] = envelope
        return task.commands[slot]

    def _send(self, envelope: dict, key: str) -> bool:
        delivered = threading.Event()
        outcome = {}

        def report(error, _message):
            outcome["error"] = error
            delivered.set()

        headers = [("hall-event-id", envelope["id"]), ("hall-event-type", envelope["type"]),
                   ("hall-event-version", "1"), ("hall-producer", envelope["producer"]),
                   ("hall-causation-id", envelope["causationId"]), ("content-type", "application/json")]
        if "correlationId" in envelope:
            headers.append(("hall-correlation-id", envelope["correlationId"]))
        value = json.dumps(envelope, ensure_ascii=False).encode()
        headers += self.tokens.systems[envelope["producer"].removesuffix("-system")].headers(value)
        try:
            self.producer.produce(self.commands_topic, key=key.encode(), value=value, headers=headers, on_delivery=report)
        except Exception:  # noqa: BLE001 - queue full or unknown topic: try again later
            return False
        delivered.wait(15)
        return delivered.is_set() and outcome.get("error") is None

    def _kafka(self, task: Task) -> bool:
        department = task.department
        chief = DEPARTMENTS[department][1]
        officer = DEPARTMENTS[department][2]
        opinion = {"taskId": task.task_id, "departmentId": department, "opinion": task.opinion, "officerId": officer}
        if task.opinion == "deny":
            opinion["reasons"] = ["不符合法定条件"]
        if task.channel == "kafka-once":
            opinion["countersignedBy"] = chief
            return self._send(self._envelope(task, "department.task.opinion-submitted", opinion, "opinion"), task.case_id)
        if not self._send(self._envelope(task, "department.task.opinion-submitted", opinion, "opinion"), task.case_id):
            return False
        countersign = {"taskId": task.task_id, "departmentId": department, "staffId": chief}
        slot = f"countersign-{task.sends}"   # a countersignature refused as too early goes again under a new id
        return self._send(self._envelope(task, "department.task.countersigned", countersign, slot), task.case_id)


def _terminal(answer) -> bool:
    """An answer that says the step was already done (an earlier attempt's answer was lost)."""
    if answer.status != 409 or not isinstance(answer.body, dict):
        return False
    return str(answer.body.get("type", "")).endswith(TERMINAL_TYPES)
