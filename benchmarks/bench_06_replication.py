"""How fast the replication lab runs: the simulator, the linearizability checker, the graders' checks.

    python benchmarks/bench_06_replication.py [--repeat 3]

Prints, as figures (no assertions):

- simulator throughput per design: simulated operations and events per second of CPU;
- the checker's cost as concurrency grows (more clients overlapping), for linearizable histories
  (the search must find a full order) and non-linearizable ones (plus shrinking to a minimal set);
- what notebook 06's slowest checks cost a learner: the R/W design (100 seeded runs in the
  grader's process) and the read-your-writes router (20 runs in a forked child).
"""
from __future__ import annotations

import argparse

from grader.notebook import evaluate, load_exercises
from labs.replication import Cluster, RandomClients, TooHard, check, simulate
from labs.replication.scenarios import lsn_router
from labs.timing import median_time


def clients(n: int, think=(0.0, 20.0), duration=2000.0) -> RandomClients:
    return RandomClients({f"c{i}": f"n{i % 3 + 1}" for i in range(1, n + 1)}, duration=duration, think=think)


def bench_simulator(repeat: int) -> None:
    print("simulator: 3 clients, 2 s of virtual time, 10 seeds per design")
    designs = {
        "leaderless R=1 W=1": Cluster.leaderless(3, r=1, w=1),
        "leaderless R=2 W=2": Cluster.leaderless(3, r=2, w=2),
        "leaderless R=2 W=2 + sync read repair": Cluster.leaderless(3, r=2, w=2, read_repair="sync"),
        "leader, async, local reads": Cluster.leader_follower(3, read_from="local", apply_lag=5),
        "leader, sync, leader reads": Cluster.leader_follower(3, sync=True),
    }
    print(f"  {'design':40} {'ops':>7} {'events':>8} {'seconds':>8} {'ops/s':>9} {'events/s':>10}")
    for name, cluster in designs.items():
        seconds, runs = median_time(lambda: [simulate(cluster, clients(3), seed) for seed in range(10)], repeat)
        ops = sum(len(r.history) for r in runs)
        events = sum(r.events for r in runs)
        print(f"  {name:40} {ops:7,} {events:8,} {seconds:8.3f} {ops / seconds:9,.0f} {events / seconds:10,.0f}")


MAX_STEPS = 500_000  # the search is exponential in the number of overlapping operations


def bench_checker(repeat: int) -> None:
    print("\nlinearizability checker: 1 s of virtual time, clients thinking 0-5 ms")
    print(f"  {'history':38} {'clients':>7} {'ops':>6} {'verdict':>8} {'seconds':>8} {'ms/100 ops':>10}")
    for label, cluster in (("R=W=2 + sync repair (linearizable)", Cluster.leaderless(3, r=2, w=2, read_repair="sync")),
                           ("R=W=1 (not linearizable)", Cluster.leaderless(3, r=1, w=1))):
        for n in (3, 6, 9, 12, 24):
            history = simulate(cluster, clients(n, think=(0.0, 5.0), duration=1000.0), 0).history
            try:
                seconds, result = median_time(lambda: check(history, max_steps=MAX_STEPS), repeat)
            except TooHard:
                print(f"  {label:38} {n:7} {len(history):6,} {'gave up':>8}  (more than {MAX_STEPS:,} search steps)")
                continue
            verdict = "ok" if result.ok else f"{len(result.offending)} bad"
            print(f"  {label:38} {n:7} {len(history):6,} {verdict:>8} {seconds:8.3f} {1e5 * seconds / len(history):10.2f}")


def bench_checks(repeat: int) -> None:
    print("\nnotebook 06 checks (what a learner waits for under the check cell)")
    exercises = load_exercises("06-cap-replication")
    from grader.specs import nb06_cap_replication as spec

    def design():
        spec._quorum_outcome.cache_clear()  # measure the cold check: 100 simulations
        return evaluate(exercises["quorum_rw"], {"r": 2, "w": 2})

    for label, fn in (("quorum_rw (100 seeded runs)", design),
                      ("read_your_writes_router (20 runs, forked)", lambda: evaluate(exercises["read_your_writes_router"], lsn_router)),
                      ("linearizable_histories (a choice)", lambda: evaluate(exercises["linearizable_histories"], {"A", "D"}))):
        seconds, verdict = median_time(fn, repeat)
        print(f"  {label:45} {seconds:7.3f} s  ({verdict.status.value})")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the median is shown)")
    args = parser.parse_args(argv)
    bench_simulator(args.repeat)
    bench_checker(args.repeat)
    bench_checks(args.repeat)


if __name__ == "__main__":
    main()
