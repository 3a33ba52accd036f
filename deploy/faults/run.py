#!/usr/bin/env python3
"""The fault matrix: the five real services under load, one fault after another, invariants after each.

    deploy/hall test --faults            short profile (CI)
    deploy/hall test --faults=soak       each fault longer, the matrix three times
    .hall/venv/bin/python deploy/faults/run.py --help

Needs the local stack (`deploy/hall stack up`: PostgreSQL and .hall/env) and built executables.
The run starts its own broker on a free port, its own schemas (`faults_<time>_<service>`, owned by
each service's role) and a Kafka namespace of the same name, so it disturbs nothing else — except
the fault that restarts the stack's PostgreSQL cluster.
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from common import Psql, SuiteError, database_settings, load_env_file, log, now_utc, schema_owner  # noqa: E402
from faults import Context, matrix  # noqa: E402
from invariants import INVARIANTS, NAMES, Checker  # noqa: E402
from report import write_report, table  # noqa: E402
from stack import SERVICES, Broker, Hall, Postgres, free_port, port_open  # noqa: E402
from hallkeys import service_environment, service_signers  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

PROFILES = {
    # seconds; rate in applications per second
    "short": {"rate": 3.0, "warmup": 8, "pre": 6, "post": 4, "kill_hold": 2, "pause": 20, "scale": 8,
              "quiet": 20, "bound": 120, "rounds": 1},
    "soak": {"rate": 4.0, "warmup": 20, "pre": 30, "post": 15, "kill_hold": 5, "pause": 45, "scale": 30,
             "quiet": 30, "bound": 300, "rounds": 3},
}


class Row:
    def __init__(self, fault, round_number: int):
        self.fault = fault
        self.round = round_number
        self.results: dict[str, tuple[bool, str]] = {}
        self.answers_again: float | None = None
        self.recovered: float | None = None
        self.applications = 0
        self.seconds = 0.0
        self.runbook: str | None = None   # what the runbook fallback did, when it ran

    @property
    def ok(self) -> bool:
        return all(ok for ok, _ in self.results.values())


def main() -> int:
    parser = argparse.ArgumentParser(description="ServiceHall fault matrix")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="short")
    parser.add_argument("--bin-dir", default=os.environ.get("HALL_FAULTS_BIN_DIR"),
                        help="directory of the five executables (default: swift build --show-bin-path)")
    parser.add_argument("--base-port", type=int, default=int(os.environ.get("HALL_FAULTS_PORT_BASE", "8180")),
                        help="intake = base+1 … appraisal = base+5; second instances base+11 …")
    parser.add_argument("--only", help="comma-separated fault names (substrings) to run, e.g. 'kill -9 seal,broker lost'")
    parser.add_argument("--rate", type=float, help="applications per second (default: the profile's)")
    parser.add_argument("--rounds", type=int, help="how many times the matrix runs (default: the profile's)")
    parser.add_argument("--report", help="write the reliability page here (default docs/reliability.md for a full run)")
    parser.add_argument("--no-report", action="store_true", help="do not write the reliability page")
    parser.add_argument("--keep", action="store_true", help="keep the run's schemas afterwards")
    parser.add_argument("--cores", action="store_true", help="let the services dump core (into the run's log directory)")
    parser.add_argument("--default-schemas", action="store_true",
                        help="use the services' default schemas (dropped by the admin first; test stack only): lets the "
                             "the operator's own tools see the run's data where they expect it")
    parser.add_argument("--no-supervise", action="store_true",
                        help="leave a crashed service down (default: start it again at once, as a supervisor would)")
    args = parser.parse_args()
    profile = dict(PROFILES[args.profile])
    if args.rate:
        profile["rate"] = args.rate
    if args.rounds:
        profile["rounds"] = args.rounds
    try:
        return Run(args, profile).run()
    except SuiteError as error:
        log(f"error: {error}")
        return 2


class Run:
    def __init__(self, args, profile):
        self.args = args
        self.profile = profile
        self.started_wall = now_utc()
        self.started = time.monotonic()
        state_dir = os.environ.get("HALL_STATE_DIR") or os.path.join(REPO, ".hall")
        self.env = load_env_file(os.path.join(state_dir, "env"))
        # Tokens come from the stack's identity provider (deploy/issuer.py), as a hall's would.
        for key in ("HALL_JWT_ISSUER", "HALL_JWT_ISSUER_KEY"):
            os.environ[key] = self.env[key]
        self.run_id = "faults_" + self.started_wall.strftime("%Y%m%d_%H%M%S")
        self.run_dir = os.path.join(state_dir, "faults", self.run_id)
        os.makedirs(self.run_dir, exist_ok=True)
        self.psql = Psql(self.env["HALL_ADMIN_DATABASE_URL"], self.env["HALL_PG_BINDIR"])
        if args.default_schemas:
            self.schemas = {name: name for name in SERVICES}
        else:
            self.schemas = {name: f"{self.run_id}_{name}" for name in SERVICES}
        self.bin_dir = os.path.abspath(args.bin_dir or self._swift_bin_dir())
        self.hall = self.broker = self.front_desk = self.departments = None
        self.rows: list[Row] = []

    def _swift_bin_dir(self) -> str:
        result = subprocess.run(["swift", "build", "--show-bin-path"], cwd=REPO, capture_output=True, text=True)
        if result.returncode != 0:
            raise SuiteError(f"swift build --show-bin-path failed: {result.stderr.strip()}")
        return result.stdout.strip()

    # ------------------------------------------------------------------------------------------
    def run(self) -> int:
        def on_signal(signum, _frame):
            raise SuiteError(f"stopped by signal {signum}")

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        ok = False
        try:
            self._prepare()
            ok = self._matrix()
            return 0 if ok else 1
        finally:
            self._teardown(ok)

    def _prepare(self) -> None:
        log(f"run {self.run_id}: profile {self.args.profile}, executables from {self.bin_dir}, logs in {self.run_dir}")
        for name in SERVICES:
            if not os.access(os.path.join(self.bin_dir, name), os.X_OK):
                raise SuiteError(f"no executable {os.path.join(self.bin_dir, name)} (swift build, or --bin-dir)")
        for offset in list(range(1, 6)) + list(range(11, 16)):
            if port_open(self.args.base_port + offset):
                raise SuiteError(f"port {self.args.base_port + offset} is taken: choose another --base-port")
        # Schemas of earlier runs (left after a failure) go; this run's are new, each owned by its service's
        # role (the seal's by seal_owner).
        old = self.psql.rows("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'faults\\_%'")
        for row in old:
            self.psql.execute(f"DROP SCHEMA {row['nspname']} CASCADE")
        if old:
            log(f"dropped {len(old)} schemas of earlier runs")
        for name, schema in self.schemas.items():
            if self.args.default_schemas:
                self.psql.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            self.psql.execute(f"CREATE SCHEMA {schema} AUTHORIZATION {schema_owner(name)}")

        self.broker = Broker(self.env["HALL_TANSU_BIN"], free_port(), os.path.join(self.run_dir, "tansu.log"))
        self.broker.start()
        secret = secrets.token_hex(24)
        common_env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8",
            "HALL_KAFKA_BROKERS": self.broker.address, "HALL_JWT_ISSUER": self.env["HALL_JWT_ISSUER"],
            # The secret derives the applicant check's key (intake, appraisal) and the department systems' keys.
            "HALL_JWT_SECRET": secret, "HALL_HTTP_HOST": "127.0.0.1",
            "HALL_KAFKA_NAMESPACE": self.run_id, "HALL_KAFKA_SESSION_TIMEOUT": "6s",
            "HALL_KAFKA_TOPIC_CHECK_INTERVAL": "2s", "HALL_KAFKA_PARTITIONS": "3",
            "HALL_LOG_LEVEL": "info", "HALL_PUBLIC_LOOKUPS_PER_MINUTE": "100000",
        }
        if os.environ.get("LD_LIBRARY_PATH"):
            common_env["LD_LIBRARY_PATH"] = os.environ["LD_LIBRARY_PATH"]
        service_env = {}
        for name in SERVICES:
            service_env[name] = database_settings(self.env, name, self.schemas[name])
        service_env["seal"]["HALL_SEAL_MASTER_KEY"] = base64.b64encode(secrets.token_bytes(32)).decode()
        for name, signing in service_environment(service_signers()).items():
            service_env[name].update(signing)
        self.hall = Hall(self.bin_dir, self.args.base_port, common_env, service_env, self.run_dir)
        self.hall.cores = self.args.cores
        self.hall.supervise = not self.args.no_supervise
        for name in SERVICES:
            self.hall.add(name)
        for process in self.hall.all():
            took = process.wait("ready", timeout=90)
            log(f"{process.label} ready on {process.url} after {took:.1f}s")

        from load import DepartmentSystem, FrontDesk
        from seed import Tokens, seed

        self.tokens = Tokens(secret)
        self.seals = seed(self.hall.url("intake"), self.hall.url("seal"), self.tokens, self.psql, self.schemas)
        self.front_desk = FrontDesk(self.hall, self.tokens, self.profile["rate"])
        self.departments = DepartmentSystem(self.hall, self.tokens, self.broker.address, self.run_id)
        self.checker = Checker(self.psql, self.schemas, self.front_desk, self.departments, self.hall, self.tokens,
                               self.seals, self.broker.address, self.run_id)
        self.postgres = Postgres(self.env["HALL_PG_BINDIR"], os.path.join(self.env["HALL_STATE_DIR"], "pg"),
                                 os.path.join(self.env["HALL_STATE_DIR"], "logs", "postgres.log"), self.psql)
        self.context = Context(self.hall, self.broker, self.postgres, self.departments, self.front_desk, self.profile)

    # ------------------------------------------------------------------------------------------
    def _matrix(self) -> bool:
        faults = matrix(self.profile)
        if self.args.only:
            wanted = [w.strip() for w in self.args.only.split(",") if w.strip()]
            faults = [f for f in faults if any(w in f.name for w in wanted)]
            if not faults:
                raise SuiteError(f"no fault matches --only {self.args.only!r}")
        # A baseline first: the load alone must satisfy every invariant.
        baseline = self._phase(None, 1)
        if not baseline.ok:
            log("the baseline (load without a fault) does not hold: the matrix would say nothing; stopping")
            self._print()
            return False
        for round_number in range(1, self.profile["rounds"] + 1):
            for fault in faults:
                self._phase(fault, round_number)
        self._print()
        return all(row.ok for row in self.rows)

    def _phase(self, fault, round_number: int) -> Row:
        row = Row(fault, round_number)
        self.rows.append(row)
        label = fault.name if fault else "none (baseline)"
        phase_start = time.monotonic()
        before = len(self.front_desk.applications)
        for process in self.hall.all():
            process.exits.clear()
        log(f"== {label}" + (f" (round {round_number})" if self.profile["rounds"] > 1 else ""))
        if fault is None:
            self.front_desk.start("baseline")
            time.sleep(self.profile["warmup"])
            self.front_desk.pause()
            fault_end = time.monotonic()
            bound = self.profile["bound"]
        elif fault.quiet:
            fault.run(self.context)           # idle, then the last writes
            fault_end = time.monotonic()      # the last write
            bound = self.profile["quiet"]
        else:
            self.front_desk.start(fault.name)
            time.sleep(self.profile["pre"])
            log(f"  inject: {fault.name}")
            try:
                fault.run(self.context)
            finally:
                fault_end = time.monotonic()
            log(f"  lifted after {fault_end - phase_start - self.profile['pre']:.1f}s")
            time.sleep(self.profile["post"])
            self.front_desk.pause()
            bound = self.profile["bound"]
        row.results, recovered_at = self._wait_recovery(bound)
        if recovered_at is not None:
            row.recovered = recovered_at - fault_end
        elif fault is not None and getattr(fault, "runbook", False):
            row.runbook = self._runbook(fault_end, bound)
        first = self.front_desk.first_ack_after(fault_end)
        row.answers_again = None if first is None else first - fault_end
        row.applications = len(self.front_desk.applications) - before
        row.seconds = time.monotonic() - phase_start
        if row.ok:
            log(f"  all invariants hold {row.recovered:.1f}s after the fault ended "
                f"({row.applications} applications in this phase)")
        else:
            if row.recovered is not None:
                log(f"  the hall recovered {row.recovered:.1f}s after the fault ended, but:")
            for name in NAMES:
                ok, detail = row.results[name]
                if not ok:
                    log(f"  FAILED {label} × {name}: {detail}")
            self._restart_exited()
        return row

    def _wait_recovery(self, bound: float):
        deadline = time.monotonic() + bound
        results = None
        while True:
            results = self.checker.check(with_api=False, count_exits=False)
            if all(ok for ok, _ in results.values()):
                results = self.checker.check(with_api=True, count_exits=False)
                if all(ok for ok, _ in results.values()):
                    return self.checker.check(with_api=False), time.monotonic()
            if time.monotonic() >= deadline:
                results = self.checker.check(with_api=True)
                if not results["outbox-drained"][0]:
                    for line in self.checker.outbox_diagnostics():
                        log(f"  outbox: {line}")
                return results, None
            time.sleep(1.0)

    def _runbook(self, fault_end: float, bound: float) -> str:
        """The operator's runbook after a broker lost its data: `hallctl republish` of every service's outbox
        since the run began; then wait again. Returns what happened, for the report."""
        hallctl = os.path.join(self.bin_dir, "hallctl")
        if not os.access(hallctl, os.X_OK):
            return f"runbook not applicable: no {hallctl}"
        since = self.started_wall.strftime("%Y-%m-%dT%H:%M:%SZ")
        log(f"  the hall did not recover by itself: runbook `hallctl republish --from {since}` for every service")
        started = time.monotonic()
        for name in SERVICES:
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/root"),
                   "HALL_DATABASE_URL": self.env[f"HALL_{name.upper()}_DATABASE_URL"]}
            result = subprocess.run([hallctl, "republish", "--service", name, "--schema", self.schemas[name], "--from", since,
                                     "--requested-by", "faults"],
                                    capture_output=True, text=True, env=env, timeout=120)
            log(f"  hallctl republish --service {name}: {(result.stdout or result.stderr).strip()[:200]}")
        results, recovered_at = self._wait_recovery(bound)
        if recovered_at is None:
            failing = ", ".join(name for name, (ok, _) in results.items() if not ok)
            return f"not even after `hallctl republish` ({failing} still failing)"
        return f"recovered {recovered_at - started:.1f}s after `hallctl republish`"

    def _restart_exited(self) -> None:
        """A service left down (--no-supervise) is started again so that the next fault finds a hall."""
        for process in self.hall.all():
            if not process.alive() and process.process is not None:
                log(f"  {process.label} is down (code {process.process.returncode}); starting it again")
                self.hall._restart_crashed(process, process.process.pid)

    # ------------------------------------------------------------------------------------------
    def _print(self) -> None:
        elapsed = time.monotonic() - self.started
        print()
        print(table(self.rows, self.profile["rounds"] > 1))
        print()
        failed = [(row, name, detail) for row in self.rows for name, (ok, detail) in row.results.items() if not ok]
        for row, name, detail in failed:
            label = row.fault.name if row.fault else "none (baseline)"
            print(f"FAILED: fault '{label}' × invariant '{name}': {detail}")
        for row in self.rows:
            if row.runbook:
                print(f"RUNBOOK: fault '{row.fault.name}': {row.runbook}")
        print(f"{len(self.rows)} phases, {sum(len(r.results) for r in self.rows) - len(failed)} invariant checks held, "
              f"{len(failed)} failed; wall-clock {elapsed / 60:.1f} min (profile {self.args.profile})")
        full = not self.args.only
        path = self.args.report or (os.path.join(REPO, "docs", "reliability.md") if full else None)
        if path and not self.args.no_report:
            write_report(path, self.rows, self.profile, self.args.profile, self.started_wall, elapsed, self.run_id,
                         INVARIANTS, self.front_desk, self.departments)
            log(f"wrote {path}")

    def _teardown(self, ok: bool) -> None:
        for component, obj, method in (("front desk", self.front_desk, "close"),
                                       ("department system", self.departments, "close"),
                                       ("services", self.hall, "stop_all"), ("broker", self.broker, "stop")):
            if obj is None:
                continue
            try:
                getattr(obj, method)()
            except Exception as error:  # noqa: BLE001 - keep stopping the rest
                log(f"stopping the {component}: {error!r}")
        if ok and not self.args.keep and not self.args.default_schemas:
            try:
                for schema in self.schemas.values():
                    self.psql.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            except Exception as error:  # noqa: BLE001
                log(f"dropping the run's schemas: {error}")
        elif self.args.default_schemas:
            log(f"the default schemas ({', '.join(SERVICES)}) hold this run's data; logs in {self.run_dir}")
        else:
            log(f"kept the schemas {self.run_id}_* and the logs in {self.run_dir}")


if __name__ == "__main__":
    sys.exit(main())
