"""The replication lab: simulator, histories, the linearizability checker and the pictures."""
import math

import matplotlib
import pytest

matplotlib.use("Agg")

from labs.replication import (Cluster, Delays, History, Partition, RandomClients, Scripted, TooHard,  # noqa: E402
                              WriteThenRead, check, monotonic_read_violations, read_your_writes_violations,
                              simulate, stale_rate, stale_reads)
from labs.replication import experiments, plots, scenarios  # noqa: E402

THREE = {"c1": "n1", "c2": "n2", "c3": "n3"}
CUT_N3 = [Partition(100, 300, [{"n3"}])]


def clients(duration=400, **kw):
    return RandomClients(dict(THREE), duration=duration, **kw)


# --- bad input ------------------------------------------------------------------------------
@pytest.mark.parametrize("make, message", [
    (lambda: Cluster.leaderless(3, r=4), r"r must be a whole number from 1 to N=3 .*got 4"),
    (lambda: Cluster.leaderless(3, w=0), r"w must be a whole number from 1 to N=3 .*got 0"),
    (lambda: Cluster.leaderless(nodes=0), r"nodes must be at least 1"),
    (lambda: Cluster(nodes=[]), r"nodes must name at least one node"),
    (lambda: Cluster(nodes=["a", "a"]), r"nodes must be distinct"),
    (lambda: Cluster(mode="raft"), r"mode must be one of 'leaderless', 'leader'; got 'raft'"),
    (lambda: Cluster(on_partition="ca"), r"on_partition must be one of 'refuse', 'degrade'; got 'ca'"),
    (lambda: Cluster(read_repair="maybe"), r"read_repair must be one of 'off', 'async', 'sync'"),
    (lambda: Cluster.leader_follower(3, leader="n7"), r"leader names unknown node 'n7'; known nodes: n1, n2, n3"),
    (lambda: Cluster.leader_follower(3, read_from="nearest"), r"read_from must be one of 'leader', 'local' or a router"),
    (lambda: Cluster.leaderless(3, read_from="local"), r"read_from applies to leader mode only"),
    (lambda: Cluster.leaderless(3, dcs={"n1": "eu", "n2": "eu"}), r"dcs must give a data centre for every node; missing n3"),
    (lambda: Cluster.leaderless(3, dcs={"n1": "eu", "n2": "eu", "n3": "us", "n4": "us"}), r"dcs names unknown node 'n4'"),
    (lambda: Cluster.leaderless(3, timeout=0), r"timeout must be a positive number of ms"),
    (lambda: Cluster.leaderless(3, apply_lag=-1), r"apply_lag must be a mean delay in ms, >= 0"),
    (lambda: Delays(local=(-1, 5)), r"delays.local must satisfy 0 <= low <= high .*no negative|cannot be negative"),
    (lambda: Delays(remote=(50, 10)), r"delays.remote must satisfy 0 <= low <= high"),
    (lambda: Delays(local="fast"), r"delays.local must be a \(low, high\) pair"),
    (lambda: Partition(300, 100, [{"n3"}]), r"a partition needs 0 <= start < end"),
    (lambda: Partition(0, 100, []), r"at least one non-empty side"),
    (lambda: Partition(0, 100, [{"n1"}, {"n1", "n2"}]), r"partition sides overlap on n1"),
    (lambda: RandomClients({}), r"clients must map at least one client"),
    (lambda: RandomClients(THREE, think=(0, 0)), r"think must allow some time"),
    (lambda: RandomClients(THREE, write_ratio=1.5), r"write_ratio must be between 0 and 1"),
    (lambda: WriteThenRead(gap=0), r"gap must be a positive number of ms"),
    (lambda: Scripted({"a": "n1"}, [(0, "b", "read")]), r"step names unknown client 'b'; known clients: a"),
    (lambda: Scripted({"a": "n1"}, [(0, "a", "delete")]), r"a step's kind must be 'read' or 'write'"),
])
def test_bad_input_is_refused_with_a_clear_message(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_simulate_refuses_unknown_nodes_in_partitions_and_workloads():
    with pytest.raises(ValueError, match=r"partition names unknown node 'n9'; known nodes: n1, n2, n3"):
        simulate(Cluster.leaderless(3), clients(), partitions=[Partition(0, 10, [{"n9"}])])
    with pytest.raises(ValueError, match=r"workload clients names unknown node 'n5'"):
        simulate(Cluster.leaderless(3), RandomClients({"c1": "n5"}))


def test_a_router_must_answer_leader_or_follower():
    cluster = Cluster.leader_follower(2, read_from=lambda state, request: "primary")
    with pytest.raises(ValueError, match=r"the router must return 'leader' or 'follower'; got 'primary'"):
        simulate(cluster, RandomClients({"c1": "n2"}, write_ratio=0.0))


# --- the engine ------------------------------------------------------------------------------
def test_same_seed_same_run_other_seed_other_run():
    cluster = Cluster.leaderless(3, r=2, w=2)
    a, b = simulate(cluster, clients(), 3, CUT_N3), simulate(cluster, clients(), 3, CUT_N3)
    assert a.history == b.history and a.changes == b.changes and a.messages == b.messages
    assert simulate(cluster, clients(), 4, CUT_N3).history != a.history


def test_every_operation_gets_exactly_one_answer_and_values_are_unique():
    run = simulate(Cluster.leaderless(3, r=2, w=2), clients(), 1, CUT_N3)
    assert all(op.status in ("ok", "fail", "timeout") and op.response >= op.invoke for op in run.history)
    written = [op.value for op in run.history if op.kind == "write"]
    assert len(written) == len(set(written)) > 10
    for client in THREE:  # clients are sequential: one op at a time
        mine = [op for op in run.history if op.client == client]
        assert all(a.response <= b.invoke for a, b in zip(mine, mine[1:]))


def test_messages_are_lost_only_across_a_partition():
    cluster = Cluster.leaderless(3, r=1, w=1)
    assert simulate(cluster, clients(), 0).messages["lost"] == 0
    assert simulate(cluster, clients(), 0, CUT_N3).messages["lost"] > 0


def test_links_are_fifo():
    """Two writes from n1, the second sent while the first is in flight, arrive in order everywhere."""
    cluster = Cluster.leaderless(3, r=1, w=1, delays=Delays(local=(1, 50)))
    for seed in range(10):
        run = simulate(cluster, Scripted({"a": "n1"}, [(0, "a", "write"), (0.5, "a", "write")]), seed)
        for node in ("n2", "n3"):
            assert [v for _, n, _, v in run.changes if n == node] == [1, 2]


# --- quorums, CP and AP -------------------------------------------------------------------------
def test_overlapping_quorums_never_read_stale_and_partial_ones_do():
    strong = experiments.measure(Cluster.leaderless(3, r=2, w=2), clients(), seeds=range(10))
    partial = experiments.measure(Cluster.leaderless(3, r=1, w=1), clients(), seeds=range(10))
    assert strong["stale_reads"] == 0 and strong["reads_ok"] > 100
    assert partial["stale_reads"] > 10


def test_refusing_turns_the_minority_side_away_and_keeps_the_majority_going():
    run = simulate(Cluster.leaderless(3, r=2, w=2, on_partition="refuse", timeout=50), clients(), 2, CUT_N3)
    during = [op for op in run.history if 100 <= op.invoke < 300]
    assert {op.status for op in during if op.client == "c3"} == {"fail"}  # refused at once, nothing applied
    assert all(op.status == "ok" for op in during if op.client != "c3")
    assert any(op.status == "timeout" for op in run.history)  # caught in flight when the cut came
    assert stale_reads(run.history) == [] and run.converged


def test_degrading_answers_everyone_diverges_then_converges():
    run = simulate(Cluster.leaderless(3, r=2, w=2, on_partition="degrade"), clients(), 2, CUT_N3)
    assert all(op.status == "ok" for op in run.history)

    def held(node, t):
        values = [v for when, n, _, v in run.changes if n == node and when <= t]
        return values[-1] if values else None

    assert any(held("n3", t) != held("n1", t) for t in range(120, 300, 10))  # apart during the partition
    assert run.converged  # and together after the heal
    assert experiments.measure(Cluster.leaderless(3, r=2, w=2, on_partition="degrade"), clients(), range(10), CUT_N3)["stale_reads"] > 0


def test_quorums_are_linearizable_with_synchronous_read_repair():
    outcome = experiments.measure(Cluster.leaderless(3, r=2, w=2, read_repair="sync"), clients(duration=300),
                                  seeds=range(10), partitions=CUT_N3, linearizable=True)
    assert outcome["linearizable_runs"] == 10 and outcome["stale_reads"] == 0


def test_a_quorum_without_read_repair_can_read_new_then_old():
    run = simulate(*scenarios.inversion_setup("off"))
    result = check(run.history)
    assert not result.ok and stale_reads(run.history) == []  # no stale read, yet not linearizable
    assert [op.label for op in result.offending] == ["w1", "w2", "r2", "r1"]
    assert check(simulate(*scenarios.inversion_setup("sync")).history).ok


def test_pbs_stale_rate_matches_the_delay_distribution():
    cluster, workload = scenarios.pbs_setup(gap=8.0)
    measured = experiments.measure(cluster, workload, seeds=range(100))["stale_rate"]
    assert measured == pytest.approx((20 - 8) / (20 - 2), abs=0.05)
    cluster, workload = scenarios.pbs_setup(gap=25.0)
    assert experiments.measure(cluster, workload, seeds=range(20))["stale_rate"] == 0.0


# --- leader / follower -------------------------------------------------------------------------
def test_async_follower_reads_are_stale_sync_ones_are_not():
    async_local = Cluster.leader_follower(3, sync=False, read_from="local", apply_lag=5)
    sync_local = Cluster.leader_follower(3, sync=True, read_from="local", apply_lag=5)
    assert experiments.measure(async_local, clients(), seeds=range(5))["stale_reads"] > 0
    outcome = experiments.measure(sync_local, clients(), seeds=range(5))
    assert outcome["stale_reads"] == 0
    assert outcome["write_p50_ms"] > experiments.measure(async_local, clients(), seeds=range(5))["write_p50_ms"]


def test_leader_reads_are_linearizable():
    outcome = experiments.measure(Cluster.leader_follower(3, read_from="leader"), clients(), seeds=range(5),
                                  linearizable=True)
    assert outcome["linearizable_runs"] == 5


def test_leader_mode_refuses_a_cut_off_follower_or_degrades_and_heals():
    refuse = simulate(Cluster.leader_follower(3, read_from="local", on_partition="refuse"), clients(), 5, CUT_N3)
    assert {op.status for op in refuse.history if op.client == "c3" and 100 <= op.invoke < 300} == {"fail"}
    degrade = simulate(Cluster.leader_follower(3, read_from="local", on_partition="degrade"), clients(), 5, CUT_N3)
    assert all(op.status == "ok" for op in degrade.history)
    assert any(op.served_by == "n3" for op in degrade.history if op.kind == "write")  # taken locally
    assert degrade.converged


def test_sync_replication_stops_writes_when_a_follower_is_cut_off():
    run = simulate(Cluster.leader_follower(3, sync=True), clients(), 1, CUT_N3)
    during = [op for op in run.history if op.kind == "write" and 110 <= op.invoke < 290]
    assert during and all(op.status != "ok" for op in during)


def test_routing_by_log_position_keeps_read_your_writes():
    good = scenarios.session_outcome(scenarios.lsn_router, seeds=range(5))
    assert good["violations"] == 0 and good["follower_share"] > 0.6
    naive = scenarios.session_outcome(lambda state, request: "follower", seeds=range(5))
    assert naive["violations"] > 0 and "then read" in naive["example"]


def test_read_your_writes_is_not_monotonic_reads_and_a_causal_token_gives_both():
    own = scenarios.session_outcome(scenarios.lsn_router, seeds=range(10))
    assert own["violations"] == 0 and own["monotonic_violations"] > 0  # back in time after a leader read
    causal = scenarios.session_outcome(scenarios.causal_router, seeds=range(10))
    assert causal["violations"] == causal["monotonic_violations"] == 0 and causal["follower_share"] > 0.6


# --- histories ---------------------------------------------------------------------------------
def test_stale_reads_follow_real_time():
    h = History.of(
        ("a", "write", 1, 0, 10),
        ("b", "read", None, 5, 8),     # concurrent: fine
        ("c", "read", None, 12, 14),   # stale
        ("a", "write", 2, 20, 40),
        ("b", "write", 3, 25, 35),     # overlaps write 2
        ("c", "read", 2, 45, 50),      # fine: 2 may be last
        ("a", "read", 1, 46, 52),      # stale
        ("b", "write", 4, 55, 57, "fail"),
        ("c", "read", 3, 60, 65),      # fine: a refused write never happened
    )
    assert [(read.op_id, missed.value) for read, missed in stale_reads(h)] == [(2, 1), (6, 3)]
    assert stale_rate(h) == pytest.approx(2 / 5)


def test_session_anomalies():
    h = History.of(("a", "write", 1, 0, 5), ("a", "write", 2, 10, 15), ("a", "read", 1, 20, 25),
                   ("b", "read", 2, 30, 35), ("b", "read", 1, 40, 45))
    assert [(r.op_id, own.value) for r, own in read_your_writes_violations(h)] == [(2, 2)]
    assert [(x.op_id, y.op_id) for x, y in monotonic_read_violations(h)] == [(3, 4)]


def test_history_frame_round_trip_and_duckdb():
    from labs.engines import duckdb

    run = simulate(Cluster.leaderless(3, r=1, w=1), clients(), 0, CUT_N3)
    frame = run.history.frame()
    assert list(frame.columns) == ["op_id", "client", "node", "kind", "key", "value", "invoke", "response",
                                   "status", "served_by"]
    assert History.from_frame(frame) == run.history
    con = duckdb()
    con.register("history", frame)
    n_reads = con.execute("SELECT count(*) FROM history WHERE kind = 'read' AND status = 'ok'").fetchone()[0]
    assert n_reads == sum(op.kind == "read" and op.status == "ok" for op in run.history)


def test_hand_made_rows_are_checked():
    with pytest.raises(ValueError, match=r"kind must be one of read, write; got 'delete'"):
        History.of(("a", "delete", 1, 0, 1))
    with pytest.raises(ValueError, match=r"response \(1\) is before invoke \(5\)"):
        History.of(("a", "read", 1, 5, 1))
    with pytest.raises(ValueError, match=r"row 0 must be"):
        History.of(("a", "read"))


# --- the linearizability checker ----------------------------------------------------------------
LINEARIZABLE = {
    "sequential": [("a", "write", 1, 0, 1), ("b", "read", 1, 2, 3), ("a", "write", 2, 4, 5), ("b", "read", 2, 6, 7)],
    "read before write lands": [("a", "write", 1, 0, 10), ("b", "read", None, 2, 4)],
    "read overlaps write, sees it": [("a", "write", 1, 0, 10), ("b", "read", 1, 2, 4)],
    "old then new during a write": [("a", "write", 1, 0, 30), ("b", "read", None, 5, 10), ("c", "read", 1, 15, 20)],
    "overlapping writes, either order": [("a", "write", 1, 0, 10), ("b", "write", 2, 5, 15), ("c", "read", 1, 20, 25)],
    "timed-out write lands late": [("a", "write", 1, 0, 10), ("b", "write", 2, 20, 30, "timeout"),
                                   ("c", "read", 1, 40, 45), ("c", "read", 2, 50, 55)],
    "timed-out write never lands": [("a", "write", 1, 0, 10), ("b", "write", 2, 20, 30, "timeout"), ("c", "read", 1, 40, 45)],
    "refused write ignored": [("a", "write", 1, 0, 10), ("b", "write", 2, 20, 30, "fail"), ("c", "read", 1, 40, 45)],
    "touching ends are concurrent": [("a", "write", 1, 0, 10), ("b", "read", None, 10, 12)],
    "empty": [],
}
NOT_LINEARIZABLE = {
    "stale read": ([("a", "write", 1, 0, 10), ("a", "write", 2, 20, 30), ("b", "read", 1, 40, 50)], ["w1", "w2", "r1"]),
    "new then old": ([("a", "write", 1, 0, 30), ("b", "read", 1, 5, 10), ("c", "read", None, 15, 20)], ["w1", "r1", "r-"]),
    "value never written": ([("a", "write", 1, 0, 10), ("b", "read", 7, 20, 30)], ["r7"]),
    "refused write was read": ([("a", "write", 1, 0, 10, "fail"), ("b", "read", 1, 20, 30)], ["r1"]),
    "readers disagree on the order": ([("a", "write", 1, 0, 100), ("b", "write", 2, 0, 100),
                                       ("c", "read", 1, 10, 20), ("c", "read", 2, 30, 40),
                                       ("d", "read", 2, 10, 20), ("d", "read", 1, 30, 40)],
                                      ["w1", "w2", "r1", "r2", "r2", "r1"]),
}


@pytest.mark.parametrize("name", LINEARIZABLE)
def test_linearizable_histories_pass_with_a_valid_witness(name):
    h = History.of(*LINEARIZABLE[name])
    result = check(h)
    assert result.ok, name
    points = result.points()
    for ops in result.order.values():
        assert [points[op.op_id] for op in ops] == sorted(points[op.op_id] for op in ops)
        for op in ops:
            end = op.response if op.status == "ok" else math.inf
            assert op.invoke <= points[op.op_id] <= end


@pytest.mark.parametrize("name", NOT_LINEARIZABLE)
def test_non_linearizable_histories_fail_with_the_minimal_offending_ops(name):
    rows, offending = NOT_LINEARIZABLE[name]
    result = check(History.of(*rows))
    assert not result.ok and result.key == "x"
    assert [op.label for op in result.offending] == offending
    assert "NOT linearizable on key 'x'" in str(result)


def test_keys_are_checked_separately():
    ok_x = History.of(("a", "write", 1, 0, 10), ("b", "read", 1, 20, 30), key="x")
    bad_y = History.of(("a", "write", 1, 0, 10), ("a", "write", 2, 20, 30), ("b", "read", 1, 40, 50), key="y")
    both = History([*ok_x, *(op.__class__(op.op_id + 10, *[getattr(op, f) for f in
                                                               ("client", "kind", "key", "value", "invoke", "response")])
                             for op in bad_y)])
    result = check(both)
    assert not result.ok and result.key == "y" and len(result.offending) == 3
    assert check(ok_x).ok


def test_long_simulated_histories_are_checked_quickly():
    run = simulate(Cluster.leaderless(3, r=2, w=2), RandomClients({f"c{i}": f"n{i % 3 + 1}" for i in range(6)},
                                                                   duration=2000, think=(0, 5)), 0)
    assert len(run.history) > 500 and check(run.history).ok


def test_the_search_has_a_budget():
    rows = [(f"c{i}", "write", i, 0, 100) for i in range(1, 15)] + [("r", "read", 99, 200, 210)]
    with pytest.raises(TooHard, match="gave up after 50 search steps"):
        check(History.of(*rows), max_steps=50)


# --- pictures and sweeps ------------------------------------------------------------------------
def test_timeline_has_a_lane_per_client_and_red_offending_bars():
    h = History.of(*NOT_LINEARIZABLE["stale read"][0])
    result = check(h)
    ax = plots.timeline(h, offending=result.offending, partitions=[Partition(15, 35, [{"n1"}])])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    red = [bar for bar in ax.patches if matplotlib.colors.to_hex(bar.get_facecolor()) == plots.OFFENDING]
    assert len(red) == 3
    matplotlib.pyplot.close("all")


def test_replica_values_and_grids_draw():
    run = simulate(Cluster.leaderless(3, r=1, w=1, on_partition="degrade"), clients(), 0, CUT_N3)
    ax = plots.replica_values(run)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["n1", "n2", "n3"]
    grid = experiments.quorum_grid(3, clients(duration=200), seeds=range(2))
    assert len(grid) == 9 and set(grid.columns) >= {"r", "w", "stale_rate", "read_p50_ms"}
    plots.quorum_grid(grid)
    plots.latency_lines(grid.assign(layout="one"), x="r", y="read_p50_ms")
    matplotlib.pyplot.close("all")


def test_quorum_latency_follows_the_nearest_replicas():
    frame = experiments.latency_by_layout({"three regions": scenarios.REGIONS}, seeds=range(2), duration=1500)
    by_r = frame.set_index("r")
    assert by_r.loc[1, "read_p50_ms"] == 0.0                 # the local replica
    assert 76 <= by_r.loc[2, "read_p50_ms"] <= 84            # one round trip eu-us
    assert 160 <= by_r.loc[3, "read_p50_ms"] <= 180          # one round trip eu-asia
    assert by_r["stale_reads"].sum() == 0                    # R + W > N in every row


# --- consensus, split brain and fencing ---------------------------------------------------------
def test_only_majorities_always_overlap():
    from labs.replication.consensus import quorum_overlap

    table = quorum_overlap((2, 3, 4, 5, 6))
    assert (table["more_than_half"] == ~table["two_disjoint_quorums"]).all()  # W > N/2 exactly when they overlap
    row = table.set_index(["n", "quorum"]).loc[(4, 2)]
    assert not row["more_than_half"] and row["two_disjoint_quorums"]  # half of 4 is not enough


def test_the_majority_side_elects_a_new_leader_in_a_higher_term():
    from labs.replication.consensus import failover, majority

    run = failover(fencing=False)
    first, second = run.elections
    assert (first.term, first.leader) == (1, "n1")
    assert second.term == 2 and second.leader not in ("n1", "n2") and 100 < second.time < 600
    assert len(second.votes) >= majority(5) and not set(second.votes) & {"n1", "n2"}
    assert any("n1 sees term 2: steps down" in line for line in run.log)
    assert failover(fencing=False).writes == run.writes  # deterministic


def test_without_fencing_the_old_leader_keeps_writing_and_with_it_the_storage_refuses():
    from labs.replication.consensus import failover

    split = failover(fencing=False)
    fenced = failover(fencing=True)
    assert split.stale_sent == fenced.stale_sent > 10  # the old leader does not know, either way
    assert split.stale_accepted == split.stale_sent and split.flips() > 10
    assert fenced.stale_accepted == 0 and fenced.rejected == fenced.stale_sent and fenced.flips() == 1
    assert all(w.term == 2 for w in fenced.writes if w.accepted and w.time >= fenced.takeover)


def test_failover_refuses_bad_input():
    from labs.replication.consensus import failover

    with pytest.raises(ValueError, match="cut_off names unknown nodes: n9"):
        failover(fencing=True, cut_off=("n1", "n9"))
    with pytest.raises(ValueError, match="the partition needs 0 <= start < end"):
        failover(fencing=True, start=500, end=100)


def test_replica_values_colours_each_value_once_and_labels_the_partition():
    from labs.replication.consensus import failover

    run = simulate(Cluster.leaderless(3, r=2, w=2, on_partition="degrade"), clients(), 0, CUT_N3)
    ax = plots.replica_values(run)
    colours = {matplotlib.colors.to_hex(bar.get_facecolor()) for bar in ax.patches if bar.get_width() > 0} - {plots.PARTITION}
    assert len(colours) == len({v for *_, v in run.changes if v is not None})  # one colour per value, none reused
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["partition"]
    ax = plots.fencing(failover(fencing=True))
    assert "refused: stale token" in [t.get_text() for t in ax.get_legend().get_texts()]
    matplotlib.pyplot.close("all")
