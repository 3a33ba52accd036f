#!/usr/bin/env python3
"""An example department system for the ServiceHall coordinator, written from the published
documents only (README.md, docs/*.md, Shared/Contracts/asyncapi.yaml and schemas/, the services'
OpenAPI documents).

It takes its department's tasks (`coordinator.task.assigned` on `hall.coordinator.events`), decides
each one by a simple rule, answers with an opinion and a countersignature as Ed25519-signed Kafka
commands on `hall.coordinator.department-commands` (or the opinion over the coordinator's HTTP API
and the countersignature over Kafka), reports every `coordinator.command.rejected` answering one of
its commands, and follows its cases to their sealed decision (`seal.document.sealed` on
`hall.seal.events`), verifying each imprint with the seal's public key from `seal.seal.registered`.

Every event it reads and every command it sends is checked against the JSON Schemas; a violation
is reported (a line starting `schema-violation`), never fatal. A malformed record is logged and
skipped. Output, one line per fact, for people and for scripts:

    task      case=… receipt=… item=… round=1 opinion=approve via=kafka command=<envelope id>
    rejected  command=<id> type=… task=… reason=… detail=…
    sealed    case=… receipt=… opinion=approve kind=approval-decision serial=7 imprint=… signature=verified
    completed case=… outcome=approved onTime=true
    schema-violation …  /  malformed …  /  error …

Run `department_system.py --help` for the options; README.md beside this file shows a run against
the local hall.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import json
import os
import signal
import struct
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import jsonschema
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicPartition
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

# The schemas folder of a checkout: examples/department-system/ → Shared/Contracts/schemas.
DEFAULT_SCHEMAS = Path(__file__).resolve().parents[2] / "Shared" / "Contracts" / "schemas"

COORDINATOR_EVENTS = "hall.coordinator.events"
SEAL_EVENTS = "hall.seal.events"
DEPARTMENT_COMMANDS = "hall.coordinator.department-commands"

IMPRINT_TAG = "servicehall.seal.imprint.v1"
DECISION_KINDS = ("approval-decision", "denial-decision")


def say(what: str, **fields: Any) -> None:
    """One output line: what it is, then key=value pairs (values with spaces are JSON-quoted)."""
    parts = [f"{what:<9}"]
    for key, value in fields.items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        if not text or any(c.isspace() for c in text) or '"' in text:
            text = json.dumps(text, ensure_ascii=False)
        parts.append(f"{key}={text}")
    print(" ".join(parts), flush=True)


def now_rfc3339() -> str:
    """An instant as the envelope wants it: UTC, exactly three fractional digits, `Z`."""
    now = dt.datetime.now(dt.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def encode_envelope(envelope: dict) -> bytes:
    """The envelope as the hall's own producers write it (docs/events.md): members sorted, compact, UTF-8."""
    return json.dumps(envelope, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


# MARK: contracts


class Contracts:
    """The JSON Schemas of Shared/Contracts/schemas: the envelope, the record headers and each
    event's data (`<type>.v<version>.schema.json`)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.envelope = self._validator("envelope.schema.json")
        self.headers = self._validator("event-headers.schema.json")
        self._data: dict[tuple[str, int], jsonschema.protocols.Validator | None] = {}

    def _validator(self, name: str):
        schema = json.loads((self.folder / name).read_text(encoding="utf-8"))
        return jsonschema.Draft202012Validator(schema)

    def data_validator(self, event_type: str, version: int):
        key = (event_type, version)
        if key not in self._data:
            path = self.folder / f"{event_type}.v{version}.schema.json"
            self._data[key] = self._validator(path.name) if path.exists() else None
        return self._data[key]

    @staticmethod
    def _errors(validator, instance: Any, where: str) -> list[str]:
        return [f"{where}{'/' + '/'.join(map(str, e.absolute_path)) if e.absolute_path else ''}: {e.message}"
                for e in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))]

    def check(self, envelope: Any, headers: dict[str, str] | None) -> list[str]:
        """Every way the record breaks its contract (empty when it keeps it)."""
        problems = self._errors(self.envelope, envelope, "envelope")
        if headers is not None:
            problems += self._errors(self.headers, headers, "headers")
            if isinstance(envelope, dict):
                # The headers repeat envelope members; the envelope is authoritative, but they must agree.
                for header, member in (("hall-event-id", "id"), ("hall-event-type", "type"), ("hall-producer", "producer"),
                                       ("hall-correlation-id", "correlationId"), ("hall-causation-id", "causationId")):
                    if header in headers and envelope.get(member) is not None and headers[header] != envelope.get(member):
                        problems.append(f"headers/{header}: {headers[header]!r} differs from the envelope's {member} {envelope.get(member)!r}")
                if "hall-event-version" in headers and str(envelope.get("version")) != headers["hall-event-version"]:
                    problems.append("headers/hall-event-version differs from the envelope's version")
        if isinstance(envelope, dict) and isinstance(envelope.get("type"), str) and isinstance(envelope.get("version"), int):
            validator = self.data_validator(envelope["type"], envelope["version"])
            if validator is None:
                problems.append(f"no schema for {envelope['type']} v{envelope['version']} (a type or version the contracts do not define)")
            else:
                problems += self._errors(validator, envelope.get("data"), "data")
        return problems


# MARK: keys and imprints


def load_private_key(text: str) -> Ed25519PrivateKey:
    """An Ed25519 private key: 32 raw bytes in standard base64 (the form the hall uses for keys), or PEM."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the PEM key is not an Ed25519 key")
        return key
    raw = base64.b64decode(text, validate=True)
    if len(raw) != 32:
        raise ValueError(f"an Ed25519 private key is 32 bytes, this one {len(raw)}")
    return Ed25519PrivateKey.from_private_bytes(raw)


