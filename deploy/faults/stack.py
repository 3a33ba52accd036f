"""The processes of a fault run: the suite's own broker, the stack's PostgreSQL, the services."""

from __future__ import annotations

import os
import pwd
import resource
import threading
import signal
import socket
import subprocess
import time

from common import SuiteError, http, log, schema_owner

SERVICES = ["intake", "coordinator", "seal", "complaints", "appraisal"]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def kill_group(pgid: int) -> None:
    """SIGKILL to the process group the suite started (a service and any child it left behind)."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


class Broker:
    """A tansu broker (in memory) of the run's own, on a fixed port: pause, kill, restart empty."""

    def __init__(self, binary: str, port: int, log_path: str):
        self.binary = binary
        self.port = port
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self.paused = False

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        if not os.path.exists(self.binary):
            raise SuiteError(f"tansu binary {self.binary} missing (deploy/hall install)")
        env = {k: v for k, v in os.environ.items()
               if k not in ("CLUSTER_ID", "LISTENER_URL", "ADVERTISED_LISTENER_URL", "STORAGE_ENGINE")}
        with open(self.log_path, "ab") as out:
            out.write(f"---- {time.strftime('%H:%M:%S')} starting tansu on {self.address}\n".encode())
            out.flush()
            self.process = subprocess.Popen(
                [self.binary, "broker", "--listener-url", f"tcp://{self.address}",
                 "--advertised-listener-url", f"tcp://{self.address}", "--storage-engine", "memory://tansu/"],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SuiteError(f"tansu exited at start-up (see {self.log_path})")
            if port_open(self.port):
                self.paused = False
                return
            time.sleep(0.2)
        raise SuiteError(f"tansu does not answer on {self.address} (see {self.log_path})")

    def pause(self) -> None:
        _signal(self.process.pid, signal.SIGSTOP)
        self.paused = True

    def resume(self) -> None:
        _signal(self.process.pid, signal.SIGCONT)
        self.paused = False

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            if self.paused:
                _signal(self.process.pid, signal.SIGCONT)
            _signal(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.paused = False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            if self.paused:
                self.resume()
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.kill()


class Postgres:
    """The stack's PostgreSQL cluster (deploy/hall: data in .hall/pg, run as its owner)."""

    def __init__(self, bindir: str, data_dir: str, log_path: str, psql):
        self.bindir = bindir
        self.data_dir = data_dir
        self.log_path = log_path
        self.psql = psql

    def _as_owner(self, args: list[str]) -> list[str]:
        owner = pwd.getpwuid(os.stat(self.data_dir).st_uid).pw_name
        if owner == pwd.getpwuid(os.getuid()).pw_name:
            return args
        return ["runuser", "-u", owner, "--"] + args

    def restart_immediate(self) -> None:
        """`pg_ctl restart -m immediate`: every backend dies without a checkpoint; crash recovery."""
        command = self._as_owner([os.path.join(self.bindir, "pg_ctl"), "-D", self.data_dir, "-l", self.log_path,
                                  "-m", "immediate", "-w", "-t", "60", "restart"])
        result = subprocess.run(command, capture_output=True, text=True, timeout=90)
        if result.returncode != 0:
            raise SuiteError(f"pg_ctl restart failed: {result.stderr.strip() or result.stdout.strip()}")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.psql.alive():
                return
            time.sleep(0.5)
        raise SuiteError("PostgreSQL does not answer after its restart")


class ServiceProcess:
    """One instance of a service: the real executable with an environment of its own."""

    def __init__(self, name: str, instance: int, binary: str, port: int, env: dict[str, str], log_path: str):
        self.name = name
        self.instance = instance
        self.binary = binary
        self.port = port
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self.cores = False          # allow core dumps (written to the log directory)
        self.expected_exit = False  # set when the suite kills or stops it
        self.exits: list[str] = []  # unexpected exits seen by the monitor
        self.pids: list[int] = []   # every pid it had (each the leader of its own process group)
        self.killed_pids: set[int] = set()   # pids the suite killed or stopped on purpose

    @property
    def label(self) -> str:
        return f"{self.name}#{self.instance}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        if port_open(self.port):
            raise SuiteError(f"port {self.port} for {self.label} is taken (choose another --base-port)")
        with open(self.log_path, "ab") as out:
            out.write(f"---- {time.strftime('%H:%M:%S')} starting {self.label} on {self.url}\n".encode())
            out.flush()
            self.expected_exit = False
            cores = self.cores

            def limits():
                if cores:
                    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))

            self.process = subprocess.Popen(
                [self.binary], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=self.env,
                start_new_session=True, cwd=os.path.dirname(self.log_path), preexec_fn=limits,
            )
            self.pids.append(self.process.pid)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill9(self) -> None:
        self.expected_exit = True
        if self.process is not None:
            self.killed_pids.add(self.process.pid)
        if self.alive():
            _signal(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self, grace: float = 10) -> None:
        self.expected_exit = True
        if self.process is not None:
            self.killed_pids.add(self.process.pid)
        if not self.alive():
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            log(f"{self.label} did not stop within {grace:.0f}s after SIGTERM; SIGKILL")
            self.kill9()

    def wait(self, what: str = "live", timeout: float = 60) -> float:
        """Waits until /health/live answers 200 (or /health/ready for `ready`); returns the seconds taken."""
        started = time.monotonic()
        path = "/health/ready" if what == "ready" else "/health/live"
        while time.monotonic() - started < timeout:
            if not self.alive():
                raise SuiteError(f"{self.label} exited (code {self.process.returncode}); see {self.log_path}")
            if http("GET", self.url + path, timeout=2).status == 200:
                return time.monotonic() - started
            time.sleep(0.25)
        raise SuiteError(f"{self.label} not {what} after {timeout:.0f}s; see {self.log_path}")


