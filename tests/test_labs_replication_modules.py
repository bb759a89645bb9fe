"""The replication simulator's modules: one home per concept, the facade, and the argument checks."""
import pytest

from labs.replication import config, leader, leaderless, requests, results, sim, simulator, workloads
from labs.replication.config import Cluster, Partition, refuse_unknown_nodes
from labs.replication.requests import Reply, Request
from labs.replication.simulator import Simulator, simulate
from labs.replication.workloads import RandomClients, Scripted, WriteThenRead


def test_the_facade_hands_out_the_objects_where_they_live():
    assert sim.Cluster is config.Cluster and sim.Delays is config.Delays and sim.Partition is config.Partition
    assert sim.RandomClients is workloads.RandomClients and sim.Scripted is workloads.Scripted
    assert sim.WriteThenRead is workloads.WriteThenRead
    assert sim.Run is results.Run and sim.quantile is results.quantile
    assert sim.simulate is simulator.simulate and sim.Simulator is simulator.Simulator
    assert sim.NO_VERSION is leaderless.NO_VERSION
    assert sim.Leaderless is leaderless.Leaderless and sim.LeaderFollower is leader.LeaderFollower


@pytest.mark.parametrize("cluster, protocol", [
    (Cluster.leaderless(3, r=2, w=2), leaderless.Leaderless),
    (Cluster.leader_follower(3), leader.LeaderFollower),
])
def test_each_mode_runs_its_own_protocol(cluster, protocol):
    assert type(Simulator(cluster, RandomClients({"c1": "n1"}, duration=50)).protocol) is protocol


def test_a_leaderless_read_collects_typed_replies_and_a_leader_write_counts_copies():
    seen = {}
    original_answer = leaderless.Leaderless._answer_read
    original_commit = leader.LeaderFollower._write_committed

    def answer(self, req, home):
        seen.setdefault("replies", list(req.replies))
        return original_answer(self, req, home)

    def commit(self, req):
        seen.setdefault("copies", set(req.copies))
        return original_commit(self, req)

    script = Scripted({"a": "n1", "b": "n2"}, [(0, "a", "write"), (50, "b", "read")])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(leaderless.Leaderless, "_answer_read", answer)
        patch.setattr(leader.LeaderFollower, "_write_committed", commit)
        simulate(Cluster.leaderless(3, r=2, w=3), script, seed=0)
        simulate(Cluster.leader_follower(3, sync=True), script, seed=0)
    assert len(seen["replies"]) == 2 and all(isinstance(reply, Reply) for reply in seen["replies"])
    assert all(reply.value == 1 for reply in seen["replies"])  # W=3: every replica holds the write
    assert seen["copies"] == {"n1", "n2", "n3"}


def test_a_request_starts_empty_and_each_request_has_its_own_lists():
    first, second = Request({"key": "x"}, 2), Request({"key": "x"}, 2)
    first.replies.append(Reply((1.0, 1, "n1"), "n1", 5))
    first.copies.add("n1")
    assert (second.replies, second.copies, second.acks, second.done, second.lsn) == ([], set(), 0, False, None)
    assert requests.Request is Request


def test_refuse_unknown_nodes_says_what_named_them():
    refuse_unknown_nodes("skew", ["n1"], ("n1", "n2"))  # known: nothing happens
    with pytest.raises(ValueError, match=r"^skew names unknown node 'n3', 'n9'; known nodes: n1, n2$"):
        refuse_unknown_nodes("skew", ["n9", "n3"], ("n1", "n2"))


@pytest.mark.parametrize("make, message", [
    (lambda: Cluster.leaderless(3, r=True), r"r must be a whole number from 1 to N=3 .*got True"),
    (lambda: Cluster.leaderless(3, w=2.0), r"w must be a whole number from 1 to N=3 .*got 2.0"),
    (lambda: Cluster(nodes=True), r"nodes must be a number of nodes or a list of names; got True"),
    (lambda: Cluster(nodes="n1n2"), r"nodes must be a number of nodes or a list of names; got 'n1n2'"),
    (lambda: Cluster.leaderless(3, timeout=True), r"timeout must be a positive number of ms; got True"),
    (lambda: Cluster.leaderless(3, timeout=float("inf")), r"timeout must be a positive number of ms"),
    (lambda: Cluster.leaderless(3, apply_lag=float("nan")), r"apply_lag must be a mean delay in ms, >= 0"),
    (lambda: Partition("100", 400, [{"n3"}]), r"a partition needs 0 <= start < end"),
    (lambda: RandomClients({"c1": "n1"}, duration=False), r"duration must be a positive number of ms"),
    (lambda: RandomClients({"c1": "n1"}, write_ratio=True), r"write_ratio must be between 0 and 1"),
    (lambda: WriteThenRead(rounds=True), r"rounds must be a whole number >= 1; got True"),
    (lambda: WriteThenRead(spacing="500"), r"spacing must be a positive number of ms"),
    (lambda: Scripted({"a": "n1"}, [(True, "a", "read")]), r"a step's time must be >= 0 ms; got True"),
])
def test_bools_and_strings_are_not_numbers(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_whole_numbers_of_any_integer_type_name_nodes():
    numpy = pytest.importorskip("numpy")
    assert config.node_names(numpy.int64(2)) == ("n1", "n2")
    assert Cluster.leaderless(numpy.int64(3), r=numpy.int64(2)).describe().startswith("leaderless N=3 R=2")