def public_key_base64(key: Ed25519PrivateKey) -> str:
    """The public half as `POST /v1/department-systems` takes it (32 bytes, standard base64)."""
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def _text(value: str) -> bytes:
    raw = value.encode("utf-8")
    return struct.pack(">I", len(raw)) + raw


def imprint_encoding(imprint: dict) -> bytes:
    """The canonical encoding servicehall.seal.imprint.v1, as the schema of seal.document.sealed
    describes it: the tag, then imprintId, sealId, serial (u64 BE), sealedAt (ms since the epoch,
    i64 BE), documentKind, documentHash (32 raw bytes), caseId, departmentId, requestedBy, windowId,
    previousImprintHash (32 raw bytes); each text as its UTF-8 length (u32 BE) and bytes."""
    # docs: "imprintId, sealId (lower-case UUID text)" — the imprint id is taken as text too, like
    # the seal id (the schema does not say so explicitly; checked against live imprints).
    sealed_at = dt.datetime.fromisoformat(imprint["sealedAt"].replace("Z", "+00:00"))
    millis = (sealed_at - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)) // dt.timedelta(milliseconds=1)
    return b"".join([
        _text(IMPRINT_TAG), _text(imprint["imprintId"]), _text(imprint["sealId"]),
        struct.pack(">Q", imprint["serial"]), struct.pack(">q", millis),
        _text(imprint["documentKind"]), bytes.fromhex(imprint["documentHash"]),
        _text(imprint["caseId"]), _text(imprint["departmentId"]), _text(imprint["requestedBy"]), _text(imprint["windowId"]),
        bytes.fromhex(imprint["previousImprintHash"]),
    ])


