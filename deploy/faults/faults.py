"""The faults, each injected while the load runs and lifted again; `run` returns when it is lifted."""

from __future__ import annotations

import time

from common import log
from stack import SERVICES


class Context:
    def __init__(self, hall, broker, postgres, departments, front_desk, profile):
        self.hall = hall
        self.broker = broker
        self.postgres = postgres
        self.departments = departments
        self.front_desk = front_desk
        self.profile = profile


class Fault:
    name = ""
    title = ""
    meaning = ""
    quiet = False   # runs without load; see Quiet

    def run(self, ctx: Context) -> None:
        raise NotImplementedError


class KillService(Fault):
    def __init__(self, service: str):
        self.service = service
        self.name = f"kill -9 {service}"
        self.title = self.name
        self.meaning = (f"every running instance of {service} gets SIGKILL (no shutdown: open transactions, "
                        f"unsent deliveries and in-flight HTTP requests are lost), and is started again "
                        f"{{hold}} s later on the same port")

    def run(self, ctx: Context) -> None:
        victims = ctx.hall.live(self.service)
        for process in victims:
            process.kill9()
        log(f"  killed {', '.join(p.label for p in victims)}")
        time.sleep(ctx.profile["kill_hold"])
        for process in victims:
            ctx.hall.restart(process)   # the fault ends here; start-up counts in the recovery


class PauseBroker(Fault):
    name = "broker paused"
    title = name
    meaning = ("the broker process is stopped with SIGSTOP for {pause} s — past the producers' 15 s message timeout, "
               "so deliveries fail and consumers lose their group — then continued with SIGCONT")

    def run(self, ctx: Context) -> None:
        ctx.broker.pause()
        time.sleep(ctx.profile["pause"])
        ctx.broker.resume()


class WipeBroker(Fault):
    name = "broker lost"
    title = "broker killed, restarted empty"
    runbook = True   # when the hall does not heal by itself: `hallctl republish` (see run.py)
    meaning = ("the broker gets SIGKILL and a new, empty broker starts on the same port {hold} s later (the local broker "
               "keeps everything in memory: every topic, record and committed offset is gone); the services must "
               "recreate their topics and republish what their outbox holds for a lost own topic by themselves")

    def run(self, ctx: Context) -> None:
        ctx.broker.kill()
        time.sleep(ctx.profile["kill_hold"])
        ctx.broker.start()
        # The department system reads the recreated topic from its start again (it is outside the hall).
        ctx.departments.reset()


class RestartPostgres(Fault):
    name = "PostgreSQL restarted"
    title = "PostgreSQL restart -m immediate"
    meaning = ("`pg_ctl restart -m immediate`: every connection of every service is cut without a checkpoint, "
               "the cluster runs crash recovery and comes back on the same port")

    def run(self, ctx: Context) -> None:
        before = ctx.postgres.psql.value("SELECT pg_current_snapshot()::text")
        ctx.postgres.restart_immediate()
        after = ctx.postgres.psql.value("SELECT pg_current_snapshot()::text")
        log(f"  transaction snapshot before the restart {before}, after {after}")


class ScaleOut(Fault):
    name = "second instance, one killed"
    title = name
    meaning = ("a second instance of each of the five services is started (relays share the outbox buckets, consumers "
               "share the partitions), load runs on both for {scale} s, then the first instance of each gets SIGKILL "
               "and the second carries on alone")

    def run(self, ctx: Context) -> None:
        added = [ctx.hall.add(name) for name in SERVICES]
        for process in added:
            process.wait("ready", timeout=90)
        log(f"  started {', '.join(p.label for p in added)}")
        time.sleep(ctx.profile["scale"])
        victims = []
        for name in SERVICES:
            first = [p for p in ctx.hall.live(name) if p not in added]
            if first:
                first[0].kill9()
                victims.append(first[0])
        log(f"  killed {', '.join(p.label for p in victims)}")
        ctx.hall.retire_dead()


class Quiet(Fault):
    name = "quiet after the last write"
    title = name
    meaning = ("no load: once the hall is idle, nothing is written for {quiet} s; then a last committed, joint and "
               "immediate application (the immediate one decided at once), and nothing else from the clerks: the "
               "last events must still be delivered and every invariant hold within {quiet} s of that last write")
    quiet = True

    def run(self, ctx: Context) -> None:
        time.sleep(ctx.profile["quiet"])
        last = [ctx.front_desk.submit_one(kind) for kind in ("committed", "joint", "immediate")]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(not a.acked or (a.kind == "immediate" and not a.decided) for a in last):
            time.sleep(0.1)


def matrix(profile: dict) -> list[Fault]:
    faults: list[Fault] = [KillService(name) for name in SERVICES]
    faults += [PauseBroker(), WipeBroker(), RestartPostgres(), ScaleOut(), Quiet()]
    return faults
