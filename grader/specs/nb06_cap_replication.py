"""Exercises of 06-cap-replication: quorums, staleness, linearizability, sessions, CAP and PACELC.

The expected answers come from the lab's simulator (``labs.replication``), run on first use:
the same seeded runs the notebook shows, so a learner who measures gets the grader's numbers.

    >>> [ex.id for ex in EXERCISES]
    ['partial_quorum_stale_rate', 'quorum_rw', 'stale_reads_sql', 'linearizable_histories',
     'read_your_writes_router', 'cap_under_partition', 'pacelc_write_latency']
"""
from __future__ import annotations

from functools import lru_cache

import pandas as pd

from grader.kinds import Choice, Design, Function, Mistake, Number, Requirement, Sql

NOTEBOOK = "06-cap-replication"
COVERS = ("Q1.3", "A4", "A6")  # the question ids the exercises prepare for


# --- 1. stale reads of a partial quorum (R + W <= N) -----------------------------------------
# The exact answer: the read is stale when the write's message from n1 to n2 takes longer than
# the 8 ms gap, P(delay > 8) for a delay uniform on 2-20 ms. A measurement over s seeds (10 reads
# each) scatters around it with a standard error of about 0.47 / sqrt(10 s): 0.015 at 100 seeds,
# so a tolerance of 0.05 accepts any honest measurement from 100 seeds on.
PBS_STALE_RATE = (20 - 8) / (20 - 2)
PBS_TOLERANCE = 0.05
_NOISE = ("sampling noise: use more seeds (at 200 seeds, 2,000 reads, a measurement lands within about 0.02 of the "
          "exact value)")
# --- 2. choosing R and W -----------------------------------------------------------------------
@lru_cache(maxsize=32)
def _quorum_outcome(r, w) -> dict:
    from labs.replication.scenarios import quorum_outcome

    return quorum_outcome(r, w, seeds=range(100))


def _valid_quorum(design: dict) -> bool:
    return all(isinstance(design[k], int) and not isinstance(design[k], bool) and 1 <= design[k] <= 3 for k in ("r", "w"))


def _no_stale_reads(design: dict) -> bool:
    return _valid_quorum(design) and _quorum_outcome(design["r"], design["w"])["stale_reads"] == 0


def _majority_available(design: dict) -> bool:
    return _valid_quorum(design) and _quorum_outcome(design["r"], design["w"])["majority_failures"] == 0


# --- 3. stale reads in SQL ---------------------------------------------------------------------
# A hand-made history with every trap a stale-read query can fall into (see the tests).
_HISTORY_ROWS = [
    # op_id, client, kind, key, value, invoke, response, status
    (1, "c1", "write", "x", 1, 0.0, 10.0, "ok"),
    (2, "c2", "read", "x", None, 2.0, 4.0, "ok"),       # concurrent with write 1: may see nothing
    (3, "c3", "read", "x", None, 12.0, 14.0, "ok"),     # STALE: write 1 was acknowledged at 10
    (11, "c2", "read", "x", 1, 11.0, 13.0, "ok"),       # fine, and a second read of 1 (a join must not fan out)
    (4, "c1", "write", "x", 2, 20.0, 40.0, "ok"),
    (5, "c2", "write", "x", 3, 25.0, 35.0, "ok"),        # overlaps write 2: either may be last
    (6, "c3", "read", "x", 2, 45.0, 50.0, "ok"),        # fine: 2 may have landed after 3
    (7, "c1", "read", "x", 1, 46.0, 52.0, "ok"),        # STALE: 1 was overwritten before 45
    (8, "c2", "write", "x", 4, 55.0, 57.0, "fail"),     # refused: never happened
    (9, "c3", "read", "x", 3, 60.0, 65.0, "ok"),        # fine: the refused write does not count
    (10, "c1", "write", "x", 5, 70.0, 570.0, "timeout"),  # maybe applied, at any time after 70
    (12, "c3", "write", "x", 6, 90.0, 95.0, "ok"),
    (13, "c2", "read", "x", 5, 100.0, 105.0, "ok"),     # fine: the timed-out write may land after 6
    (14, "c3", "write", "x", 7, 600.0, 605.0, "ok"),
    (15, "c1", "read", "x", 5, 610.0, 615.0, "ok"),     # fine: still may have landed last
    (16, "c2", "write", "x", 8, 620.0, 640.0, "ok"),
    (17, "c3", "read", "x", 7, 630.0, 650.0, "ok"),     # fine: write 8 ended during the read
    (18, "c1", "read", "x", 7, 640.0, 645.0, "ok"),     # fine: write 8 ended as the read began
    (19, "c1", "write", "y", 9, 700.0, 705.0, "ok"),
    (20, "c2", "read", "x", 8, 710.0, 715.0, "ok"),     # fine: a write to y does not overwrite x
    (21, "c3", "read", "y", None, 720.0, 722.0, "ok"),  # STALE: y was written at 705
    (22, "c1", "write", "z", 10, 800.0, 810.0, "ok"),
    (23, "c2", "write", "z", 11, 810.0, 820.0, "ok"),   # begins as write 22 ends: the two are concurrent
    (24, "c3", "read", "z", 10, 830.0, 835.0, "ok"),    # fine: write 23 may have taken effect first
    (26, "c1", "write", "z", 2, 840.0, 845.0, "ok"),    # values are unique per key only: x had a 2 too
    (27, "c2", "read", "z", 2, 850.0, 855.0, "ok"),     # fine: nothing on z was written after z=2
    (25, "c3", "read", "x", None, 66.0, 66.5, "fail"),  # refused: the client got no value, so nothing stale
]