def verify_imprint(imprint: dict, public_key_b64: str) -> tuple[bool, str]:
    """Whether the imprint's hash is its canonical encoding's and its signature the seal key's."""
    try:
        computed = hashlib.sha256(imprint_encoding(imprint)).hexdigest()
    except (KeyError, ValueError, TypeError, struct.error) as error:
        return False, f"cannot encode the imprint: {error}"
    if computed != imprint["imprintHash"]:
        return False, f"imprintHash {imprint['imprintHash']} is not the canonical encoding's {computed}"
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64))
        key.verify(base64.b64decode(imprint["signature"]), bytes.fromhex(imprint["imprintHash"]))
    except InvalidSignature:
        return False, "the signature does not verify with the seal's public key"
    except ValueError as error:
        return False, f"unusable key or signature: {error}"
    return True, "verified"


# MARK: the decision rule


class Rule:
    """How this department decides: approve, unless a material it insists on was not presented at
    acceptance — then deny, naming it. (Kept simple on purpose: a real system asks its officers.)"""

    def __init__(self, required_materials: list[str]):
        self.required_materials = required_materials

    def decide(self, task: dict) -> tuple[str, list[str]]:
        presented = {m.get("materialId") for m in task.get("materials", []) if isinstance(m, dict)}
        missing = [m for m in self.required_materials if m not in presented]
        if missing:
            return "deny", [f"申请材料不全：未提交 {m}" for m in missing]
        return "approve", []


# MARK: the department system


class Http:
    """JSON over HTTP with the system's bearer token."""

    def __init__(self, base: str | None, token: str | None, timeout: float = 10):
        self.base = base.rstrip("/") if base else None
        self.token = token
        self.timeout = timeout

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        if not self.base:
            raise RuntimeError("no base URL configured")
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                raw, status = answer.read(), answer.status
        except urllib.error.HTTPError as error:
            raw, status = error.read(), error.code
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode("utf-8", "replace")


