"""The fault × invariant table, on the terminal and in docs/reliability.md."""

from __future__ import annotations

import os

from faults import matrix

INVARIANT_ORDER = ["services-up", "acked-once", "routed", "outbox-drained", "sealed-once", "completed", "no-dead-letters"]


def _seconds(value) -> str:
    return "—" if value is None else f"{value:.1f} s"


def table(rows, rounds: bool) -> str:
    head = ["fault"] + (["round"] if rounds else []) + INVARIANT_ORDER + ["answers again", "recovered in", "applications"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        label = row.fault.title if row.fault else "none (baseline)"
        cells = [label] + ([str(row.round)] if rounds else [])
        cells += ["✔" if row.results.get(name, (False, ""))[0] else "✘" for name in INVARIANT_ORDER]
        cells += [_seconds(row.answers_again), _seconds(row.recovered) if row.recovered is not None else "not within bound",
                  str(row.applications)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_report(path, rows, profile, profile_name, started, elapsed, run_id, invariants, front_desk, departments) -> None:
    faults = matrix(profile)
    fmt = dict(profile, hold=profile["kill_hold"])
    apps = front_desk.applications
    by_outcome: dict[str, int] = {}
    for application in apps:
        by_outcome[application.outcome or "unanswered"] = by_outcome.get(application.outcome or "unanswered", 0) + 1
    channels: dict[str, int] = {}
    for task in departments.tasks.values():
        channels[task.channel] = channels.get(task.channel, 0) + 1
    retried = sum(1 for a in apps if a.attempts > 1)
    failed = [(row, name, detail) for row in rows for name, (ok, detail) in row.results.items() if not ok]

    out = []
    out.append("# Reliability: the fault matrix\n")
    out.append(
        "`deploy/hall test` runs the short profile after the Swift suite (so CI runs it on every change); "
        "`deploy/hall test --faults` runs it alone. It starts the five real executables as processes beside the local stack, seeds a small "
        "hall through their HTTP APIs, drives mixed load through the public APIs and Kafka, injects one fault after "
        "another while the load runs, and after each fault checks the invariants below by reading every schema as the "
        "admin and through the public APIs. It exits non-zero when an invariant does not hold within the bound, naming "
        "the fault and the invariant. `deploy/hall test --faults=soak` runs each fault longer and the whole matrix three "
        "times. The suite lives in `deploy/faults/` (`run.py --help` for its options: `--only` to run some faults, "
        "`--rounds`, `--rate`, `--bin-dir` for prebuilt executables (also `HALL_FAULTS_BIN_DIR`, which skips the "
        "build), `--base-port`, `--keep` the run's schemas, `--cores`, `--no-supervise`, `--default-schemas`).\n")
    out.append(
        "How long: the short profile takes about 5 minutes on the 2-core development machine when every fault heals "
        "within seconds; a phase whose invariants do not hold waits its whole bound (120 s) before it is reported, so a "
        "run with failures takes longer (11 minutes with three failing phases). The soak profile runs each fault "
        "longer (30 s of load before it, 45 s broker pause, 30 s on two instances, 15 s after) and the matrix three "
        "times: a round took 16 minutes with its PostgreSQL phase failing (it waits a 300 s bound), about 12 when "
        "everything heals, so 35–50 minutes in all.\n")
    out.append(
        "Reading a failure: the suite prints, for each failing pair, the fault, the invariant and the first offenders "
        "(receipt codes, case ids, documents); when an outbox does not drain it prints each pending bucket against its "
        "cursor and the cluster's transaction snapshot. Every process's log is in `.hall/faults/<run>/` (a crashing "
        "service's log ends with the Swift runtime's crash report); the run's schemas are kept after a failure "
        "(`deploy/hall psql`). An instance that exits by itself is noted at once (`!!` in the output) and started "
        "again, as a supervisor would, so that the other invariants still say whether the data recovers. After the "
        "broker lost its data and the hall did not heal within the bound, the suite applies the runbook "
        "(`hallctl republish --schema` of every service's outbox since the run began) and says whether that "
        "healed it.\n")
    out.append("## The run\n")
    out.append(
        "- **Processes.** PostgreSQL is the stack's (`deploy/hall stack up`). The run starts a broker of its own "
        "(tansu, in memory) on a free port, so that it can pause and kill it, and each service with only its own "
        "settings: its role's `HALL_DATABASE_URL`, a fresh schema `faults_<time>_<service>` owned by that role (the seal's by `seal_owner`, whose URL it migrates with) "
        "(created by the admin before the run, dropped after a run that passed), `HALL_KAFKA_NAMESPACE=faults_<time>`, "
        "a JWT secret of the run's, the seal master key for the seal service only, `HALL_KAFKA_SESSION_TIMEOUT=6s`, "
        "`HALL_KAFKA_TOPIC_CHECK_INTERVAL=2s`, 3 partitions per topic, HTTP on base port 8180 (intake 8181 … appraisal "
        "8185; second instances 8191 …). Logs: `.hall/faults/<run>/`.\n"
        "- **The hall.** Through intake's API: the hall centre and three departments with their chief representatives "
        "and officers, one comprehensive window, two front-desk clerks; items of each kind (two committed "
        "single-department items, two joint items with one or two participants, one immediate item). Through the seal "
        "service's API: a seal per department (centre included), its chief representative the custodian, the clerks "
        "authorised for every document kind.\n"
        f"- **Load** ({profile['rate']:g} applications/s in the {profile_name} profile): committed and joint "
        "applications accepted by a clerk, immediate items accepted and decided on the spot (approve or deny), "
        "applications missing a material (correction notice) and applications for items unknown to the hall (refused "
        "under the centre's seal). A request without a 2xx answer is sent again with the same idempotency key until it "
        "is answered, as a clerk presses again. A department system reads `coordinator.task.assigned` from the "
        "coordinator's events topic (by direct partition assignment) and decides every task at once: a quarter each "
        "over HTTP as an officer's opinion countersigned by the chief representative, over HTTP as the chief's own "
        "opinion, over Kafka (`hall.coordinator.department-commands`) as an opinion countersigned at once, and over "
        "Kafka as an opinion and a separate countersignature; the lead department of one case in seven denies. A "
        "command whose effect (`coordinator.task.countersigned`) is not seen within 15 s is sent again.\n"
        f"- **Each fault.** Load for {profile['pre']} s, the fault injected while the load runs, the fault lifted, "
        f"load for {profile['post']} s more, then the load stops and the invariants are checked every second until "
        f"they all hold or {profile['bound']} s have passed. A baseline phase without a fault comes first.\n")
    out.append("## Faults\n")
    for fault in faults:
        out.append(f"- **{fault.title}** — {fault.meaning.format(**fmt)}.")
    out.append("")
    out.append("## Invariants\n")
    for name, meaning in invariants:
        out.append(f"- **{name}** — {meaning}.")
    out.append("")
    out.append(
        "The end of a fault: a killed service started again, the broker continued or started again, PostgreSQL "
        "accepting connections again, the first instances killed; for the quiet period, the last write. Measures: "
        "**answers again** — from the end of the fault to the first application answered 2xx after it (a request "
        "sent during the fault and answered after it counts); **recovered in** — from the end of the fault until every "
        "invariant holds, backlogs drained included (an instance that exited by itself and was started again by the "
        "suite, as a supervisor would, does not hold the measure back, but fails services-up).\n")
    out.append("## Last run\n")
    out.append(f"{started.strftime('%Y-%m-%d %H:%M UTC')}, profile `{profile_name}`, run `{run_id}`, wall-clock "
               f"{elapsed / 60:.1f} min on the 2-core development machine (debug builds of main).\n")
    out.append(table(rows, profile["rounds"] > 1))
    out.append("")
    out.append(f"Applications: {len(apps)} ({', '.join(f'{n} {k}' for k, n in sorted(by_outcome.items()))}); "
               f"{retried} needed more than one attempt. Department tasks: {len(departments.tasks)} "
               f"({', '.join(f'{n} {k}' for k, n in sorted(channels.items()))}); commands refused by the coordinator: "
               f"{sum(departments.rejections.values())} "
               f"({', '.join(f'{n} {k}' for k, n in sorted(departments.rejections.items())) or 'none'}; a command "
               f"sent again because its effect was not seen within 15 s is refused as a repeat).\n")
    if failed:
        out.append("Failures:\n")
        for row, name, detail in failed:
            label = row.fault.title if row.fault else "none (baseline)"
            out.append(f"- {label} × {name}: {detail}")
        for row in rows:
            if row.runbook:
                out.append(f"- {row.fault.title}, runbook fallback: {row.runbook}")
        out.append("")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(out).rstrip() + "\n")
