"""The invariants the hall must keep whatever fails: read as the admin from every schema, and through
the public APIs. Each check returns (ok, detail); detail names the first offenders."""

from __future__ import annotations

from common import http, parse_time, same_instant
from seed import IMMEDIATE_ITEM, ITEMS
from stack import SERVICES

INVARIANTS = [
    ("services-up", "every instance started is running (none exited by itself) and /health/ready answers 200"),
    ("acked-once", "every application answered 2xx exists exactly once, with the outcome answered; none unanswered"),
    ("routed", "every accepted committed or joint case has its coordinator case and one task per department"),
    ("outbox-drained", "every service's outbox_pending is empty"),
    ("sealed-once", "every document sealed once, serials gap-free per seal, registers intact, nothing refused"),
    ("completed", "every case decided and completed, completion time = last seal time, in the coordinator and in tracking"),
    ("no-dead-letters", "no inbox row dead_lettered, every DLQ topic empty"),
]
NAMES = [name for name, _ in INVARIANTS]


def _first(items, n: int = 5) -> str:
    items = list(items)
    shown = ", ".join(str(i) for i in items[:n])
    return f"{len(items)}: {shown}{' …' if len(items) > n else ''}"


class Checker:
    def __init__(self, psql, schemas: dict[str, str], front_desk, departments, hall, tokens, seals: dict[str, str],
                 brokers: str, namespace: str):
        self.psql = psql
        self.s = schemas
        self.front_desk = front_desk
        self.departments = departments
        self.hall = hall
        self.tokens = tokens
        self.seals = seals
        self.brokers = brokers
        self.namespace = namespace
        self.tracked_ok: set[str] = set()   # receipts whose tracking was already checked complete

    # -- one pass ---------------------------------------------------------------------------
    def check(self, with_api: bool = True, count_exits: bool = True) -> dict[str, tuple[bool, str]]:
        """One pass over every invariant. `count_exits`: an instance that exited by itself during the phase
        fails services-up even when it runs again (the recovery wait leaves that out, the verdict does not)."""
        self.count_exits = count_exits
        results = {}
        for name, method in (("services-up", self.services_up), ("acked-once", self.acked_once), ("routed", self.routed),
                             ("outbox-drained", self.outbox_drained), ("sealed-once", self.sealed_once),
                             ("completed", self.completed), ("no-dead-letters", self.no_dead_letters)):
            try:
                results[name] = method(with_api)
            except Exception as error:  # noqa: BLE001 - the database or a service away: not yet
                results[name] = (False, f"check failed: {error}")
        return results

    def services_up(self, _api: bool):
        problems = [note for process in self.hall.all() for note in process.exits] if self.count_exits else []
        for process in self.hall.all():
            if not process.alive():
                problems.append(f"{process.label} exited (code {process.process.returncode})")
                continue
            answer = http("GET", process.url + "/health/ready", timeout=3)
            if answer.status != 200 or (answer.body or {}).get("status") != "ready":
                problems.append(f"{process.label} ready: {answer!r}")
        return (not problems), ("" if not problems else _first(problems, 3))

    def _apps(self):
        with self.front_desk.lock:
            return list(self.front_desk.applications)

    def acked_once(self, _api: bool):
        apps = self._apps()
        unexpected = [f"{a.key}→{a.unexpected!r}" for a in apps if a.unexpected is not None]
        if unexpected:
            return False, f"answered 4xx {_first(unexpected, 2)}"
        pending = [a.key for a in apps if not a.acked]
        if pending:
            return False, f"not yet answered {_first(pending)}"
        wrong = [f"{a.key}: {a.outcome} (expected {a.expected})" for a in apps if a.outcome != a.expected]
        rows = self.psql.rows(f"SELECT case_id::text AS case_id, clerk_id, idempotency_key AS key, status "
                              f"FROM {self.s['intake']}.applications")
        by_key: dict[tuple[str, str], list[dict]] = {}
        for row in rows:
            by_key.setdefault((row["clerk_id"], row["key"]), []).append(row)
        problems = []
        status_of = {"accepted": ("accepted", "decided", "ready", "issued"), "correction-required": ("awaiting-correction",),
                     "refused": ("refused",)}
        known = set()
        for a in apps:
            known.add((a.clerk, a.key))
            found = by_key.get((a.clerk, a.key), [])
            if len(found) != 1:
                problems.append(f"{a.key}: {len(found)} rows")
            elif found[0]["case_id"] != a.case_id:
                problems.append(f"{a.key}: case {found[0]['case_id']} ≠ answered {a.case_id}")
            elif found[0]["status"] not in status_of.get(a.outcome, ()):
                problems.append(f"{a.key}: status {found[0]['status']} after answer {a.outcome}")
        extra = [k for k in by_key if k not in known]
        if extra:
            problems.append(f"rows nobody was answered for {_first(extra)}")
        if wrong:
            problems.append(f"unexpected outcomes {_first(wrong, 3)}")
        return (not problems), ("" if not problems else _first(problems, 3))

    def routed(self, _api: bool):
        apps = [a for a in self._apps() if a.acked and a.outcome == "accepted" and a.kind in ("committed", "joint")]
        rows = self.psql.rows(f"SELECT c.case_id, count(t.task_id) AS tasks FROM {self.s['coordinator']}.cases c "
                              f"LEFT JOIN {self.s['coordinator']}.tasks t USING (case_id) GROUP BY c.case_id")
        tasks = {r["case_id"]: r["tasks"] for r in rows}
        problems = []
        for a in apps:
            expected = 1 + len(ITEMS[a.item][2])
            if a.case_id not in tasks:
                problems.append(f"{a.receipt} not routed")
            elif tasks[a.case_id] != expected:
                problems.append(f"{a.receipt}: {tasks[a.case_id]} tasks, expected {expected}")
        return (not problems), ("" if not problems else _first(problems))

    def outbox_diagnostics(self) -> list[str]:
        """Per service: what is pending, per bucket, against the cursor and the cluster's horizon."""
        lines = [f"cluster snapshot now: {self.psql.value('SELECT pg_current_snapshot()::text')}"]
        for name in SERVICES:
            rows = self.psql.rows(
                f"SELECT p.bucket, count(*) AS n, min(p.publish_xid)::text AS min_xid, max(p.publish_xid)::text AS max_xid, "
                f"min(p.id) AS min_id, c.last_xid::text AS cursor_xid, c.last_id AS cursor_id, c.failures, "
                f"c.advanced_at, left(c.last_error, 120) AS last_error FROM {self.s[name]}.outbox_pending p "
                f"JOIN {self.s[name]}.outbox_cursor c USING (bucket) GROUP BY p.bucket, c.last_xid, c.last_id, "
                f"c.failures, c.advanced_at, c.last_error ORDER BY p.bucket")
            for r in rows:
                lines.append(f"{name} bucket {r['bucket']}: {r['n']} pending, publish_xid {r['min_xid']}..{r['max_xid']}, "
                             f"first id {r['min_id']}; cursor ({r['cursor_xid']}, {r['cursor_id']}) advanced "
                             f"{r['advanced_at']}, failures {r['failures']}, last error {r['last_error']}")
        return lines

    def outbox_drained(self, _api: bool):
        union = " UNION ALL ".join(f"SELECT '{name}' AS service, count(*) AS n FROM {self.s[name]}.outbox_pending"
                                   for name in SERVICES)
        rows = self.psql.rows(union)
        pending = [f"{r['service']} {r['n']}" for r in rows if r["n"]]
        return (not pending), ("" if not pending else "pending: " + ", ".join(pending))

    def sealed_once(self, api: bool):
        seal, intake, coordinator = self.s["seal"], self.s["intake"], self.s["coordinator"]
        problems = []
        for row in self.psql.rows(
                f"SELECT s.code, s.last_serial, count(i.*) AS n, coalesce(max(i.serial), 0) AS top, "
                f"count(DISTINCT i.serial) AS distinct_serials FROM {seal}.seals s "
                f"LEFT JOIN {seal}.imprints i USING (seal_id) GROUP BY s.code, s.last_serial"):
            if not (row["n"] == row["top"] == row["last_serial"] == row["distinct_serials"]):
                problems.append(f"{row['code']}: {row['n']} imprints, serials up to {row['top']}, "
                                f"last_serial {row['last_serial']}")
        twice = self.psql.rows(f"SELECT document_hash, case_id, count(*) AS n FROM {seal}.imprints "
                               f"GROUP BY document_kind, document_hash, case_id, department_id HAVING count(*) > 1")
        if twice:
            problems.append(f"documents sealed twice {_first(r['case_id'] for r in twice)}")
        refusals = self.psql.rows(f"SELECT case_id, reason FROM {seal}.refusals")
        if refusals:
            problems.append(f"seal refusals {_first(r['case_id'] + ' ' + r['reason'] for r in refusals)}")
        # Intake keeps a department's sealed decision apart (decision_seals) and joins it to the
        # coordinator's announcement by kind, department and hash. The one-time correction notice
        # is kept with the notices but carries no seal (Art 36).
        unsealed = self.psql.rows(f"SELECT n.case_id::text AS case_id, n.kind FROM {intake}.notices n "
                                  f"LEFT JOIN {intake}.decision_seals d USING (case_id, kind, department_id, sha256) "
                                  f"WHERE n.imprint_id IS NULL AND d.imprint_id IS NULL AND n.kind <> 'correction-notice' "
                                  f"UNION ALL SELECT case_id, document_kind FROM {coordinator}.decisions "
                                  f"WHERE imprint_id IS NULL")
        if unsealed:
            problems.append(f"documents not sealed {_first(r['case_id'] + ' ' + r['kind'] for r in unsealed)}")
        if api and not problems:
            for department, seal_id in self.seals.items():
                answer = http("POST", self.hall.url("seal") + f"/v1/seals/{seal_id}/verify-register", self.tokens.operator,
                              None, timeout=20)
                if not answer.ok or not answer.body.get("intact"):
                    problems.append(f"register of {department}: {answer!r}")
        return (not problems), ("" if not problems else _first(problems, 3))

    def completed(self, api: bool):
        coordinator, seal, intake = self.s["coordinator"], self.s["seal"], self.s["intake"]
        problems = []
        undecided = self.departments.undecided()
        if undecided:
            problems.append(f"{undecided} tasks the department system has not seen countersigned")
        open_tasks = self.psql.rows(f"SELECT task_id::text AS task, state FROM {coordinator}.tasks "
                                    f"WHERE state NOT IN ('countersigned', 'closed')")
        if open_tasks:
            problems.append(f"tasks not decided {_first(r['task'] + ' ' + r['state'] for r in open_tasks)}")
        # Coordinated cases: completed at the last seal time of their decisions.
        cases = self.psql.rows(
            f"SELECT c.case_id, c.receipt_code, c.state, c.completed_at, m.last_sealed, m.n, "
            f"(SELECT count(*) FROM {coordinator}.decisions d WHERE d.case_id = c.case_id) AS decisions "
            f"FROM {coordinator}.cases c LEFT JOIN (SELECT case_id, max(sealed_at) AS last_sealed, count(*) AS n "
            f"FROM {seal}.imprints WHERE document_kind IN ('approval-decision', 'denial-decision') GROUP BY case_id) m "
            f"USING (case_id)")
        completed_at = {}
        for c in cases:
            if c["state"] != "completed":
                problems.append(f"{c['receipt_code']} {c['state']}")
            elif c["n"] != c["decisions"] or not same_instant(c["completed_at"], c["last_sealed"]):
                problems.append(f"{c['receipt_code']} completed {c['completed_at']}, last seal {c['last_sealed']}, "
                                f"{c['n']}/{c['decisions']} decisions sealed")
            else:
                completed_at[c["receipt_code"]] = parse_time(c["completed_at"])
        # Immediate items: complete when their decision is sealed.
        immediate = self.psql.rows(
            f"SELECT a.receipt_code, a.status, a.sealed_at, i.sealed_at AS imprint_sealed FROM {intake}.applications a "
            f"LEFT JOIN {seal}.imprints i ON i.case_id = a.case_id::text "
            f"AND i.document_kind IN ('approval-decision', 'denial-decision') "
            f"WHERE a.item_code = '{IMMEDIATE_ITEM}' AND a.decision IS NOT NULL")
        for row in immediate:
            if row["status"] != "ready" or not same_instant(row["sealed_at"], row["imprint_sealed"]):
                problems.append(f"{row['receipt_code']} (immediate) {row['status']}, sealed_at {row['sealed_at']}, "
                                f"imprint {row['imprint_sealed']}")
            else:
                completed_at[row["receipt_code"]] = parse_time(row["sealed_at"])
        # Immediate items accepted but not decided yet (the clerk's decision still pending).
        waiting = [a.key for a in self._apps() if a.kind == "immediate" and a.outcome == "accepted" and not a.decided]
        if waiting:
            problems.append(f"immediate decisions not recorded {_first(waiting)}")
        if api and not problems:
            problems += self._tracking(completed_at)
        return (not problems), ("" if not problems else _first(problems, 3))

    def _tracking(self, completed_at: dict) -> list[str]:
        """The applicant's view (`GET /v1/cases/{receipt}`) shows the completion at the same instant."""
        problems = []
        intake = self.hall.url("intake")
        for a in self._apps():
            if not a.acked or a.outcome != "accepted" or a.receipt in self.tracked_ok:
                continue
            answer = http("GET", f"{intake}/v1/cases/{a.receipt}?idNumber={a.id_number}", timeout=8)
            completion = (answer.body or {}).get("completion") if answer.ok else None
            expected = completed_at.get(a.receipt)
            if completion is None or not same_instant(completion.get("completedAt"), expected):
                problems.append(f"tracking {a.receipt}: {answer.status} completion {completion} (expected {expected})")
                if len(problems) >= 3:
                    break
            else:
                self.tracked_ok.add(a.receipt)
        return problems

    def no_dead_letters(self, _api: bool):
        union = " UNION ALL ".join(
            f"SELECT '{name}' AS service, event_type, reason FROM {self.s[name]}.inbox WHERE status = 'dead_lettered'"
            for name in SERVICES)
        dead = self.psql.rows(union)
        problems = [f"{d['service']} {d['event_type']}: {d['reason']}" for d in dead]
        problems += [f"{topic}: {n} records" for topic, n in self.dlq_counts().items() if n]
        return (not problems), ("" if not problems else _first(problems, 3))

    def dlq_counts(self) -> dict[str, int]:
        from confluent_kafka import Consumer, TopicPartition

        consumer = Consumer({"bootstrap.servers": self.brokers, "group.id": "faults-dlq-check",
                             "enable.auto.commit": False, "socket.timeout.ms": 5000,
                             "allow.auto.create.topics": False, "log_level": 2})
        try:
            counts = {}
            metadata = consumer.list_topics(timeout=5)
            for topic, info in metadata.topics.items():
                if not (topic.startswith(self.namespace + ".") and topic.endswith(".dlq")):
                    continue
                total = 0
                for partition in info.partitions:
                    low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=5)
                    total += max(0, high - low)
                counts[topic] = total
            return counts
        finally:
            consumer.close()