class DepartmentSystem:
    """Consumes the coordinator's and the seal's events, answers its department's tasks, follows its cases."""

    def __init__(self, options: argparse.Namespace):
        self.options = options
        self.department = options.department
        self.system_id = options.system_id
        self.key = load_private_key(options.private_key)
        self.contracts = Contracts(Path(options.schemas))
        self.rule = Rule(options.deny_without)
        self.coordinator = Http(options.coordinator_url, options.token)
        self.seal = Http(options.seal_url, None)
        prefix = f"{options.namespace}." if options.namespace else ""
        self.topics = {name: prefix + name for name in (COORDINATOR_EVENTS, SEAL_EVENTS, DEPARTMENT_COMMANDS)}
        self.seen_event_ids: set[str] = set()        # at-least-once delivery: skip repeats by envelope id
        self.answered: set[tuple[str, int]] = set()  # (taskId, round) already answered
        self.sent: dict[str, dict] = {}              # our command ids → what they were about
        self.cases: dict[str, dict] = {}             # our cases: caseId → receipt code, our opinion
        self.seal_keys: dict[str, str] = {}          # sealId → public key (seal.seal.registered)
        self.waiting_imprints: list[tuple[float, dict]] = []  # imprints whose seal key has not arrived yet
        self.reported_imprints: set[str] = set()
        self.stopping = False
        self.producer = Producer({"bootstrap.servers": options.brokers, "enable.idempotence": True, "acks": "all",
                                  "client.id": self.system_id})
        self.consumer = Consumer({
            "bootstrap.servers": options.brokers,
            # Partitions are assigned directly (no group join, which takes seconds on the local
            # broker); the group id is only a name, offsets are never committed.
            "group.id": f"{self.system_id}-reader", "enable.auto.commit": False, "auto.offset.reset": "earliest",
            "session.timeout.ms": 6000,
        })

    # -- the loop --

    def assign(self) -> None:
        """Every partition of the coordinator's and the seal's events, from the beginning: the seal
        keys were published long before, and tasks not yet answered are found again after a restart."""
        partitions: list[TopicPartition] = []
        deadline = time.monotonic() + self.options.startup_timeout
        for topic in (self.topics[COORDINATOR_EVENTS], self.topics[SEAL_EVENTS]):
            while True:
                metadata = self.consumer.list_topics(topic, timeout=10).topics.get(topic)
                if metadata is not None and metadata.error is None and metadata.partitions:
                    partitions += [TopicPartition(topic, p, OFFSET_BEGINNING) for p in sorted(metadata.partitions)]
                    break
                if time.monotonic() > deadline:
                    raise SystemExit(f"department_system: topic {topic} not found on {self.options.brokers}")
                time.sleep(1)
        self.consumer.assign(partitions)
        say("started", system=self.system_id, department=self.department, partitions=len(partitions),
            publicKey=public_key_base64(self.key))

    def run(self) -> None:
        self.assign()
        while not self.stopping:
            message = self.consumer.poll(0.5)
            if message is not None:
                if message.error():
                    say("error", kafka=str(message.error()))
                else:
                    self.receive(message)
            self.producer.poll(0)
            self.verify_waiting_imprints()
        self.producer.flush(10)
        self.consumer.close()

    def receive(self, message) -> None:
        """One record: never lets a malformed one stop the system."""
        where = f"{message.topic()}[{message.partition()}]@{message.offset()}"
        try:
            value = message.value()
            envelope = json.loads(value.decode("utf-8")) if value is not None else None
        except (UnicodeDecodeError, ValueError) as error:
            say("malformed", at=where, reason=f"not a JSON envelope: {error}")
            return
        headers = {}
        for name, raw in message.headers() or []:
            try:
                headers[name] = raw.decode("utf-8") if raw is not None else ""
            except UnicodeDecodeError:
                headers[name] = "<not UTF-8>"
        problems = self.contracts.check(envelope, headers)
        for problem in problems:
            say("schema-violation", at=where, type=envelope.get("type") if isinstance(envelope, dict) else None, problem=problem)
        if not isinstance(envelope, dict) or not isinstance(envelope.get("data"), dict) or not isinstance(envelope.get("id"), str):
            say("malformed", at=where, reason="no usable envelope (id, data)")
            return
        if envelope["id"] in self.seen_event_ids:
            return  # a redelivery (docs/events.md: consumers are idempotent by the envelope id)
        self.seen_event_ids.add(envelope["id"])
        if problems:
            return  # reported above; acting on a record that breaks its contract would guess
        try:
            handler = {
                "coordinator.task.assigned": self.on_task_assigned,
                "coordinator.command.rejected": self.on_command_rejected,
                "coordinator.case.completed": self.on_case_completed,
                "seal.seal.registered": self.on_seal_registered,
                "seal.document.sealed": self.on_document_sealed,
            }.get(envelope["type"])
            if handler:
                handler(envelope)
        except Exception as error:  # noqa: BLE001 — one bad record must not stop the system
            say("error", at=where, type=envelope.get("type"), reason=f"{type(error).__name__}: {error}")

    # -- tasks --

    def on_task_assigned(self, envelope: dict) -> None:
        task = envelope["data"]
        if task["departmentId"] != self.department:
            return
        case_id = envelope.get("caseId") or task["receiptCode"]
        round_ = task.get("round", 1)  # absent means 1 (schema)
        case = self.cases.setdefault(case_id, {"receiptCode": task["receiptCode"], "opinion": None, "itemCode": task["itemCode"]})
        if (task["taskId"], round_) in self.answered:
            return
        self.answered.add((task["taskId"], round_))
        if not self.still_open(task["taskId"], round_):
            return  # answered before (e.g. before a restart): the task has moved on
        opinion, reasons = self.rule.decide(task)
        case["opinion"] = opinion
        if self.options.opinion_over == "http":
            via, command_id = "http+kafka", self.opinion_over_http(envelope, task, opinion, reasons)
        else:
            via, command_id = "kafka", self.opinion_over_kafka(envelope, task, opinion, reasons)
        if command_id:
            say("task", case=case_id, receipt=task["receiptCode"], item=task["itemCode"], round=round_, role=task["role"],
                opinion=opinion, via=via, command=command_id)

    def still_open(self, task_id: str, round_: int) -> bool:
        """Asks the coordinator whether the task still waits for an opinion (GET /v1/tasks/{taskId});
        without its URL, every task not answered in this run is taken as open."""
        if not self.coordinator.base:
            return True
        try:
            status, body = self.coordinator.call("GET", f"/v1/tasks/{task_id}")
        except OSError as error:
            say("error", task=task_id, reason=f"coordinator unreachable, answering anyway: {error}")
            return True
        if status != 200 or not isinstance(body, dict):
            say("error", task=task_id, reason=f"GET /v1/tasks/{task_id} answered {status}: {body}")
            return True
        if body.get("state") != "open" or body.get("round", round_) != round_:
            say("skipped", task=task_id, round=round_, state=body.get("state"), reason="no longer waiting for an opinion")
            return False
        return True

    def opinion_over_kafka(self, assigned: dict, task: dict, opinion: str, reasons: list[str]) -> str | None:
        """department.task.opinion-submitted, countersigned at once by the chief representative."""
        data = {"taskId": task["taskId"], "departmentId": self.department, "opinion": opinion,
                "officerId": self.options.officer, "countersignedBy": self.options.countersigner}
        if reasons:
            data["reasons"] = reasons
        return self.send("department.task.opinion-submitted", assigned, data)

    def opinion_over_http(self, assigned: dict, task: dict, opinion: str, reasons: list[str]) -> str | None:
        """The opinion over POST /v1/tasks/{taskId}/opinion with the system's token, then the
        countersignature as department.task.countersigned over Kafka (a department-system token
        may give opinions but not countersign over HTTP: docs/roles.md)."""
        body: dict[str, Any] = {"opinion": opinion}
        if reasons:
            body["reasons"] = reasons
        # The HTTP body has no officerId: the coordinator takes the token's subject (here the
        # system) as the one who gave the opinion — the documents do not say otherwise.
        status, answer = self.coordinator.call("POST", f"/v1/tasks/{task['taskId']}/opinion", body)
        if status != 201:
            problem = answer if isinstance(answer, dict) else {"detail": answer}
            reason = str(problem.get("type", "")).rsplit("/", 1)[-1] or str(status)
            say("rejected", command=f"http:POST /v1/tasks/{task['taskId']}/opinion", type="http-opinion", task=task["taskId"],
                reason=reason, detail=problem.get("detail") or problem.get("title") or str(status))
            return None
        data = {"taskId": task["taskId"], "departmentId": self.department, "staffId": self.options.countersigner}
        return self.send("department.task.countersigned", assigned, data)

    def send(self, command_type: str, cause: dict, data: dict) -> str | None:
        """One signed command on hall.coordinator.department-commands, key = the case id."""
        envelope = {"id": str(uuid.uuid4()), "type": command_type, "version": 1, "occurredAt": now_rfc3339(),
                    "producer": self.system_id, "data": data, "causationId": cause["id"]}
        # asyncapi: "caseId and key = the case id"; correlationId = the cause's correlationId.
        if cause.get("caseId"):
            envelope["caseId"] = cause["caseId"]
        if cause.get("correlationId"):
            envelope["correlationId"] = cause["correlationId"]
        value = encode_envelope(envelope)
        headers = {"hall-event-id": envelope["id"], "hall-event-type": command_type, "hall-event-version": "1",
                   "hall-producer": self.system_id, "content-type": "application/json",
                   "hall-signer": self.system_id,
                   "hall-signature": base64.b64encode(self.key.sign(value)).decode()}
        if "correlationId" in envelope:
            headers["hall-correlation-id"] = envelope["correlationId"]
        headers["hall-causation-id"] = envelope["causationId"]
        problems = self.contracts.check(envelope, headers)
        for problem in problems:
            say("schema-violation", at="outgoing", type=command_type, problem=problem)
        if problems:
            return None  # a command off its schema would only be dead-lettered
        self.sent[envelope["id"]] = {"type": command_type, "taskId": data["taskId"], "caseId": envelope.get("caseId")}
        failures: list[str] = []
        self.producer.produce(self.topics[DEPARTMENT_COMMANDS], key=(envelope.get("caseId") or data["taskId"]).encode(),
                              value=value, headers=list(headers.items()),
                              on_delivery=lambda error, _msg: failures.append(str(error)) if error else None)
        self.producer.flush(15)
        if failures:
            say("error", command=envelope["id"], reason=f"not delivered: {failures[0]}")
            return None
        return envelope["id"]

    def on_command_rejected(self, envelope: dict) -> None:
        """The coordinator refused a command: report it when it is one of ours."""
        ours = self.sent.get(envelope.get("causationId") or "")
        data = envelope["data"]
        if ours is None and data.get("commandId") not in self.sent:
            return
        say("rejected", command=data["commandId"], type=data["commandType"], task=data.get("taskId"),
            case=envelope.get("caseId"), reason=data["reason"], detail=data["detail"])

    # -- cases and seals --

    def on_case_completed(self, envelope: dict) -> None:
        case_id = envelope.get("caseId")
        if case_id not in self.cases:
            return
        data = envelope["data"]
        say("completed", case=case_id, receipt=self.cases[case_id]["receiptCode"], outcome=data.get("outcome"),
            onTime=data.get("onTime"))

    def on_seal_registered(self, envelope: dict) -> None:
        data = envelope["data"]
        self.seal_keys[data["sealId"]] = data["publicKey"]

    def on_document_sealed(self, envelope: dict) -> None:
        imprint = envelope["data"]
        case_id = imprint["caseId"]
        if case_id not in self.cases or imprint["documentKind"] not in DECISION_KINDS:
            return
        # Our case's decision: one approval decision per department, or one denial decision of the
        # lead listing every department's reasons (docs/coordinator.md, "Outcome").
        if imprint["departmentId"] != self.department and imprint["documentKind"] != "denial-decision":
            return
        self.waiting_imprints.append((time.monotonic(), imprint))
        self.verify_waiting_imprints()

    def verify_waiting_imprints(self) -> None:
        """Verifies the imprints whose seal key is known. The key arrives on hall.seal.events too,
        but keyed by seal id — another partition, so possibly after the imprint: an imprint waits
        a few seconds for it, then the key is read from the seal's public API (GET /v1/seals/{id})."""
        still: list[tuple[float, dict]] = []
        for since, imprint in self.waiting_imprints:
            key = self.seal_keys.get(imprint["sealId"])
            if key is None and time.monotonic() - since > self.options.key_wait and self.seal.base:
                key = self.seal_key_from_api(imprint["sealId"])
            if key is None:
                still.append((since, imprint))
                continue
            self.report_imprint(imprint, key)
        self.waiting_imprints = still

    def seal_key_from_api(self, seal_id: str) -> str | None:
        try:
            status, body = self.seal.call("GET", f"/v1/seals/{seal_id}")
        except OSError as error:
            say("error", seal=seal_id, reason=f"seal service unreachable: {error}")
            return None
        if status == 200 and isinstance(body, dict) and isinstance(body.get("publicKey"), str):
            self.seal_keys[seal_id] = body["publicKey"]
            return body["publicKey"]
        say("error", seal=seal_id, reason=f"GET /v1/seals/{seal_id} answered {status}")
        return None

    def report_imprint(self, imprint: dict, public_key: str) -> None:
        if imprint["imprintId"] in self.reported_imprints:
            return
        self.reported_imprints.add(imprint["imprintId"])
        ok, why = verify_imprint(imprint, public_key)
        case = self.cases[imprint["caseId"]]
        say("sealed", case=imprint["caseId"], receipt=case["receiptCode"], opinion=case["opinion"] or "-",
            kind=imprint["documentKind"], department=imprint["departmentId"], serial=imprint["serial"],
            imprint=imprint["imprintId"], signature="verified" if ok else "FAILED", **({} if ok else {"why": why}))


