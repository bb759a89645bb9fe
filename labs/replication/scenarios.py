"""Named setups: the clusters, workloads and partitions the lab and its exercises talk about.

Each returns fresh objects, so a caller may change them freely.

    >>> cluster, workload, partitions = quorum_setup(r=2, w=2)
    >>> cluster.describe(), [(p.start, p.end) for p in partitions]
    ('leaderless N=3 R=2 W=2, on partition: refuse', [(80.0, 230.0)])
"""
from __future__ import annotations

from typing import Callable, Iterable

import pandas as pd

from labs.replication.config import Cluster, Delays, Partition
from labs.replication.experiments import REGION_DELAYS, measure, runs
from labs.replication.history import monotonic_read_violations, read_your_writes_violations, stale_reads
from labs.replication.simulator import simulate
from labs.replication.workloads import RandomClients, Scripted, WriteThenRead

# --- three replicas, one cut off: quorums that refuse (or degrade) ------------------------------
QUORUM_CLIENTS = {"c1": "n1", "c2": "n2", "c3": "n3"}
MAJORITY_CLIENTS = ("c1", "c2")


def quorum_setup(r: int, w: int, on_partition: str = "refuse", duration: float = 300.0):
    """N=3 leaderless, a client on every node, and n3 cut off from 80 to 230 ms.

    Round trips take 2-10 ms, so a node gives up on missing replies after 50 ms.
    """
    cluster = Cluster.leaderless(3, r=r, w=w, on_partition=on_partition, timeout=50.0)
    workload = RandomClients(dict(QUORUM_CLIENTS), duration=duration)
    return cluster, workload, [Partition(80.0, 230.0, [{"n3"}])]


def quorum_outcome(r: int, w: int, seeds: Iterable[int] = range(100), on_partition: str = "refuse") -> dict:
    """Over many seeds: stale reads, and requests the majority side (n1, n2) could not complete."""
    cluster, workload, partitions = quorum_setup(r, w, on_partition)
    out = {"runs": 0, "reads_ok": 0, "stale_reads": 0, "majority_failures": 0, "minority_failures": 0}
    for run in runs(cluster, workload, seeds, partitions):
        out["runs"] += 1
        out["reads_ok"] += sum(op.kind == "read" and op.status == "ok" for op in run.history)
        out["stale_reads"] += len(stale_reads(run.history))
        for op in run.history:
            if op.status != "ok":
                out["majority_failures" if op.client in MAJORITY_CLIENTS else "minority_failures"] += 1
    return out


# --- probabilistically bounded staleness ---------------------------------------------------------
PBS_DELAYS = Delays(local=(2.0, 20.0))


def pbs_setup(r: int = 1, w: int = 1, gap: float = 8.0, rounds: int = 10):
    """N=3 leaderless in one data centre, delays uniform 2-20 ms; a reader on n2 reads ``gap`` ms
    after the writer on n1 is acknowledged."""
    cluster = Cluster.leaderless(3, r=r, w=w, delays=PBS_DELAYS)
    return cluster, WriteThenRead("n1", "n2", gap=gap, rounds=rounds, spacing=100.0)


def pbs_curve(gaps: Iterable[float] = range(1, 23), seeds: Iterable[int] = range(200)) -> pd.DataFrame:
    """The stale rate of R = W = 1 for each gap (ms) between a write's acknowledgement and a read.

    200 seeds of 10 rounds: 2,000 reads per gap, so each rate is within about 0.02 of P(delay > gap).
    """
    seeds = list(seeds)
    rows = []
    for gap in gaps:
        measured = measure(*pbs_setup(gap=float(gap)), seeds=seeds)
        rows.append({"gap_ms": gap, "reads": measured["reads_ok"], "stale_rate": measured["stale_rate"]})
    return pd.DataFrame(rows)


# --- sessions on a lagging follower ---------------------------------------------------------
SESSION_CLIENTS = {f"c{i}": "n2" for i in range(1, 5)}


def session_setup(router, apply_lag: float = 40.0, duration: float = 1000.0):
    """A leader n1 and a follower n2 that replays its log with a lag (exponential, mean 40 ms).

    Four clients live next to the follower; they write to the leader, and ``router`` decides
    where each read goes: ``router(client_state, request) -> "leader" | "follower"``.
    """
    cluster = Cluster.leader_follower(2, read_from=router, apply_lag=apply_lag, delays=Delays(local=(1.0, 5.0)))
    workload = RandomClients(dict(SESSION_CLIENTS), duration=duration, write_ratio=0.2, think=(5.0, 40.0))
    return cluster, workload