def sql_fixture_history() -> pd.DataFrame:
    frame = pd.DataFrame(_HISTORY_ROWS, columns=["op_id", "client", "kind", "key", "value", "invoke", "response", "status"])
    frame["value"] = frame["value"].astype("Int64")
    frame["node"] = frame["client"].str.replace("c", "n")
    frame["served_by"] = None
    return frame[["op_id", "client", "node", "kind", "key", "value", "invoke", "response", "status", "served_by"]]


STALE_READS_SQL = """\
SELECT r.op_id
FROM history AS r
LEFT JOIN history AS src                      -- the write that produced the value read
  ON src.kind = 'write' AND src.key = r.key AND src.value = r.value
WHERE r.kind = 'read' AND r.status = 'ok'
  AND EXISTS (                                -- an acknowledged write, done before the read began,
    SELECT 1 FROM history AS w                -- that surely came after the value read
    WHERE w.kind = 'write' AND w.status = 'ok' AND w.key = r.key
      AND w.response < r.invoke
      AND (r.value IS NULL OR (src.status = 'ok' AND src.response < w.invoke)))"""


def _variant(old: str, new: str) -> str:
    """The reference with one known slip in it."""
    assert old in STALE_READS_SQL, old
    return STALE_READS_SQL.replace(old, new)