def options_from(argv: list[str] | None) -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(description="An example department system for the ServiceHall coordinator.")
    parser.add_argument("--department", default=env("DEPARTMENT_ID"), help="the department it acts for (DEPARTMENT_ID)")
    parser.add_argument("--system-id", default=env("DEPARTMENT_SYSTEM_ID"),
                        help="its id as registered with the centre: hall-signer and envelope producer (DEPARTMENT_SYSTEM_ID)")
    parser.add_argument("--private-key", default=env("DEPARTMENT_SYSTEM_KEY"),
                        help="its Ed25519 private key: 32 bytes in standard base64, or PEM (DEPARTMENT_SYSTEM_KEY); "
                             "--private-key-file reads it from a file")
    parser.add_argument("--private-key-file", help="a file holding the private key")
    parser.add_argument("--officer", default=env("DEPARTMENT_OFFICER_ID"), help="staff id of the officer who gives the opinions (DEPARTMENT_OFFICER_ID)")
    parser.add_argument("--countersigner", default=env("DEPARTMENT_CHIEF_ID"),
                        help="staff id of the chief representative (or filed substitute) who countersigns (DEPARTMENT_CHIEF_ID)")
    parser.add_argument("--brokers", default=env("HALL_KAFKA_BROKERS"), help="Kafka bootstrap servers (HALL_KAFKA_BROKERS)")
    parser.add_argument("--namespace", default=env("HALL_KAFKA_NAMESPACE"), help="topic namespace, if the hall uses one (HALL_KAFKA_NAMESPACE)")
    parser.add_argument("--coordinator-url", default=env("HALL_COORDINATOR_URL"), help="the coordinator's HTTP base URL (HALL_COORDINATOR_URL)")
    parser.add_argument("--seal-url", default=env("HALL_SEAL_URL"), help="the seal service's HTTP base URL (HALL_SEAL_URL)")
    parser.add_argument("--token", default=env("DEPARTMENT_SYSTEM_TOKEN"),
                        help="access token of the identity provider, role department-system, department claim (DEPARTMENT_SYSTEM_TOKEN)")
    parser.add_argument("--opinion-over", choices=("kafka", "http"), default="kafka",
                        help="kafka: opinion and countersignature in one signed command; http: the opinion over the "
                             "coordinator's API, the countersignature as a signed command (default kafka)")
    parser.add_argument("--deny-without", action="append", default=[], metavar="MATERIAL",
                        help="deny a task whose applicant did not present this material (repeatable); otherwise approve")
    parser.add_argument("--schemas", default=str(DEFAULT_SCHEMAS), help="folder of the JSON Schemas (default: the checkout's)")
    parser.add_argument("--key-wait", type=float, default=5.0, help="seconds an imprint waits for its seal.seal.registered")
    parser.add_argument("--startup-timeout", type=float, default=60.0, help="seconds to wait for the topics")
    parser.add_argument("--print-public-key", action="store_true", help="print the public key to register, and exit")
    options = parser.parse_args(argv)
    if options.private_key_file:
        options.private_key = Path(options.private_key_file).read_text(encoding="utf-8")
    needed = ["system_id", "private_key"] if options.print_public_key else \
        ["department", "system_id", "private_key", "officer", "countersigner", "brokers"]
    missing = [name for name in needed if not getattr(options, name)]
    if options.opinion_over == "http" and not (options.coordinator_url and options.token):
        missing.append("coordinator_url and token (for --opinion-over http)")
    if missing:
        parser.error("missing: " + ", ".join("--" + m.replace("_", "-") for m in missing))
    return options


def main(argv: list[str] | None = None) -> int:
    options = options_from(argv)
    if options.print_public_key:
        print(public_key_base64(load_private_key(options.private_key)))
        return 0
    system = DepartmentSystem(options)

    def stop(_signum, _frame):
        system.stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        system.run()
    except KafkaException as error:
        say("error", kafka=str(error))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
