"""Tests of deploy/demo/load.py without the hall's services.

    .hall/venv/bin/python -m unittest discover -s deploy/demo -p test_load.py

The validator is tested on the shipped files and on broken copies of them made here; the loader on
a small in-memory stand-in of the intake and seal APIs (an HTTP server in a thread).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import io
import json
import os
import shutil
import tempfile
import threading
import unittest
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

import load

DEMO = Path(__file__).resolve().parent
SECRET = "test-secret-0123456789abcdef0123456789"


class BrokenCopy:
    """A copy of the shipped hall in a temporary directory, to break one thing in it."""

    def __init__(self):
        self.temp = tempfile.TemporaryDirectory()
        self.dir = Path(self.temp.name) / "hall"
        shutil.copytree(DEMO, self.dir, ignore=shutil.ignore_patterns("*.py", "__pycache__"))

    def edit(self, relative: str, change) -> None:
        path = self.dir / relative
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=load._Loader)
        change(data)
        path.write_text(yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), allow_unicode=True, sort_keys=False), encoding="utf-8")

    def problems(self) -> list[str]:
        try:
            load.validate(self.dir)
        except load.Invalid as invalid:
            return [str(p) for p in invalid.problems]
        return []

    def close(self) -> None:
        self.temp.cleanup()


def find(entries: list, key: str, value):
    return next(entry for entry in entries if entry.get(key) == value)


class ShippedHallTests(unittest.TestCase):
    def test_the_shipped_hall_is_valid_and_complete(self):
        hall = load.validate(DEMO)
        departments = [d for d in hall.departments.values() if not d.get("centre")]
        self.assertGreaterEqual(len(departments), 12)
        self.assertTrue(hall.departments[hall.centre]["centre"])
        for department in hall.departments.values():
            self.assertIn("chiefRepresentativeId", department, department["id"])
            self.assertIn("substitute", department, department["id"])
            self.assertIn(department["id"], hall.seals, f"{department['id']} has a seal")
        self.assertGreaterEqual(len(hall.items), 60)
        kinds = {item["kind"] for item in hall.items.values()}
        self.assertEqual(kinds, {"immediate", "committed", "joint"})
        for item in hall.items.values():
            self.assertLessEqual(item["promisedLimitDays"], item["legalLimitDays"], item["code"])
            self.assertIn("设定依据", item["formTemplate"])
        self.assertTrue(any(item["fee"] for item in hall.items.values()), "some items have a fee")
        self.assertTrue(all(item["fee"]["basis"] for item in hall.items.values() if item["fee"]))
        self.assertTrue(any(item["notCounted"] for item in hall.items.values()))
        windows = {w["kind"] for w in hall.windows.values()}
        self.assertEqual(windows, {"comprehensive", "department", "discipline"})

    def test_request_bodies_match_the_intake_api(self):
        hall = load.validate(DEMO)
        fee = hall.items["GA-001"]["fee"]
        self.assertEqual(fee["amountCents"], 2000)
        market = hall.departments["d-market"]
        self.assertEqual(market["chiefRepresentativeId"], "scjg-liu-jianguo")
        self.assertEqual(set(market["substitute"]), {"staffId", "noticeReference", "from", "to"})
        material = hall.items["SCJG-001"]["materials"][-1]
        self.assertEqual((material["requirement"], material["condition"]), ("conditional", "委托代理人办理的"))
        seal = hall.seals["d-market"]
        staff = [a["staffId"] for a in seal["authorisations"]]
        self.assertEqual(len(staff), len(set(staff)), "each person once per seal")
        clerk = find(seal["authorisations"], "staffId", "zx-wang-fang")
        self.assertEqual(set(clerk["documentKinds"]), set(load.DOCUMENT_KINDS), "everySeal merged with the seal's own list")

    def test_every_guide_is_complete_for_its_item(self):
        hall = load.validate(DEMO)
        company = hall.items["SCJG-001"]["guide"]
        self.assertEqual(company["legalBasis"], [
            {"law": "《中华人民共和国公司法》", "articles": "第二十九条"},
            {"law": "《中华人民共和国市场主体登记管理条例》", "articles": "第三条、第十六条"}])
        self.assertEqual(len(company["conditions"]), 2)
        for code, item in hall.items.items():
            guide = item["guide"]
            self.assertTrue(guide["legalBasis"] and guide["procedure"], code)
            self.assertEqual(bool(item["fee"]), "payment" in guide, f"{code}: how and where to pay exactly when there is a fee")
            self.assertEqual([d["category"] for d in guide["notCountedDurations"]], item["notCounted"], code)


class ValidatorTests(unittest.TestCase):
    def setUp(self):
        self.copy = BrokenCopy()

    def tearDown(self):
        self.copy.close()

    def assertRefused(self, *fragments: str) -> list[str]:
        problems = self.copy.problems()
        self.assertTrue(problems, "the broken copy was accepted")
        matching = [p for p in problems if all(f in p for f in fragments)]
        self.assertTrue(matching, f"no problem mentions {fragments}; got:\n" + "\n".join(problems))
        return problems

    def test_promised_limit_over_the_legal_one(self):
        self.copy.edit("catalogue/market.yaml", lambda d: find(d["items"], "code", "SCJG-001").update(promisedLimitDays=5))
        self.assertRefused("catalogue/market.yaml", "SCJG-001", "promisedLimitDays 5 exceeds legalLimitDays 3", "Art 34")

    def test_immediate_item_with_a_promised_limit(self):
        self.copy.edit("catalogue/tax.yaml", lambda d: find(d["items"], "code", "SW-001").update(legalLimitDays=3, promisedLimitDays=2))
        self.assertRefused("catalogue/tax.yaml", "SW-001", "promisedLimitDays must be 0")

    def test_joint_item_without_participants_and_committed_item_with_them(self):
        self.copy.edit("catalogue/joint.yaml", lambda d: find(d["items"], "code", "LB-002").pop("participants"))
        self.copy.edit("catalogue/market.yaml", lambda d: find(d["items"], "code", "SCJG-003").update(participants=["d-tax"]))
        problems = self.assertRefused("catalogue/joint.yaml", "LB-002", "at least one participant")
        self.assertTrue(any("SCJG-003" in p and "use kind joint" in p for p in problems))

    def test_window_for_an_unknown_department(self):
        self.copy.edit("windows.yaml", lambda d: d["windows"].append({"id": "w-x", "name": "X", "kind": "department", "departments": ["d-nowhere"]}))
        self.assertRefused("windows.yaml", "w-x", "unknown department 'd-nowhere'")

    def test_staff_at_an_unknown_window(self):
        self.copy.edit("staff.yaml", lambda d: find(d["staff"], "id", "scjg-qi-yue").update(window="w-nowhere"))
        self.assertRefused("staff.yaml", "scjg-qi-yue", "unknown window 'w-nowhere'")

    def test_unqualified_staff_at_a_window(self):
        self.copy.edit("staff.yaml", lambda d: find(d["staff"], "id", "scjg-qi-yue").update(qualified=False))
        self.assertRefused("staff.yaml", "scjg-qi-yue", "Art 19")

    def test_seal_authorising_unknown_staff(self):
        self.copy.edit("seals.yaml", lambda d: find(d["seals"], "department", "d-tax")["authorisations"].append(
            {"staff": "nobody", "kinds": ["acceptance-notice"]}))
        self.assertRefused("seals.yaml", "d-tax", "unknown staff 'nobody'")

    def test_seal_for_an_unknown_department(self):
        self.copy.edit("seals.yaml", lambda d: d["seals"].append({"department": "d-nowhere", "code": "1504300999999", "name": "无此局印章"}))
        self.assertRefused("seals.yaml", "d-nowhere", "seal for unknown department")

    def test_two_seals_for_one_department_and_a_department_without_one(self):
        def change(d):
            find(d["seals"], "department", "d-water")["department"] = "d-tax"
        self.copy.edit("seals.yaml", change)
        problems = self.assertRefused("seals.yaml", "already has a seal", "Art 30")
        self.assertTrue(any("d-water" in p and "has no approval seal" in p for p in problems))

    def test_custodian_who_is_not_the_chief_representative(self):
        self.copy.edit("seals.yaml", lambda d: find(d["seals"], "department", "d-civil").update(custodian="mz-wu-tao"))
        self.assertRefused("seals.yaml", "d-civil", "must be the department's chief representative", "Art 32")

    def test_duplicate_item_code_in_two_files(self):
        def change(d):
            find(d["items"], "code", "ZJ-002")["code"] = "SCJG-001"
        self.copy.edit("catalogue/housing.yaml", change)
        self.assertRefused("catalogue/market.yaml", "SCJG-001", "duplicate item code", "catalogue/housing.yaml")

    def test_duplicate_department_and_duplicate_seal_code(self):
        self.copy.edit("departments.yaml", lambda d: d["departments"].append(dict(find(d["departments"], "id", "d-tax"))))
        self.copy.edit("seals.yaml", lambda d: find(d["seals"], "department", "d-water").update(code="1504300000033"))
        problems = self.assertRefused("departments.yaml", "duplicate department id d-tax")
        self.assertTrue(any("duplicate seal code 1504300000033" in p for p in problems))

    def test_chief_representative_of_another_department(self):
        self.copy.edit("departments.yaml", lambda d: find(d["departments"], "id", "d-water").update(chiefRepresentative="yj-hou-jun"))
        self.assertRefused("departments.yaml", "d-water", "works for d-emergency")

    def test_fee_without_its_legal_basis_and_a_bad_amount(self):
        self.copy.edit("catalogue/police.yaml", lambda d: find(d["items"], "code", "GA-001")["fee"].pop("basis"))
        self.copy.edit("catalogue/police.yaml", lambda d: find(d["items"], "code", "GA-002")["fee"].update(amountYuan="10.005"))
        problems = self.assertRefused("catalogue/police.yaml", "GA-001", "'basis' is required")
        self.assertTrue(any("GA-002" in p and "at most 2 decimals" in p for p in problems))

    def test_unknown_time_not_counted_category(self):
        self.copy.edit("catalogue/ecology.yaml", lambda d: find(d["items"], "code", "HB-001").update(notCounted=["holiday"]))
        self.assertRefused("catalogue/ecology.yaml", "HB-001", "notCounted must list only")

    def test_a_misspelt_key_is_not_ignored(self):
        self.copy.edit("catalogue/water.yaml", lambda d: find(d["items"], "code", "SL-001").update(promisedLimit=3))
        self.assertRefused("catalogue/water.yaml", "SL-001", "unknown key 'promisedLimit'")

    def test_clerk_who_may_not_seal_the_notices_of_the_items_taken(self):
        self.copy.edit("seals.yaml", lambda d: d["everySeal"].pop())  # zx-ma-lin at the comprehensive window w-c04
        self.assertRefused("seals.yaml", "zx-ma-lin", "w-c04", "acceptance-notice and refusal-notice")

    def test_immediate_decider_without_the_decision_authorisation(self):
        self.copy.edit("seals.yaml", lambda d: find(d["seals"], "department", "d-hrss")["authorisations"].pop())  # zx-chen-jing
        self.assertRefused("seals.yaml", "zx-chen-jing", "RS-002", "approval-decision and denial-decision")

    def test_immediate_items_must_be_immediate_and_known(self):
        self.copy.edit("staff.yaml", lambda d: find(d["staff"], "id", "jt-pan-yu").update(immediateItems=["JT-001", "JT-999"]))
        problems = self.assertRefused("staff.yaml", "jt-pan-yu", "JT-001, a committed item")
        self.assertTrue(any("unknown item JT-999" in p for p in problems))

    def test_invalid_yaml_names_the_file(self):
        (self.copy.dir / "windows.yaml").write_text("windows:\n  - {id: w-1, name: [unclosed\n", encoding="utf-8")
        self.assertRefused("windows.yaml", "(file)", "not valid YAML")

    def test_two_centres(self):
        self.copy.edit("departments.yaml", lambda d: find(d["departments"], "id", "d-tax").update(centre=True))
        self.assertRefused("departments.yaml", "exactly one department must be the hall centre")


# ---------------------------------------------------------------------------------------------
# A stand-in for the intake and seal APIs
# ---------------------------------------------------------------------------------------------


class FakeHall:
    """Just enough of intake and seal for the loader: upserts, item versions, seals. Records writes."""

    def __init__(self):
        self.departments, self.windows, self.staff, self.items, self.seals = {}, {}, {}, {}, []
        self.writes: list[str] = []
        self.systems: dict[str, dict] = {}
        self.lock = threading.Lock()

    def handle(self, method: str, path: str, body):
        url = urllib.parse.urlsplit(path)
        query = dict(urllib.parse.parse_qsl(url.query))
        route = url.path
        if route == "/health/ready":
            return 200, {}
        if method != "GET":
            self.writes.append(f"{method} {route}")
        if method == "POST" and route == "/v1/departments":
            for key in ("chiefRepresentativeId",):
                person = body.get(key)
                if person and self.staff.get(person, {}).get("departmentId") != body["id"]:
                    return 400, {"field": "chiefRepresentativeId", "detail": f"no staff member {person}"}
            self.departments[body["id"]] = body
            return 200, body
        if method == "POST" and route == "/v1/windows":
            missing = [d for d in body["departmentIds"] if d not in self.departments]
            if missing:
                return 400, {"field": "departmentIds", "detail": f"no department {missing[0]}"}
            self.windows[body["id"]] = body
            return 200, body
        if method == "POST" and route == "/v1/staff":
            if body["departmentId"] not in self.departments:
                return 400, {"field": "departmentId", "detail": "refers to nothing in the directory"}
            self.staff[body["id"]] = body
            return 200, body
        if method == "POST" and route == "/v1/department-systems":
            if body["departmentId"] not in self.departments:
                return 400, {"field": "departmentId", "detail": "refers to nothing in the directory"}
            self.systems[body["id"]] = body
            return 200, dict(body, systemId=body["id"], keyAlgorithm="Ed25519", active=True)
        if method == "POST" and route == "/v1/items":
            versions = self.items.setdefault(body["code"], [])
            if versions and body["effectiveFrom"] <= versions[-1]["effectiveFrom"]:
                return 400, {"field": "effectiveFrom", "detail": "must be after the current version's effective date"}
            versions.append(dict(body, version=len(versions) + 1, fee=body.get("fee") or {}))
            return 201, versions[-1]
        if method == "GET" and route == "/v1/items":
            return 200, {"items": [versions[-1] for versions in self.items.values()]}
        if method == "GET" and route.startswith("/v1/items/"):
            versions = self.items.get(urllib.parse.unquote(route.rsplit("/", 1)[1]))
            return (200, versions[-1]) if versions else (404, {"detail": "no item"})
        if method == "GET" and route == "/v1/seals":
            return 200, [s for s in self.seals if s["departmentId"] == query.get("departmentId", s["departmentId"])]
        if method == "POST" and route == "/v1/seals":
            department = self.departments.get(body["departmentId"])
            if department is None or department.get("chiefRepresentativeId") != body["custodianStaffId"]:
                return 400, {"field": "custodianStaffId", "detail": "must be the department's chief representative"}
            seal = dict(body, sealId=f"seal-{len(self.seals) + 1}", status="active")
            self.seals.append(seal)
            return 201, seal
        if method == "PUT" and route.startswith("/v1/seals/") and route.endswith("/authorisations"):
            seal = next(s for s in self.seals if s["sealId"] == route.split("/")[3])
            seal["authorisations"] = body["authorisations"]
            return 200, seal
        return 404, {"detail": f"no route {method} {route}"}


class Server:
    def __init__(self, hall: FakeHall):
        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                assert self.headers.get("Authorization", "").startswith("Bearer ") or self.command == "GET"
                with hall.lock:
                    status, answer = hall.handle(self.command, self.path, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = _answer

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class LoaderTests(unittest.TestCase):
    def setUp(self):
        self.fake = FakeHall()
        self.server = Server(self.fake)
        self.temp = tempfile.TemporaryDirectory()
        self.receipt = Path(self.temp.name) / "demo-receipt.json"
        self.hall = load.validate(DEMO)

    def tearDown(self):
        self.server.close()
        self.temp.cleanup()

    def load(self, hall=None) -> bool:
        self.output = io.StringIO()
        loader = load.Loader(hall or self.hall, self.server.url, self.server.url, SECRET, self.receipt, seal_wait=2, out=self.output)
        return loader.run()

    def test_first_load_then_a_second_that_changes_nothing(self):
        self.assertTrue(self.load())
        self.assertIn(f"departments  {len(self.hall.departments)} created", self.output.getvalue(), "an empty hall: everything is new")
        self.assertEqual(len(self.fake.departments), len(self.hall.departments))
        self.assertEqual(self.fake.departments["d-market"]["chiefRepresentativeId"], "scjg-liu-jianguo", "completed after the staff")
        self.assertEqual(len(self.fake.items), len(self.hall.items))
        self.assertEqual(len(self.fake.seals), len(self.hall.seals))
        system = self.hall.demo["departmentSystem"]
        self.assertEqual(self.fake.systems[system["subject"]]["publicKey"], load.derived_signer(system["subject"], SECRET).public_key,
                         "the demo's department system registered with the key its commands are signed with")
        self.fake.writes.clear()
        self.assertFalse(self.load(), "the second load reports nothing changed")
        self.assertEqual(self.fake.writes, [], "and sends no write")
        self.assertIn(f"items        {len(self.hall.items)} unchanged", self.output.getvalue())

    def test_without_a_valid_receipt_the_directory_is_sent_again_without_clearing_anyone(self):
        self.load()
        self.fake.seals[0]["sealId"] = "replaced"  # the receipt's anchor no longer matches: e.g. a new registry
        self.fake.writes.clear()
        self.load()
        self.assertIn("sent (no receipt of an earlier load", self.output.getvalue())
        self.assertIn("POST /v1/departments", self.fake.writes)
        self.assertEqual(self.fake.writes.count("POST /v1/departments"), len(self.hall.departments), "each once, with its people")
        self.assertNotIn("POST /v1/items", self.fake.writes)
        self.assertNotIn("POST /v1/seals", self.fake.writes)

    def test_a_new_chief_representative_is_registered_before_the_department_names_them(self):
        self.load()
        changed = load.validate(DEMO)
        changed.staff["sl-new-chief"] = dict(changed.staff["sl-mo-lin"], id="sl-new-chief", name="新首席")
        changed.departments["d-water"] = dict(changed.departments["d-water"], chiefRepresentativeId="sl-new-chief")
        changed.seals["d-water"] = dict(changed.seals["d-water"], custodianStaffId="sl-new-chief")
        self.fake.writes.clear()
        with self.assertRaises(load.Differs):  # the seal's custodian changes only by revoking it
            self.load(changed)
        self.assertEqual(self.fake.writes, ["POST /v1/departments", "POST /v1/staff", "POST /v1/departments"],
                         "refused while the person is unknown, then completed after the staff; never sent without its people")
        self.assertEqual(self.fake.departments["d-water"]["chiefRepresentativeId"], "sl-new-chief")

    def test_a_changed_item_is_a_new_version_only_from_a_later_date(self):
        self.load()
        changed = load.validate(DEMO)
        changed.items["SCJG-001"] = dict(changed.items["SCJG-001"], promisedLimitDays=2)
        with self.assertRaises(load.LoadError) as refused:
            self.load(changed)
        self.assertIn("SCJG-001", str(refused.exception))
        self.assertIn("effectiveFrom", str(refused.exception))
        changed.items["SCJG-001"]["effectiveFrom"] = "2026-07-01"
        self.fake.writes.clear()
        self.assertTrue(self.load(changed))
        self.assertEqual(self.fake.writes, ["POST /v1/items"])
        self.assertEqual(self.fake.items["SCJG-001"][-1]["version"], 2)

    def test_changed_authorisations_are_replaced(self):
        self.load()
        changed = load.validate(DEMO)
        changed.seals["d-water"]["authorisations"] = changed.seals["d-water"]["authorisations"][:-1]
        self.fake.writes.clear()
        self.assertTrue(self.load(changed))
        self.assertEqual(self.fake.writes, ["PUT /v1/seals/" + next(s["sealId"] for s in self.fake.seals if s["departmentId"] == "d-water") + "/authorisations"])

    def test_an_invalid_hall_sends_nothing(self):
        copy = BrokenCopy()
        try:
            copy.edit("catalogue/market.yaml", lambda d: find(d["items"], "code", "SCJG-001").update(promisedLimitDays=9))
            environment = {"HALL_INTAKE_URL": self.server.url, "HALL_SEAL_URL": self.server.url, "HALL_JWT_SECRET": SECRET}
            stderr = io.StringIO()
            with unittest.mock.patch.dict(os.environ, environment), contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
                status = load.main(["--dir", str(copy.dir)])
            self.assertEqual(status, 1)
            self.assertIn("nothing was loaded", stderr.getvalue())
            self.assertIn("catalogue/market.yaml: items[0] SCJG-001: promisedLimitDays 9 exceeds legalLimitDays 3", stderr.getvalue())
            self.assertEqual(self.fake.writes, [])
            self.assertEqual(self.fake.departments, {})
        finally:
            copy.close()


class TokenTests(unittest.TestCase):
    def test_token_is_hs256_with_the_hall_claims_for_a_development_hall(self):
        with unittest.mock.patch.dict(os.environ, {"HALL_JWT_ISSUER": "", "HALL_JWT_ISSUER_KEY": ""}):
            token = load.mint_token(SECRET, "zx-wang-fang", ["clerk"], "d-centre", "w-c01", ttl=60)
        header, payload, signature = token.split(".")
        expected = hmac.new(SECRET.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
        self.assertEqual(base64.urlsafe_b64decode(signature + "=="), expected)
        claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
        self.assertEqual((claims["sub"], claims["roles"], claims["department"], claims["window"]), ("zx-wang-fang", ["clerk"], "d-centre", "w-c01"))
        self.assertEqual(claims["exp"] - claims["iat"], 60)

    def test_token_of_the_identity_provider_is_eddsa_under_its_key_id_with_issuer_and_audiences(self):
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        key = base64.b64encode(os.urandom(32)).decode()
        with tempfile.NamedTemporaryFile("w", suffix=".key", delete=False) as handle:
            handle.write(key)
        try:
            with unittest.mock.patch.dict(os.environ, {"HALL_JWT_ISSUER": "http://127.0.0.1:1", "HALL_JWT_ISSUER_KEY": handle.name}):
                token = load.mint_token(SECRET, "zx-wang-fang", ["clerk"], "d-centre", "w-c01", ttl=60)
                import hallkeys  # deploy/hallkeys.py, on the path through load

                issuer = hallkeys.TokenIssuer.from_environment(os.environ)
        finally:
            os.unlink(handle.name)
        header, payload, signature = token.split(".")
        self.assertEqual(json.loads(base64.urlsafe_b64decode(header + "==")), {"alg": "EdDSA", "typ": "JWT", "kid": issuer.kid})
        claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
        self.assertEqual((claims["iss"], len(claims["aud"]), claims["sub"]), ("http://127.0.0.1:1", 5, "zx-wang-fang"))
        jwk = issuer.jwks()["keys"][0]
        Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(jwk["x"] + "=")).verify(
            base64.urlsafe_b64decode(signature + "=="), f"{header}.{payload}".encode())  # raises if it does not verify

    def test_resident_id_check_digit(self):
        self.assertEqual(load.resident_id("11010519491231002"), "11010519491231002X")


import unittest.mock  # noqa: E402  (used above through unittest.mock)

if __name__ == "__main__":
    unittest.main()