def session_outcome(router, seeds: Iterable[int] = range(20)) -> dict:
    """Reads, read-your-writes violations, reads that went back in time, and the follower's share."""
    reads = violations = backwards = on_follower = 0
    example = ""
    for seed in seeds:
        cluster, workload = session_setup(router)
        run = simulate(cluster, workload, seed)
        done = [op for op in run.history if op.kind == "read" and op.status == "ok"]
        reads += len(done)
        on_follower += sum(op.served_by == "n2" for op in done)
        backwards += len(monotonic_read_violations(run.history))
        found = read_your_writes_violations(run.history)
        violations += len(found)
        if found and not example:
            read, own = found[0]
            shown = "nothing" if read.value is None else read.value
            example = (f"{read.client} wrote {own.value} (acknowledged at {own.response:.1f} ms), "
                       f"then read {shown} at {read.invoke:.1f} ms (seed {seed})")
    return {"reads": reads, "violations": violations, "monotonic_violations": backwards, "on_follower": on_follower,
            "follower_share": on_follower / reads if reads else 0.0, "example": example}


def lsn_router(client_state: dict, request: dict) -> str:
    """Read-your-writes: the follower is fine once it has replayed the client's last write."""
    last = client_state["last_write_lsn"]
    return "follower" if last is None or request["follower_lsn"] >= last else "leader"


def causal_router(client_state: dict, request: dict) -> str:
    """Read-your-writes and monotonic reads: the follower must have replayed everything the client
    has written *or seen* (a causal token, like MongoDB's afterClusterTime)."""
    seen = [p for p in (client_state["last_write_lsn"], client_state["last_seen_lsn"]) if p is not None]
    return "follower" if not seen or request["follower_lsn"] >= max(seen) else "leader"


def window_router(ms: float) -> Callable[[dict, dict], str]:
    """Send reads to the leader for ``ms`` after the client's last write: a guess at the lag."""
    def route(client_state: dict, request: dict) -> str:
        last = client_state["last_write_at"]
        return "leader" if last is not None and request["now"] - last < ms else "follower"
    return route


# --- three regions ---------------------------------------------------------------------------
REGIONS = {"n1": "eu", "n2": "us", "n3": "asia"}


def regions_setup(r: int, w: int, duration: float = 2000.0):
    """One replica per region (eu, us, asia), a client in each; latency is read off the eu client c1."""
    cluster = Cluster.leaderless(nodes=tuple(REGIONS), r=r, w=w, dcs=dict(REGIONS), delays=REGION_DELAYS, timeout=2000.0)
    workload = RandomClients({"c1": "n1", "c2": "n2", "c3": "n3"}, duration=duration, think=(0.0, 50.0))
    return cluster, workload


# --- a quorum read that is not linearizable ------------------------------------------------------
def inversion_setup(read_repair: str = "off"):
    """Five replicas, R = W = 3, one writer with slow links to three replicas, two readers.

    A schedule (not a random run) that makes a "new then old" pair of reads: the first read's
    quorum includes the one replica that already has the new value, the second's does not.
    """
    nodes = ("n1", "n2", "n3", "n4", "n5")
    slow, fast = (50.0, 50.0), (1.0, 1.0)
    between = {("n1", "n2"): slow, ("n1", "n4"): slow, ("n1", "n5"): slow, ("n1", "n3"): fast,
               ("n2", "n3"): fast, ("n2", "n4"): (2.0, 2.0), ("n2", "n5"): fast, ("n4", "n5"): fast}
    delays = Delays(local=(0.0, 0.0), remote=(20.0, 20.0), between=between)
    cluster = Cluster.leaderless(nodes=nodes, r=3, w=3, dcs={n: n for n in nodes}, delays=delays,
                                 read_repair=read_repair)
    script = Scripted({"alice": "n1", "bob": "n2", "carol": "n5"},
                      [(0, "alice", "write"), (200, "alice", "write"), (202, "bob", "read"), (207, "carol", "read")])
    return cluster, script


# --- four small histories to judge by eye ----------------------------------------------------------
def quiz_histories() -> dict:
    """Four hand-made histories, A to D, for "which of these could one copy have produced?"."""
    from labs.replication.history import History

    return {
        "A": History.of(("c1", "write", 1, 0, 30), ("c2", "read", None, 5, 10), ("c3", "read", 1, 15, 20)),
        "B": History.of(("c1", "write", 1, 0, 30), ("c2", "read", 1, 5, 10), ("c3", "read", None, 15, 20)),
        "C": History.of(("c1", "write", 1, 0, 10), ("c2", "write", 2, 5, 25), ("c3", "read", 2, 12, 15),
                        ("c1", "read", 1, 30, 35)),
        "D": History.of(("c1", "write", 1, 0, 10), ("c2", "write", 2, 20, 30, "timeout"), ("c3", "read", 1, 40, 45),
                        ("c3", "read", 2, 50, 55)),
    }