STALE_READS_MISTAKES = (
    Mistake("a refused write (status 'fail') never happened, so it cannot make a read stale: count only "
            "acknowledged writes (w.status = 'ok').",
            sql=_variant("w.kind = 'write' AND w.status = 'ok'", "w.kind = 'write'")),
    Mistake("a write that ends while the read is running is concurrent with it: compare the write's end with the "
            "read's start (w.response < r.invoke).",
            sql=_variant("w.response < r.invoke", "w.response < r.response")),
    Mistake("a write that ends exactly as the read begins is concurrent with it, not before it: use "
            "w.response < r.invoke, not <=.",
            sql=_variant("w.response < r.invoke", "w.response <= r.invoke")),
    Mistake("a timed-out write may still land at any later time, even after the later write, so a value it wrote "
            "is never surely older: require the source write to be acknowledged (src.status = 'ok').",
            sql=_variant("src.status = 'ok' AND ", "")),
    Mistake("a read of nothing (value NULL) has no source write, and an inner join drops it: join the source "
            "with a LEFT JOIN.",
            sql=_variant("LEFT JOIN", "JOIN")),
    Mistake("a write to another key does not overwrite this one: match the later write on the read's key.",
            sql=_variant("w.status = 'ok' AND w.key = r.key", "w.status = 'ok'")),
    Mistake("a stale read comes out twice: the join to the source also matched reads of the same value, so "
            "keep src.kind = 'write' (or use EXISTS or DISTINCT).",
            sql=_variant("ON src.kind = 'write' AND ", "ON ")),
    Mistake("values are unique per key only: match the source write on the read's key as well as its value.",
            sql=_variant("AND src.key = r.key ", "")),
    Mistake("a write that begins exactly as the source write ends is concurrent with it and may take effect "
            "first: use src.response < w.invoke, not <=.",
            sql=_variant("src.response < w.invoke", "src.response <= w.invoke")),
    Mistake("a refused read gave its client no value, so it cannot be stale: keep only acknowledged reads "
            "(r.status = 'ok').",
            sql=_variant("WHERE r.kind = 'read' AND r.status = 'ok'", "WHERE r.kind = 'read'")),
    Mistake("staleness is about real time, not the order of values: overlapping writes may take effect in either "
            "order, so a smaller value is not necessarily an older one.",
            sql="""SELECT r.op_id FROM history r WHERE r.kind = 'read' AND r.status = 'ok'
                   AND coalesce(r.value, 0) < (SELECT max(w.value) FROM history w WHERE w.kind = 'write'
                       AND w.status = 'ok' AND w.key = r.key AND w.response < r.invoke)"""),
    Mistake("the write acknowledged last is not necessarily the last to take effect: overlapping writes may land "
            "in either order, and a timed-out one may land late. Ask instead whether a write surely came after the "
            "value read.",
            sql="""SELECT r.op_id FROM history r
                   WHERE r.kind = 'read' AND r.status = 'ok'
                     AND r.value IS DISTINCT FROM (
                       SELECT w.value FROM history w WHERE w.kind = 'write' AND w.status = 'ok' AND w.key = r.key
                         AND w.response < r.invoke ORDER BY w.response DESC LIMIT 1)
                     AND EXISTS (SELECT 1 FROM history w WHERE w.kind = 'write' AND w.status = 'ok'
                                 AND w.key = r.key AND w.response < r.invoke)"""),
)


# --- 5. read-your-writes routing -------------------------------------------------------------
def _lsn_router(client_state, request):
    last = client_state["last_write_lsn"]
    return "follower" if last is None or request["follower_lsn"] >= last else "leader"


def _session_probe(router) -> dict:
    from labs.replication.scenarios import session_outcome

    return session_outcome(router, seeds=range(20))


MIN_FOLLOWER_SHARE = 0.6


def _judge_sessions(observed: dict) -> str | None:
    if observed["violations"]:
        return (f"{observed['violations']} of {observed['reads']} reads missed the client's own earlier write "
                f"(read-your-writes broken), e.g. {observed['example']}. A read must go to the leader while the "
                "follower has not yet replayed the client's last write.")
    share = observed["follower_share"]
    if share < MIN_FOLLOWER_SHARE:
        return (f"Only {share:.0%} of reads were served by the follower (at least {MIN_FOLLOWER_SHARE:.0%} wanted): "
                "no read missed a write, but the leader does work the follower could do. Send a read to the "
                "leader only while the follower is behind the client's last write.")
    return None


# --- 7. PACELC: a quorum write across regions ----------------------------------------------------
def _regional_write_p50() -> float:
    """The median write latency of the asia client (c3) with W = 2: not a row of the lab's table."""
    from labs.replication.experiments import measure
    from labs.replication.scenarios import regions_setup

    cluster, workload = regions_setup(r=2, w=2)
    return measure(cluster, workload, seeds=range(20), clients=["c3"])["write_p50_ms"]