class Hall:
    """The five services of the run, each possibly in several instances."""

    def __init__(self, bin_dir: str, base_port: int, common_env: dict[str, str], service_env: dict[str, dict[str, str]],
                 log_dir: str):
        self.bin_dir = bin_dir
        self.base_port = base_port
        self.common_env = common_env
        self.service_env = service_env
        self.log_dir = log_dir
        self.instances: dict[str, list[ServiceProcess]] = {name: [] for name in SERVICES}
        self._next_instance = {name: 1 for name in SERVICES}
        self.cores = False
        self.supervise = True
        self._monitoring = threading.Event()
        self._monitor = threading.Thread(target=self._watch, name="hall-monitor", daemon=True)
        self._monitor.start()

    def _watch(self) -> None:
        """Notes (and logs at once) every instance that exits without the suite asking it to."""
        seen: set[int] = set()
        while not self._monitoring.wait(0.5):
            for process in self.all():
                proc = process.process
                if proc is None or proc.pid in seen or proc.pid in process.killed_pids or proc.poll() is None:
                    continue
                seen.add(proc.pid)
                code = proc.returncode
                what = f"signal {-code}" if code < 0 else f"exit code {code}"
                note = f"{time.strftime('%H:%M:%S')} {process.label} (pid {proc.pid}) exited by itself: {what}"
                process.exits.append(note)
                log(f"  !! {note}; log {process.log_path}")
                if self.supervise:
                    threading.Thread(target=self._restart_crashed, args=(process, proc.pid), daemon=True).start()

    def _restart_crashed(self, process: ServiceProcess, pid: int) -> None:
        """As a supervisor would: start a crashed instance again (once the crash reporter let go of its port)."""
        deadline = time.monotonic() + 20
        while port_open(process.port) and time.monotonic() < deadline:
            time.sleep(0.5)
        kill_group(pid)   # the Swift crash reporter (swift-backtrace) of the dead process, if still there
        time.sleep(0.5)
        if self._monitoring.is_set() or process.expected_exit or process.alive():
            return
        try:
            process.start()
            log(f"  restarted {process.label} after its crash")
        except Exception as error:  # noqa: BLE001
            log(f"  could not restart {process.label}: {error}")

    def port(self, name: str, instance: int) -> int:
        return self.base_port + 10 * (instance - 1) + SERVICES.index(name) + 1

    def add(self, name: str) -> ServiceProcess:
        instance = self._next_instance[name]
        self._next_instance[name] += 1
        binary = os.path.join(self.bin_dir, name)
        if not os.access(binary, os.X_OK):
            raise SuiteError(f"no executable {binary}")
        env = dict(self.common_env)
        env.update(self.service_env[name])
        env["HALL_HTTP_PORT"] = str(self.port(name, instance))
        process = ServiceProcess(name, instance, binary, self.port(name, instance), env,
                                 os.path.join(self.log_dir, f"{name}-{instance}.log"))
        process.cores = self.cores
        process.start()
        self.instances[name].append(process)
        return process

    def restart(self, process: ServiceProcess) -> None:
        """Starts the same instance again (same port, same log)."""
        process.start()

    def live(self, name: str) -> list[ServiceProcess]:
        return [p for p in self.instances[name] if p.alive()]

    def url(self, name: str) -> str:
        """The URL of a live instance of the service (the first one)."""
        live = self.live(name)
        return (live or self.instances[name])[0].url

    def all(self) -> list[ServiceProcess]:
        return [p for name in SERVICES for p in self.instances[name]]

    def retire_dead(self) -> None:
        """Forgets instances that were killed on purpose and not restarted."""
        for name in SERVICES:
            self.instances[name] = [p for p in self.instances[name] if p.alive()]

    def stop_all(self) -> None:
        self._monitoring.set()
        for process in self.all():
            process.expected_exit = True
            if process.process is not None:
                process.killed_pids.add(process.process.pid)
            if process.alive():
                process.process.terminate()
        deadline = time.monotonic() + 12
        for process in self.all():
            if process.process is None:
                continue
            try:
                process.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log(f"{process.label} did not stop within 12 s after SIGTERM; SIGKILL")
                process.kill9()
        for process in self.all():
            for pid in process.pids:
                kill_group(pid)


