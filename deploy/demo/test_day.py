"""Tests of deploy/demo/day.py, the demo hall's busy day.

    .hall/venv/bin/python -m unittest discover -s deploy/demo -p 'test_*.py'     # without services
    HALL_DEMO_BIN_DIR=$(swift build --show-bin-path) .hall/venv/bin/python -m unittest discover -s deploy/demo -p test_day.py

Without services: the plan holds every kind of case the day promises, and the checks catch a
tracking answer that differs from what the demo did. With HALL_DEMO_BIN_DIR (deploy/hall test sets
it after the Swift tests): the five real executables on fresh schemas and a broker of their own, the
demo hall loaded through their APIs, then a day of 80 applications that must match in every figure.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import sys
import unittest
from pathlib import Path

import day
import load

DEMO = Path(__file__).resolve().parent
FAULTS = DEMO.parent / "faults"


def planned(n: int = 120, seed: int = 7) -> tuple[load.Hall, list[day.Case], list[day.Bundle]]:
    hall = load.validate(DEMO)
    cases, bundles = day.Planner(hall, n, random.Random(seed), "d-market").plan()
    return hall, cases, bundles


class PlanTests(unittest.TestCase):
    def test_every_kind_of_case_is_in_the_day(self):
        _, cases, bundles = planned()
        self.assertEqual(len(cases), 120)
        scenarios = {c.scenario for c in cases}
        self.assertEqual(scenarios, {"refused", "correction", "correction-left", "gap", "immediate", "immediate-deny", "joint", "deny",
                                     "supplement", "suspension", "extension", "committed", "bundle"})
        self.assertTrue(bundles and all(len(b.cases) == 2 and b.cases[0].id_number == b.cases[1].id_number for b in bundles))
        self.assertTrue(any(not c.collect for c in cases), "some results stay uncollected")

    def test_the_clerk_of_an_immediate_case_may_decide_it_at_a_window_that_takes_it(self):
        hall, cases, _ = planned()
        for case in cases:
            if case.scenario.startswith("immediate"):
                clerk = hall.staff[case.clerk]
                self.assertIn(case.item["code"], clerk["immediateItems"])
                self.assertTrue(hall.window_takes(clerk["windowId"], case.item))

    def test_the_suspended_case_s_item_does_not_count_some_time_and_its_lead_decides_over_http(self):
        _, cases, _ = planned()
        suspended = next(c for c in cases if c.scenario == "suspension")
        self.assertTrue(suspended.item["notCounted"])
        self.assertNotEqual(suspended.item["leadDepartmentId"], "d-market")

    def test_too_few_applications_are_refused_with_the_minimum(self):
        hall = load.validate(DEMO)
        with self.assertRaisesRegex(day.DayError, "at least 40"):
            day.Planner(hall, 20, random.Random(1), "d-market").plan()

    def test_identity_numbers_carry_their_check_digit(self):
        _, cases, _ = planned()
        for case in cases:
            self.assertEqual(load.resident_id(case.id_number[:17]), case.id_number)


class CheckTests(unittest.TestCase):
    """The figures are checked against what the demo did: a difference is reported, never hidden."""

    def setUp(self):
        self.hall, self.cases, self.bundles = planned(60, seed=3)
        self.day = day.Day(self.hall, {"intake": "http://127.0.0.1:9"}, "secret", "127.0.0.1:9", random.Random(1), 1, out=io.StringIO())
        for n, case in enumerate(self.cases):
            case.receipt = f"R{n:010d}"
            case.desk_outcome = ("refused" if case.scenario == "refused" else
                                 "correction-required" if case.scenario.startswith("correction") else "accepted")
            case.resubmitted = case.scenario == "correction"
            case.handed_over = case.bundle is None and case.expected_status == "issued"
            case.tracking = self.as_tracked(case)
        self.day.counters.update({
            "kafka-approve": sum(1 for c in self.cases if c.decided_by_departments and "d-market" in c.departments),
            "http-approve": sum(sum(1 for d in c.departments if d != "d-market") for c in self.cases if c.decided_by_departments),
            "http-needs-supplement": 1, "suspended-and-resumed": 1, "extended": 1,
            "bundles-handed-over": sum(1 for b in self.bundles if b.collect),
            "promises-kept": sum(sum(1 for m in day.Planner.required(c.item) if m["toleratedGap"]) for c in self.cases
                                 if c.scenario == "gap" and c.handed_over),
        })
        for case in self.cases:  # the extension moved the due date
            if case.scenario == "extension":
                case.due_at_acceptance, case.tracking["dueDate"] = "2026-12-10", "2026-12-17"
            if case.scenario == "supplement":
                case.tracking["supplements"] = [{"material": "x", "suppliedAt": "2026-12-05T01:00:00.000Z"}]

    @staticmethod
    def as_tracked(case: day.Case) -> dict:
        documents = [{"kind": kind, "sealed": True} for kind, count in day.Day.expected_documents(case).items() for _ in range(count)]
        tracking = {"status": case.expected_status, "documents": documents}
        if case.expected_outcome:
            tracking["completion"] = {"outcome": case.expected_outcome, "onTime": True}
        return tracking

    def report(self) -> tuple[int, str]:
        self.day.out = io.StringIO()
        status = self.day.report(self.cases, self.bundles)
        return status, self.day.out.getvalue()

    def test_a_day_as_the_demo_did_it_passes(self):
        status, text = self.report()
        self.assertEqual(status, 0, text)
        self.assertIn("every figure matches", text)

    def test_a_case_in_another_status_fails_the_day_and_is_named(self):
        case = next(c for c in self.cases if c.expected_status == "issued" and c.bundle is None)
        case.tracking["status"] = "ready"
        status, text = self.report()
        self.assertEqual(status, 1)
        self.assertIn(f"{case.receipt} ({case.scenario}, {case.item['code']}): status ready, expected issued", text)

    def test_a_joint_case_missing_one_department_s_sealed_decision_fails(self):
        case = next(c for c in self.cases if c.scenario == "joint")
        decisions = [d for d in case.tracking["documents"] if d["kind"] == "approval-decision"]
        decisions[-1]["sealed"] = False
        status, text = self.report()
        self.assertEqual(status, 1)
        self.assertIn(f"{len(case.departments) - 1} sealed approval-decision, expected {len(case.departments)}", text)

    def test_a_late_case_or_a_wrong_outcome_fails(self):
        case = next(c for c in self.cases if c.scenario == "committed")
        case.tracking["completion"]["onTime"] = False
        status, text = self.report()
        self.assertEqual(status, 1)
        self.assertIn("late: tracking shows 1, the demo did 0", text)
        case.tracking["completion"] = {"outcome": "denied", "onTime": True}
        status, text = self.report()
        self.assertIn("outcome denied, expected approved", text)

    def test_a_refused_kafka_command_fails_the_day(self):
        self.day.kafka_rejections.append("department.task.opinion-submitted on task t: not-countersigner …")
        status, text = self.report()
        self.assertEqual(status, 1)
        self.assertIn("the coordinator refused a Kafka command", text)

    def test_an_extension_that_did_not_move_the_due_date_fails(self):
        case = next(c for c in self.cases if c.scenario == "extension")
        case.tracking["dueDate"] = case.due_at_acceptance
        status, text = self.report()
        self.assertEqual(status, 1)
        self.assertIn("not moved by the extension", text)


@unittest.skipUnless(os.environ.get("HALL_DEMO_BIN_DIR"), "HALL_DEMO_BIN_DIR names the executables to run the day on")
class BusyDayTests(unittest.TestCase):
    """The five real executables, the demo hall loaded through their APIs, one day through their APIs and Kafka."""

    def test_a_busy_day_matches_in_every_figure(self):
        sys.path.insert(0, str(FAULTS))
        from stack import FreshHall

        fresh = FreshHall(os.environ["HALL_DEMO_BIN_DIR"], "demoday", 20000 + random.randrange(0, 4000, 10))
        hall, secret = fresh.hall, fresh.secret
        passed = False
        try:
            fresh.start()
            files = load.validate(DEMO)
            loaded = io.StringIO()
            with contextlib.redirect_stdout(loaded):
                load.Loader(files, hall.url("intake"), hall.url("seal"), secret, None, seal_wait=90, out=loaded).run()
            urls = {name: hall.url(name) for name in ("intake", "coordinator", "seal")}
            out = io.StringIO()
            today = day.Day(files, urls, secret, fresh.broker.address, random.Random(11), timeout=240, out=out)
            cases, bundles = day.Planner(files, 80, random.Random(11), today.kafka_department).plan()
            status = today.run(cases, bundles)
            text = out.getvalue()
            self.assertEqual(status, 0, text)
            self.assertIn("every figure matches what the demo did (80 cases read back from tracking)", text)
            self.assertRegex(text, r"over Kafka \(d-market\): [1-9]\d* opinions")
            self.assertIn("supplements asked and brought: 1; clocks suspended and resumed: 1; limits extended: 1", text)
            passed = True
        finally:
            fresh.stop(keep=not passed)
            if not passed:
                print(f"test_day: logs in {fresh.logs}; schemas {', '.join(fresh.schemas.values())} kept", file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
