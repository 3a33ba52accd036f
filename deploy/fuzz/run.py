#!/usr/bin/env python3
"""Fuzzes every service's OpenAPI document with schemathesis against the five real executables.

    run.py --bin-dir DIR [--examples N] [--service NAME ...]

Starts a broker of its own and the five executables on fresh schemas of the local stack's
PostgreSQL (like the fault matrix and the demo's day), loads the demo hall, then lets schemathesis
send each operation of each service's /openapi.yaml generated requests — valid and invalid — with a
centre admin's token of the local identity provider. Two checks: no answer is a 5xx, and every
status answered is declared for its operation. Exits 1 naming each finding (deploy/hall test --fuzz).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import os
import secrets
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEPLOY = HERE.parent
sys.path.insert(0, str(DEPLOY / "faults"))
sys.path.insert(1, str(DEPLOY / "demo"))
sys.path.insert(2, str(DEPLOY))

from hallkeys import TokenIssuer  # noqa: E402
from stack import SERVICES, FreshHall  # noqa: E402

# deploy/demo/load.py (the fault matrix has a load.py of its own on the path).
_spec = importlib.util.spec_from_file_location("demo_load", DEPLOY / "demo" / "load.py")
load = importlib.util.module_from_spec(_spec)
sys.modules["demo_load"] = load
_spec.loader.exec_module(load)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin-dir", required=True, help="the built executables")
    parser.add_argument("--examples", type=int, default=int(os.environ.get("HALL_FUZZ_EXAMPLES", "25")),
                        help="generated requests per operation and phase (25)")
    parser.add_argument("--service", action="append", choices=SERVICES, help="only these services (default: all five)")
    parser.add_argument("--schemathesis", default=os.environ.get("HALL_SCHEMATHESIS", "schemathesis"))
    args = parser.parse_args(argv)

    fresh = FreshHall(args.bin_dir, "fuzz", 24000 + secrets.randbelow(400) * 10)
    hall = fresh.hall
    failures: list[str] = []
    try:
        fresh.start()
        files = load.validate(DEPLOY / "demo")
        with contextlib.redirect_stdout(io.StringIO()):
            load.Loader(files, hall.url("intake"), hall.url("seal"), fresh.secret, None, seal_wait=90, out=io.StringIO()).run()
        admin = TokenIssuer.from_environment(os.environ).mint(files.administrator, ["centre-admin"], files.centre, ttl=3600)
        for name in args.service or SERVICES:
            url = hall.url(name)
            report = os.path.join(fresh.logs, f"{name}.txt")
            command = [args.schemathesis, "run", f"{url}/openapi.yaml", "--url", url, "-H", f"Authorization: Bearer {admin}",
                       "-c", "not_a_server_error,status_code_conformance", "-n", str(args.examples),
                       "--generation-deterministic", "--request-timeout", "10", "--no-color"]
            print(f"fuzz: {name} ({url}/openapi.yaml, {args.examples} examples per operation)", flush=True)
            with open(report, "w", encoding="utf-8") as out:
                code = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, check=False).returncode
            text = Path(report).read_text(encoding="utf-8", errors="replace")
            summary = [line for line in text.splitlines() if any(word in line for word in ("passed", "failed", "errored", "Server error", "Undocumented"))]
            print("\n".join(f"  {line.strip()}" for line in summary[-6:]), flush=True)
            if code != 0:
                failures.append(f"{name}: schemathesis exit {code} (report {report})")
    finally:
        fresh.stop()
    for failure in failures:
        print(f"fuzz: {failure}", file=sys.stderr)
    print(f"fuzz: {'no finding' if not failures else f'{len(failures)} service(s) with findings'}; logs in {fresh.logs}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