EXERCISES = [
    Number(
        id="partial_quorum_stale_rate",
        prompt="N=3, R=1, W=1 (a partial quorum), one-way delays uniform 2-20 ms; a reader on n2 reads 8 ms after "
               "the writer on n1 is acknowledged. What fraction of those reads is stale?",
        value=PBS_STALE_RATE,
        abs_tol=PBS_TOLERANCE,
        unit="",
        mistakes=(
            (0.0, "With R + W = 2 <= N = 3 the read and the write need not share a replica, so a read can miss "
                  "an acknowledged write."),
            (6 / 18, "That is the chance the message has already arrived (delay <= 8 ms); a read is stale when it "
                     "has not."),
            (PBS_STALE_RATE - 2 * PBS_TOLERANCE + 0.01,
             f"If you measured it, that is {_NOISE}. If you worked it out, the delay is uniform from 2 ms, not from "
             "0: P(delay > 8) = (20 - 8) / (20 - 2)."),
            (PBS_STALE_RATE + 2 * PBS_TOLERANCE - 0.01, f"If you measured it, that is {_NOISE}."),
            (100 * PBS_STALE_RATE, "That looks like a percentage: answer with a fraction between 0 and 1."),
        ),
        hints=("With W=1 the writer's own node acknowledges at once; the other replicas hear about the write one "
               "network delay later.",
               "With R=1 the reader's node answers from its own copy. The read is stale exactly when the write's "
               "message from n1 to n2 takes longer than 8 ms.",
               "For a delay uniform between 2 and 20 ms, P(delay > 8) = (20 - 8) / (20 - 2). Or measure it over "
               "enough seeds: measure(*pbs_setup(), seeds=range(200))['stale_rate']."),
        solution="partial_quorum_stale_rate = (20 - 8) / (20 - 2)   # = 0.667; the simulator measures about the same",
        explanation="With R=1 and W=1 no replica has to hear about a write before the client is told it is done, so "
                    "freshness is a race between the replication message and the next read. Staleness is then a "
                    "probability that falls with time since the write (probabilistically bounded staleness): after "
                    "20 ms here every read is fresh. R + W > N removes the race instead of shortening it. (A sloppy "
                    "quorum is something else: the right sizes, counted over whichever N nodes are healthy, with "
                    "hinted handoff; it loses the overlap even with R + W > N.)",
        covers=("A6", "Q1.3"),
    ),
    Design(
        id="quorum_rw",
        prompt="N=3 leaderless, refusing any request it cannot serve with its full quorum (on_partition='refuse'), "
               "a client on every node, n3 cut off from 80 to 230 ms. Choose {'r': R, 'w': W} so that no read is "
               "stale in 100 seeded runs and clients on n1 and n2 never see a refusal or timeout.",
        stages=("r", "w"),
        requirements=(
            Requirement("valid quorums", _valid_quorum,
                        "R and W count replicas: whole numbers from 1 to N = 3."),
            Requirement("no stale reads", _no_stale_reads,
                        "in 100 seeded runs some read returned a value overwritten before it began: every read "
                        "quorum must overlap every write quorum, which takes R + W > N."),
            Requirement("majority side available", _majority_available,
                        "clients on n1 and n2 had requests refused or timed out while n3 was cut off: a quorum "
                        "that needs all 3 replicas cannot be met during the partition, so R and W must each be at "
                        "most 2 (a majority)."),
        ),
        hints=("Two conditions pull in opposite directions: overlap (R + W > N) asks for big quorums, availability "
               "during the partition asks for quorums the two connected replicas can form.",
               "With N = 3 and one replica unreachable, any quorum of 3 is impossible.",
               "Check candidates with quorum_outcome(r, w) from labs.replication.scenarios."),
        solution="quorum_rw = {'r': 2, 'w': 2}",
        explanation="R = W = 2 is the only choice: R + W = 4 > 3 makes every read quorum share a replica with every "
                    "write quorum, so a read sees every write acknowledged before it began; and 2 replicas are still "
                    "reachable on the majority side. The minority side (n3) is refused: the CP-style choice. W = 2 > "
                    "N/2 also makes any two write quorums overlap. It is still not linearizable on its own: two reads "
                    "during a write can disagree, which synchronous read repair fixes.",
        covers=("A6", "Q1.3"),
    ),
    Sql(
        id="stale_reads_sql",
        prompt="Over a table history(op_id, client, node, kind, key, value, invoke, response, status, served_by), "
               "return the op_id of every stale read.",
        fixtures=lambda: {"history": sql_fixture_history()},
        reference=STALE_READS_SQL,
        mistakes=STALE_READS_MISTAKES,
        hints=("A read is stale if an acknowledged write to the same key ended before the read began (w.response < "
               "r.invoke) and the value read was surely older than that write.",
               "'Surely older': the write that produced the value was acknowledged and ended before that later write "
               "began. A refused write never happened; a timed-out write may land at any later time. A read of "
               "nothing (value NULL) is older than any write.",
               "Join each read to the write of its value with a LEFT JOIN (NULL values find none), then test with "
               "EXISTS over acknowledged writes of the same key."),
        solution=STALE_READS_SQL,
        explanation="Staleness is about real time, not about value order: two overlapping writes may take effect in "
                    "either order, an unfinished write may land late, and a refused one never lands. Log checks "
                    "like this run on any table of operations (an audit log, a CDC stream).",
        covers=("A6",),
    ),
    Choice(
        id="linearizable_histories",
        prompt="Which of the histories A, B, C, D (drawn in the notebook) are linearizable? Give a set of letters.",
        options={
            "A": "Linearizable: the first read falls before the write takes effect, the second after.",
            "B": "Not linearizable: once a read has seen 1, a read that starts later cannot see the older nothing. "
                 "It is sequentially consistent, though: put c3's read first and every client's own order holds; "
                 "only real time is broken.",
            "C": "Not linearizable: the read of 2 puts write 2 after write 1, so a later read cannot return 1.",
            "D": "Linearizable: a timed-out write may still take effect after the read of 1.",
        },
        correct=("A", "D"),
        multiple=True,
        hints=("Give every operation one instant inside its bar; the reads must return the latest write before them.",
               "Overlapping operations may be ordered either way; operations that do not overlap keep their order.",
               "A timed-out write has no end: it may take effect at any time after it began, or never. "
               "You can confirm each answer with check(history)."),
        solution="linearizable_histories = {'A', 'D'}",
        explanation="Linearizability is one order that respects real time. In B two reads that do not overlap see new "
                    "then old; in C the read of 2 forces write 2 after write 1, and a read after both sees 1. A and D "
                    "admit an order. B is the cleanest picture of sequential consistency without linearizability: "
                    "one order all clients could agree on exists, but it puts a later read before an earlier one.",
        covers=("A6",),
    ),
    Function(
        id="read_your_writes_router",
        prompt="Write read_your_writes_router(client_state, request) -> 'leader' or 'follower' so that no client "
               "misses its own writes and every read the follower can serve safely goes to the follower. The fields "
               "of client_state are None until the client's first acknowledged write.",
        reference=_lsn_router,
        cases=(
            ({"last_write_lsn": None, "last_write_at": None, "last_seen_lsn": None, "client": "c1"},
             {"follower_lsn": 7, "now": 50.0, "key": "x"}),
            ({"last_write_lsn": 12, "last_write_at": 49.0, "last_seen_lsn": 11, "client": "c1"},
             {"follower_lsn": 9, "now": 50.0, "key": "x"}),
            ({"last_write_lsn": 12, "last_write_at": 49.0, "last_seen_lsn": 12, "client": "c1"},  # replayed up to it
             {"follower_lsn": 12, "now": 500.0, "key": "x"}),
        ),
        probes=(("simulated sessions", _session_probe, _judge_sessions),),
        timeout_s=30.0,
        hints=("The danger is a follower that has not yet replayed the client's last write.",
               "client_state['last_write_lsn'] is the log position of that write (None before the first one); "
               "request['follower_lsn'] is how far the follower has replayed.",
               "Follower when the client never wrote or follower_lsn >= last_write_lsn; otherwise the leader. A fixed "
               "time window after each write either misses long lags or wastes the follower."),
        solution="def read_your_writes_router(client_state, request):\n"
                 "    last = client_state['last_write_lsn']\n"
                 "    if last is None or request['follower_lsn'] >= last:\n"
                 "        return 'follower'\n"
                 "    return 'leader'",
        explanation="Comparing log positions is exact: the follower is safe for this client as soon as it has replayed "
                    "the client's last write, and not a moment before. A time window guesses the lag and loses either "
                    "way. Real systems do the same with causal tokens: MongoDB's afterClusterTime, a Postgres WAL LSN "
                    "remembered in the session. Remembering the highest position the client has *read* as well keeps "
                    "its reads monotonic when it moves between followers.",
        covers=("Q1.3",),
    ),
    Choice(
        id="cap_under_partition",
        prompt="Which statements are right about how these systems behave under a network partition and what they "
               "give up? Give a set of letters.",
        options={
            "A": "Right: the minority side of an etcd cluster cannot commit, so etcd is CP and gives up availability there.",
            "B": "Right: at consistency ONE both sides keep working, so this is AP and gives up consistency (stale reads, "
                 "conflicts settled by last-writer-wins).",
            "C": "Wrong: a QUORUM request on the minority side cannot gather a majority and fails; Cassandra's choice "
                 "is made per request, not per product.",
            "D": "Right: the side without a majority refuses writes for the whole partition (its primary steps down), "
                 "and the majority side has no primary only for the 10-12 s an election takes. Writes the old "
                 "primary had acknowledged with w:1 and not replicated are rolled back, and reads on the minority "
                 "side may be stale (readConcern 'linearizable' makes them fail instead).",
            "E": "Wrong: a single server has no partition between replicas to tolerate, but clients cut off from it get "
                 "no answer at all; 'CA' only means there is nothing to replicate.",
            "F": "Wrong: asynchronous replication acknowledges writes the replica may not have, so failing over loses "
                 "them, and both sides may accept writes (split brain).",
            "G": "Right: every region keeps accepting writes and conflicts are settled by last-writer-wins: AP.",
        },
        correct=("A", "B", "D", "G"),
        multiple=True,
        hints=("For each system ask: during the partition, does the cut-off side answer, or refuse?",
               "Answering means possibly stale or conflicting data (AP); refusing means unavailable there (CP).",
               "Tunable stores (Cassandra, DynamoDB) decide per request; a single server is not a distributed system."),
        solution="cap_under_partition = {'A', 'B', 'D', 'G'}",
        explanation="CAP describes behaviour during a partition: a replicated system either keeps answering on every "
                    "side and accepts divergence (AP) or refuses on the side that cannot reach a majority (CP). "
                    "Labels stick to configurations, not brands.",
        covers=("A6", "A4"),
    ),
    Number(
        id="pacelc_write_latency",
        prompt="Replicas in eu, us and asia (one-way delays about 40 ms eu-us, 85 ms eu-asia, 110 ms us-asia). A client "
               "in asia writes with W=2, coordinated by the asia replica. Estimate the median write latency in ms.",
        value=_regional_write_p50,
        abs_tol=6.0,
        unit="ms",
        mistakes=(
            (0.0, "The asia replica acknowledges at once, but W = 2 needs one more copy, in another region."),
            (82.5, "That is one trip, not a round trip from asia: 85 ms is the one-way delay to eu, and 80 ms is the "
                   "eu client's figure in the lab. The write must reach eu and the acknowledgement come back."),
            (110.0, "110 ms is the one-way delay to us: the write needs a round trip, and eu is the nearer region."),
            (220.0, "220 ms is the round trip to us, the farther replica: W = 2 needs only one acknowledgement "
                    "besides asia's own, and eu's comes first."),
        ),
        hints=("The asia replica acknowledges at once; W=2 waits for one more acknowledgement.",
               "Which remote replica answers first, and how long is a round trip to it?",
               "eu is nearer to asia than us is: a round trip eu-asia is about 2 x 85 = 170 ms."),
        solution="pacelc_write_latency = 2 * 85   # one round trip to the nearest other region, eu",
        explanation="A quorum waits for the W-th fastest replica, so its latency is set by the nearest replicas that "
                    "complete the quorum: from asia, one round trip to eu on every write, partition or not. That is "
                    "PACELC's else-branch: without a partition, consistency costs latency. The same W = 2 costs a "
                    "client in eu 80 ms (its nearest other region is us): where the coordinator sits matters.",
        covers=("A6", "Q1.3"),
    ),
]
