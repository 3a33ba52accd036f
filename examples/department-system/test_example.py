"""Tests of the example department system (department_system.py).

    .hall/venv/bin/python -m unittest discover -s examples/department-system -p 'test_*.py'
    HALL_EXAMPLE_BIN_DIR=$(swift build --show-bin-path) .hall/venv/bin/python -m unittest discover -s examples/department-system -p 'test_*.py'

Without services: the imprint encoding and its check, the decision rule, and the contract check of
a command. With HALL_EXAMPLE_BIN_DIR (deploy/hall test sets it after the Swift tests): the five real
executables on fresh schemas with a broker of their own, the demo hall loaded through their APIs,
the example registered with the centre and run as its own process for 敖汉旗住房和城乡建设局
(d-housing) while a clerk submits applications of its committed item ZJ-001; every case must reach
its sealed approval decision with a verified imprint, and a command signed with a key the centre
never registered must be refused `unauthenticated`.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import os
import queue
import random
import re
import subprocess
import sys
import threading
import time
import unittest
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import department_system as example

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DEPLOY = REPO / "deploy"


def key_text(key: Ed25519PrivateKey) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
    return base64.b64encode(key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())).decode()


class OfflineTests(unittest.TestCase):
    """What needs no hall: the imprint check, the rule, the contract check of a command."""

    def signed_imprint(self) -> tuple[dict, str]:
        seal_key = Ed25519PrivateKey.generate()
        imprint = {
            "imprintId": "6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "sealId": "7b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e",
            "departmentId": "d-housing", "serial": 3, "sealedAt": "2026-12-07T02:30:00.123Z",
            "documentKind": "approval-decision", "documentHash": "ab" * 32, "caseId": "c-1", "requestedBy": "zj-zhou-haibo",
            "windowId": "w-zj", "previousImprintHash": "cd" * 32, "algorithm": "Ed25519", "canonicalization": "servicehall.seal.imprint.v1",
        }
        digest = hashlib.sha256(example.imprint_encoding(imprint)).digest()
        imprint["imprintHash"] = digest.hex()
        imprint["signature"] = base64.b64encode(seal_key.sign(digest)).decode()
        return imprint, example.public_key_base64(seal_key)

    def test_an_imprint_signed_by_the_seal_verifies_and_a_changed_one_does_not(self):
        imprint, public = self.signed_imprint()
        self.assertEqual(example.verify_imprint(imprint, public), (True, "verified"))
        changed = dict(imprint, windowId="w-other")
        ok, why = example.verify_imprint(changed, public)
        self.assertFalse(ok)
        self.assertIn("not the canonical encoding", why)
        ok, why = example.verify_imprint(imprint, example.public_key_base64(Ed25519PrivateKey.generate()))
        self.assertFalse(ok)
        self.assertIn("does not verify", why)

    def test_the_encoding_starts_with_the_length_prefixed_tag_and_puts_the_serial_in_eight_bytes(self):
        imprint, _ = self.signed_imprint()
        encoded = example.imprint_encoding(imprint)
        self.assertTrue(encoded.startswith(b"\x00\x00\x00\x1bservicehall.seal.imprint.v1"))
        self.assertIn(b"\x00" * 7 + b"\x03", encoded)

    def test_the_rule_approves_unless_a_required_material_is_missing(self):
        rule = example.Rule(["safety-measures"])
        task = {"materials": [{"materialId": "application-form"}]}
        self.assertEqual(rule.decide(task)[0], "deny")
        task["materials"].append({"materialId": "safety-measures"})
        self.assertEqual(rule.decide(task), ("approve", []))
        self.assertEqual(example.Rule([]).decide({"materials": []}), ("approve", []))

    def test_the_contract_check_catches_a_bad_command_and_passes_the_fixtures(self):
        contracts = example.Contracts(example.DEFAULT_SCHEMAS)
        fixtures = REPO / "Tests" / "ContractsTests" / "Fixtures"
        for name in ("department.task.opinion-submitted.v1.json", "coordinator.task.assigned.v1.json", "seal.document.sealed.v1.json"):
            self.assertEqual(contracts.check(json.loads((fixtures / name).read_text()), None), [], name)
        bad = json.loads((fixtures / "department.task.opinion-submitted.v1.json").read_text())
        bad["data"]["opinion"] = "maybe"
        self.assertTrue(any("data/opinion" in p for p in contracts.check(bad, None)))
        sealed = json.loads((fixtures / "seal.document.sealed.v1.json").read_text())
        self.assertTrue(any(p.startswith("headers") for p in contracts.check(sealed, {})), "a record without its headers")


class Example:
    """The example running as its own process; its lines collected as they come."""

    def __init__(self, args: list[str], env: dict[str, str]):
        self.lines: list[str] = []
        self.changed = threading.Condition()
        self.process = subprocess.Popen([sys.executable, str(HERE / "department_system.py"), *args], env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            with self.changed:
                self.lines.append(line.rstrip("\n"))
                self.changed.notify_all()

    def wait_for(self, predicate, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        with self.changed:
            while not predicate(self.lines):
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    raise AssertionError(f"the example: no {what} within {timeout:.0f} s; its output:\n" + "\n".join(self.lines))
                self.changed.wait(min(left, 1))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.reader.join(5)  # the last lines are read before the pipe is closed
        self.process.stdout.close()

    def text(self) -> str:
        return "\n".join(self.lines)


def fields(line: str) -> dict[str, str]:
    return {k: (json.loads(v) if v.startswith('"') else v) for k, v in re.findall(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)', line)}


@unittest.skipUnless(os.environ.get("HALL_EXAMPLE_BIN_DIR"), "HALL_EXAMPLE_BIN_DIR names the executables to run the example against")
class AgainstTheHallTests(unittest.TestCase):
    """The example against the five real executables and the demo hall."""

    DEPARTMENT, ITEM, SYSTEM = "d-housing", "ZJ-001", "zj-approval-example"

    def test_the_example_decides_its_tasks_and_every_case_ends_sealed_and_verified(self):
        # deploy/faults holds a load.py of its own (the fault matrix's load): the demo's loader first.
        sys.path[:0] = [str(DEPLOY / "demo"), str(DEPLOY / "faults"), str(DEPLOY)]
        sys.modules.pop("load", None)
        import load
        from hallkeys import mint_token
        from stack import FreshHall

        fresh = FreshHall(os.environ["HALL_EXAMPLE_BIN_DIR"], "example", 23100)
        running: list[Example] = []
        passed = False
        try:
            fresh.start()
            files = load.validate(DEPLOY / "demo")
            loaded = io.StringIO()
            with contextlib.redirect_stdout(loaded):
                load.Loader(files, fresh.hall.url("intake"), fresh.hall.url("seal"), fresh.secret, None, seal_wait=90, out=loaded).run()
            intake = load.Api(fresh.hall.url("intake"), mint_token(fresh.secret, files.administrator, ["centre-admin"], files.centre))

            # The centre registers the system with its public key (intake's POST /v1/department-systems).
            key = Ed25519PrivateKey.generate()
            status, body = intake.call("POST", "/v1/department-systems", {
                "id": self.SYSTEM, "departmentId": self.DEPARTMENT, "name": "敖汉旗住房和城乡建设局审批系统（示例）",
                "publicKey": example.public_key_base64(key)})
            self.assertEqual(status, 200, body)
            time.sleep(3)  # the directory event reaches the coordinator before the first command

            department = files.departments[self.DEPARTMENT]
            chief = department["chiefRepresentativeId"]
            officer = sorted(s["id"] for s in files.staff.values() if s["departmentId"] == self.DEPARTMENT and s["id"] != chief)[0]
            item = files.items[self.ITEM]
            clerk = next(s for s in files.staff.values() if s.get("active", True) and s.get("windowId") and files.window_takes(s["windowId"], item))
            clerk_api = load.Api(fresh.hall.url("intake"), mint_token(fresh.secret, clerk["id"], ["clerk"], clerk["departmentId"], clerk["windowId"]))
            token = mint_token(fresh.secret, self.SYSTEM, ["department-system"], self.DEPARTMENT)
            env = dict(os.environ, PYTHONUNBUFFERED="1")

            def start(private_key: Ed25519PrivateKey) -> Example:
                process = Example(["--department", self.DEPARTMENT, "--system-id", self.SYSTEM, "--private-key", key_text(private_key),
                                   "--officer", officer, "--countersigner", chief, "--brokers", fresh.broker.address,
                                   "--coordinator-url", fresh.hall.url("coordinator"), "--seal-url", fresh.hall.url("seal"),
                                   "--token", token], env)
                running.append(process)
                process.wait_for(lambda lines: any(l.startswith("started") for l in lines), 60, "start")
                return process

            rng = random.Random(5)
            cases: list[dict] = []

            def submit(n: int) -> dict:
                id_number = load.resident_id(f"15043019{rng.randrange(70, 99)}0{rng.randrange(1, 9)}1{rng.randrange(0, 2)}{rng.randrange(100, 999)}")
                materials = [{"materialId": m["id"], "form": m["form"], "copies": m["copies"], "legalForm": True}
                             for m in item["materials"] if m["requirement"] == "required"]
                status, answer = clerk_api.call("POST", "/v1/applications", {
                    "itemCode": self.ITEM, "materials": materials, "channel": "window", "idempotencyKey": f"example-{time.time_ns()}-{n}",
                    "applicant": {"kind": "person", "name": f"示例申请人{n}", "idNumber": id_number, "contact": f"1390000{n:04d}"}})
                self.assertEqual((status, answer.get("outcome")), (201, "accepted"), answer)
                case = {"receipt": answer["receiptCode"], "caseId": answer["caseId"], "idNumber": id_number}
                cases.append(case)
                return case

            # A system holding a key the centre never registered: its opinion is refused, unauthenticated.
            impostor = start(Ed25519PrivateKey.generate())
            first = submit(1)
            impostor.wait_for(lambda lines: any(l.startswith("rejected") and "reason=unauthenticated" in l for l in lines), 90,
                              "refusal of the unregistered key's command")
            impostor.stop()

            # The registered system: it finds the first task still open and answers it, then the next ones.
            system = start(key)
            for n in (2, 3):
                submit(n)
            receipts = {c["caseId"]: c["receipt"] for c in cases}

            def sealed(lines: list[str]) -> dict[str, dict]:
                """The example's verified-imprint lines, by case id."""
                return {fields(l)["case"]: fields(l) for l in lines if l.startswith("sealed")}

            system.wait_for(lambda lines: set(receipts) <= set(sealed(lines)), 240, "verified imprint of every case")
            output = system.text()
            for case_id, line in sealed(system.lines).items():
                self.assertEqual((line["opinion"], line["kind"], line["department"], line["signature"]),
                                 ("approve", "approval-decision", self.DEPARTMENT, "verified"), output)
            tasks = [fields(l) for l in system.lines if l.startswith("task")]
            self.assertEqual(sorted(t["case"] for t in tasks), sorted(receipts), output)
            for bad in ("rejected", "schema-violation", "malformed", "error"):
                self.assertFalse([l for l in system.lines if l.startswith(bad)], f"the example reported {bad}:\n{output}")
            self.assertIn(first["caseId"], [t["case"] for t in tasks])

            # What the applicant sees: intake's tracking shows the sealed approval with the same imprint.
            public = load.Api(fresh.hall.url("intake"))
            for case in cases:
                deadline = time.monotonic() + 60
                while True:
                    status, tracking = public.call("GET", f"/v1/cases/{case['receipt']}?idNumber={case['idNumber']}")
                    self.assertEqual(status, 200, tracking)
                    if tracking.get("completion"):
                        break
                    self.assertLess(time.monotonic(), deadline, f"{case['receipt']} not completed in tracking: {tracking}")
                    time.sleep(1)
                self.assertEqual(tracking["completion"]["outcome"], "approved", tracking)
                decisions = [d for d in tracking["documents"] if d["kind"] == "approval-decision"]
                self.assertEqual([(d["departmentId"], d["sealed"]) for d in decisions], [(self.DEPARTMENT, True)], tracking)
                self.assertEqual(decisions[0]["imprintId"], sealed(system.lines)[case["caseId"]]["imprint"], tracking)
            passed = True
        finally:
            for process in running:
                process.stop()
            fresh.stop(keep=not passed)
            if not passed:
                print(f"test_example: logs in {fresh.logs}; schemas {', '.join(fresh.schemas.values())} kept", file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
