"""A tiny partitioned, ordered, replayable log: Kafka's model, without a broker.

- a **topic** has ``n`` partitions; a record goes to ``crc32(key) % n``, so one key's records
  stay in order in one partition;
- every record has an **offset**, its position in its partition; reading never removes it;
- a **consumer group** stores, per partition, the offset of the next record to read: its
  *committed* position. A restarted consumer resumes there.

Where the commit happens decides the delivery guarantee: commit *before* handling and a
crash loses records (at-most-once); commit *after* and a crash handles some twice
(at-least-once). Exactly-once needs the handling to be idempotent, or the output and the
offset committed in one transaction.

    >>> log = Log()
    >>> log.create_topic("clicks", partitions=2)
    >>> [log.produce("clicks", key, i) for i, key in enumerate("abcd")]
    [(1, 0), (1, 1), (1, 2), (0, 0)]
    >>> c = Consumer(log, "billing", "clicks")
    >>> [r.value for r in c.poll(10)]
    [3, 0, 1, 2]
    >>> c.commit(); Consumer(log, "billing", "clicks").poll(10)
    []
    >>> crash_test(commit_before)["early_commit"], crash_test(commit_after)["lost"]
    ('before handling', 0)
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass

from labs._check import is_whole


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: str
    value: object


class Log:
    def __init__(self):
        self._topics: dict[str, list[list[Record]]] = {}
        self._committed: dict[tuple[str, str, int], int] = {}

    def create_topic(self, topic: str, partitions: int = 1) -> None:
        if not is_whole(partitions) or partitions < 1:
            raise ValueError(f"partitions must be an integer >= 1; got {partitions!r}")
        if topic in self._topics:
            raise ValueError(f"topic {topic!r} exists already")
        self._topics[topic] = [[] for _ in range(partitions)]

    def partitions(self, topic: str) -> int:
        return len(self._partitions(topic))

    def _partitions(self, topic):
        try:
            return self._topics[topic]
        except KeyError:
            raise ValueError(f"topic must be one of {sorted(self._topics)}; got {topic!r}") from None

    def produce(self, topic: str, key: str, value) -> tuple[int, int]:
        """Append a record; returns (partition, offset)."""
        parts = self._partitions(topic)
        p = zlib.crc32(str(key).encode()) % len(parts)
        parts[p].append(Record(topic, p, len(parts[p]), str(key), value))
        return p, len(parts[p]) - 1

    def read(self, topic: str, partition: int, offset: int, max_records: int = 100) -> list[Record]:
        return self._partitions(topic)[partition][offset:offset + max_records]

    def end_offset(self, topic: str, partition: int) -> int:
        return len(self._partitions(topic)[partition])

    def committed(self, group: str, topic: str, partition: int) -> int:
        return self._committed.get((group, topic, partition), 0)

    def commit(self, group: str, topic: str, partition: int, offset: int) -> None:
        self._committed[(group, topic, partition)] = offset

    def lag(self, group: str, topic: str) -> int:
        """Records not yet committed by the group, over all partitions."""
        return sum(self.end_offset(topic, p) - self.committed(group, topic, p) for p in range(self.partitions(topic)))


class Consumer:
    """One member of a group reading every partition of a topic (no rebalancing here)."""

    def __init__(self, log: Log, group: str, topic: str):
        self.log, self.group, self.topic = log, group, topic
        self.position = {p: log.committed(group, topic, p) for p in range(log.partitions(topic))}

    def poll(self, max_records: int = 10) -> list[Record]:
        """Up to ``max_records`` next records, partition by partition; moves the position, not the commit."""
        out = []
        for p in self.position:
            got = self.log.read(self.topic, p, self.position[p], max_records - len(out))
            self.position[p] += len(got)
            out.extend(got)
            if len(out) >= max_records:
                break
        return out

    def commit(self, offsets: dict[int, int] | None = None) -> None:
        """Commit positions, as Kafka's ``commitSync()`` does.

        Without ``offsets``: the current positions, so **everything polled so far** counts as
        done, handled or not. With ``{partition: offset}``: exactly those, where ``offset`` is
        the next record to read (the last handled record's offset + 1).
        """
        if offsets is None:
            offsets = dict(self.position)
        for p, offset in offsets.items():
            if p not in self.position:
                raise ValueError(f"partition must be one of {sorted(self.position)}; got {p!r}")
            if not is_whole(offset) or not 0 <= offset <= self.log.end_offset(self.topic, p):
                raise ValueError(f"offset for partition {p} must be an integer between 0 and the partition's end "
                                 f"({self.log.end_offset(self.topic, p)}); got {offset!r}")
            self.log.commit(self.group, self.topic, p, offset)


class Crash(RuntimeError):
    """A consumer process dying in the middle of its work."""


class _Watched(Consumer):
    """A consumer that notes, at each commit, whether it covers records not handled yet."""

    def __init__(self, log, group, topic, handled_upto: dict):
        super().__init__(log, group, topic)
        self.handled_upto, self.polled_now, self.handled_now, self.early = handled_upto, 0, 0, None

    def poll(self, max_records=10):
        records = super().poll(max_records)
        self.polled_now, self.handled_now = len(records), 0
        return records

    def commit(self, offsets=None):
        covered = dict(self.position) if offsets is None else dict(offsets)
        if self.early is None and any(o > self.handled_upto.get(p, self.log.committed(self.group, self.topic, p))
                                      for p, o in covered.items()):
            self.early = "before handling" if self.handled_now == 0 else "part-way through the poll"
        super().commit(offsets)


def crash_test(run_consumer, n_records: int = 30, crash_at: int = 17, partitions: int = 3) -> dict:
    """Run ``run_consumer(consumer, handle)`` until a crash at the ``crash_at``-th handle, restart, finish.

    Returns how many records were handled, lost (never handled) and handled twice; how many
    stayed uncommitted after the restarted consumer finished; and where the first commit that
    covered unhandled records came (``early_commit``: "before handling", "part-way through the
    poll", or "" when every commit covered handled records only).
    """
    if not is_whole(crash_at) or not 1 <= crash_at <= n_records:
        raise ValueError(f"crash_at must be between 1 and n_records={n_records}; got {crash_at!r}")
    log = Log()
    log.create_topic("clicks", partitions)
    for i in range(n_records):
        log.produce("clicks", f"session-{i % 7}", i)
    handled: list[int] = []
    handled_upto: dict[int, int] = {}
    first = _Watched(log, "g", "clicks", handled_upto)

    def crashing(record):
        if len(handled) + 1 == crash_at:
            raise Crash(f"crash while handling offset {record.offset} of partition {record.partition}")
        handled.append(record.value)
        handled_upto[record.partition] = max(handled_upto.get(record.partition, 0), record.offset + 1)
        first.handled_now += 1

    def outcome(crashed: bool) -> dict:
        return {"crashed": crashed, "handled": len(handled), "lost": n_records - len(set(handled)),
                "twice": len(handled) - len(set(handled)), "uncommitted": log.lag("g", "clicks"),
                "early_commit": first.early or ""}

    try:
        run_consumer(first, crashing)
    except Crash:
        pass
    else:
        return outcome(False)
    run_consumer(Consumer(log, "g", "clicks"), lambda r: handled.append(r.value))
    return outcome(True)


def commit_after(consumer: Consumer, handle, batch: int = 5) -> None:
    """At-least-once: handle a poll's records, then commit."""
    while records := consumer.poll(batch):
        for record in records:
            handle(record)
        consumer.commit()


def commit_before(consumer: Consumer, handle, batch: int = 5) -> None:
    """At-most-once: commit as soon as records are polled, then handle them."""
    while records := consumer.poll(batch):
        consumer.commit()
        for record in records:
            handle(record)