class FreshHall:
    """The five executables on fresh schemas of the stack's PostgreSQL with a broker of their own,
    every token from the stack's identity provider, each service with its record key: what the
    demo's busy day and the fuzzer run against. `start()`, then `stop(keep=...)`."""

    def __init__(self, bin_dir: str, prefix: str, base_port: int):
        import base64
        import secrets
        import sys
        import tempfile

        from common import Psql, database_settings, load_env_file

        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        from hallkeys import service_environment, service_signers

        state_dir = os.environ.get("HALL_STATE_DIR") or os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), ".hall")
        self.env = load_env_file(os.path.join(state_dir, "env"))
        # Tokens come from the stack's identity provider (deploy/issuer.py), as a hall's would.
        for key in ("HALL_JWT_ISSUER", "HALL_JWT_ISSUER_KEY"):
            os.environ[key] = self.env[key]
        self.psql = Psql(self.env["HALL_ADMIN_DATABASE_URL"], self.env["HALL_PG_BINDIR"])
        self.prefix = prefix
        run_id = f"{prefix}_{time.strftime('%Y%m%d_%H%M%S')}"
        self.schemas = {name: f"{run_id}_{name}" for name in SERVICES}
        self.logs = tempfile.mkdtemp(prefix=f"{prefix}-")
        self.broker = Broker(self.env["HALL_TANSU_BIN"], free_port(), os.path.join(self.logs, "tansu.log"))
        # The secret derives the applicant check's key (intake, appraisal) and the demo systems' keys.
        self.secret = secrets.token_hex(24)
        common = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8",
            "HALL_KAFKA_BROKERS": self.broker.address, "HALL_JWT_ISSUER": self.env["HALL_JWT_ISSUER"], "HALL_JWT_SECRET": self.secret,
            "HALL_HTTP_HOST": "127.0.0.1", "HALL_KAFKA_SESSION_TIMEOUT": "6s", "HALL_KAFKA_TOPIC_CHECK_INTERVAL": "2s",
            "HALL_LOG_LEVEL": "notice",
            # All of its clients look cases up from 127.0.0.1.
            "HALL_PUBLIC_LOOKUPS_PER_MINUTE": "100000",
        }
        if os.environ.get("LD_LIBRARY_PATH"):
            common["LD_LIBRARY_PATH"] = os.environ["LD_LIBRARY_PATH"]
        per_service = {name: database_settings(self.env, name, self.schemas[name]) for name in SERVICES}
        per_service["seal"]["HALL_SEAL_MASTER_KEY"] = base64.b64encode(secrets.token_bytes(32)).decode()
        for name, signing in service_environment(service_signers()).items():
            per_service[name].update(signing)
        self.hall = Hall(bin_dir, base_port, common, per_service, self.logs)
        self.hall.supervise = False

    def start(self) -> None:
        """Fresh schemas (dropping those earlier runs of this prefix left), the broker, the five services ready."""
        prefix = self.prefix.replace("_", "\\_")
        for row in self.psql.rows(f"SELECT nspname FROM pg_namespace WHERE nspname LIKE '{prefix}\\_%'"):
            self.psql.execute(f"DROP SCHEMA {row['nspname']} CASCADE")
        for name, schema in self.schemas.items():
            self.psql.execute(f"CREATE SCHEMA {schema} AUTHORIZATION {schema_owner(name)}")
        self.broker.start()
        for name in SERVICES:
            self.hall.add(name)
        for process in self.hall.all():
            process.wait("ready", timeout=120)

    def stop(self, keep: bool = False) -> None:
        """Stops everything; drops the schemas unless `keep` (to look into a failure)."""
        self.hall.stop_all()
        self.broker.stop()
        if not keep:
            for schema in self.schemas.values():
                self.psql.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
