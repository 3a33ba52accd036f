#!/usr/bin/env python3
"""The attacks tried on the hall × what held, from a Swift test run's output.

    report.py OUTPUT [--write docs/security.md]

OUTPUT is what `swift test` printed (deploy/hall test keeps it in .build/test-output.txt). Every
attack in deploy/security/attacks.yaml names the tests that perform it; each must appear as passed.
Exits 1 naming the attacks whose tests failed or did not run; with --write, also writes the table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
RESULT = re.compile(r'^(✔|✘) Test "(.*)"(?: with \d+ test cases?)? (passed|failed)')


def results(output: str) -> dict[str, bool]:
    """Test display name → passed (a name failing in any line counts as failed)."""
    seen: dict[str, bool] = {}
    for line in output.splitlines():
        match = RESULT.match(line.strip())
        if match:
            name, passed = match.group(2), match.group(3) == "passed"
            seen[name] = seen.get(name, True) and passed
    return seen


def outcome(prefixes: list[str], seen: dict[str, bool]) -> tuple[bool, list[str]]:
    problems = []
    for prefix in prefixes:
        matches = [passed for name, passed in seen.items() if name.startswith(prefix)]
        if not matches:
            problems.append(f"did not run: {prefix}")
        elif not all(matches):
            problems.append(f"failed: {prefix}")
    return not problems, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", help="the swift test output")
    parser.add_argument("--write", help="write the table to this Markdown file")
    args = parser.parse_args(argv)
    attacks = yaml.safe_load((HERE / "attacks.yaml").read_text(encoding="utf-8"))
    seen = results(Path(args.output).read_text(encoding="utf-8", errors="replace"))
    rows, failures, still_open = [], [], []
    for attack in attacks:
        if attack.get("open"):
            still_open.append(f"| {attack['attack']} | {attack['who']} | {attack['open']} |")
            continue
        ok, problems = outcome(attack["tests"], seen)
        if not ok:
            failures.append(f"{attack['attack']}: {'; '.join(problems)}")
        tests = "<br>".join(f"“{t}…”" for t in attack["tests"])
        rows.append(f"| {attack['attack']} | {attack['who']} | {attack['held'] if ok else '**not shown: ' + '; '.join(problems) + '**'} | {'✔' if ok else '✘'} | {tests} |")
    tried = len(rows)
    held = tried - len(failures)
    print(f"security: {held} of {tried} attacks held; {len(still_open)} open")
    for failure in failures:
        print(f"security: {failure}", file=sys.stderr)
    if args.write:
        text = [
            "# Attacks tried × what held",
            "",
            "Each row is an attack on the hall performed by an integration or unit test of the Swift suite",
            "(real PostgreSQL, broker and HTTP where the attack crosses them), which failed before its fix.",
            "The table is the last run's, written by `deploy/hall test --security`; `deploy/hall test` checks the",
            "same list on every run and fails when an attack's test fails or does not run",
            "(`deploy/security/attacks.yaml`, `deploy/security/report.py`).",
            "",
            f"Last run: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC — {held} of {tried} attacks held.",
            "",
            "| attack | by | what held | | performed by |",
            "|---|---|---|---|---|",
            *rows,
            "",
            "## Still open",
            "",
            *(["| attack | by | state |", "|---|---|---|", *still_open] if still_open else ["None: every attack in the list held."]),
            "",
        ]
        Path(args.write).write_text("\n".join(text), encoding="utf-8")
        print(f"security: wrote {args.write}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
