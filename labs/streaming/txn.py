"""Kafka transactions in miniature: a transactional producer, zombie fencing and read_committed.

A transaction's records go into the partition as they are sent, before anyone knows whether
the transaction will commit; a marker written at the end says COMMIT or ABORT. So what a
consumer sees depends on its ``isolation.level``:

- ``read_uncommitted`` (Kafka's default) reads every record, aborted and in-flight ones too;
- ``read_committed`` reads only records of committed transactions (and plain records), and
  only up to the **last stable offset**: the first record of a transaction still open.

A producer's ``transactional.id`` survives restarts. Each new instance registers it and
gets a higher **epoch**; the coordinator aborts whatever the previous instance left open,
and rejects anything later sent with the old epoch. That is **zombie fencing**: an instance
that paused (a long GC, a network partition) and was replaced cannot commit its stale work.
The input offsets of a consume-transform-produce job are committed *inside* the
transaction (``send_offsets``, Kafka's ``sendOffsetsToTransaction``), so output and input
position move together or not at all.

    >>> log = TxLog()
    >>> a = TransactionalProducer(log, "enricher")
    >>> a.begin(); _ = a.send("e1"); a.commit()
    >>> a.begin(); _ = a.send("e2")              # a stalls with its transaction open
    >>> b = TransactionalProducer(log, "enricher")  # its replacement: epoch 1, a's transaction aborted
    >>> a.commit()
    Traceback (most recent call last):
    ...
    labs.streaming.txn.ProducerFenced: enricher: epoch 0 is fenced by epoch 1
    >>> read(log, "read_uncommitted"), read(log, "read_committed")
    (['e1', 'e2'], ['e1'])
"""
from __future__ import annotations

from dataclasses import dataclass, field

ISOLATION_LEVELS = ("read_uncommitted", "read_committed")


class ProducerFenced(RuntimeError):
    """A producer instance whose epoch is older than its transactional id's current one."""


@dataclass(frozen=True)
class Entry:
    offset: int
    kind: str                    # "data", "commit" or "abort"
    value: object = None
    txn: tuple | None = None     # (transactional id, epoch, serial); None for a plain record


@dataclass
class _Open:
    txn: tuple
    first_offset: int | None = None
    offsets: dict = field(default_factory=dict)  # consumer group -> input offset, applied on commit


class TxLog:
    """One partition plus its transaction coordinator and the consumer groups' committed offsets."""

    def __init__(self):
        self.entries: list[Entry] = []
        self.epochs: dict[str, int] = {}
        self.open: dict[str, _Open] = {}
        self.group_offsets: dict[str, int] = {}
        self._serial = 0

    def register(self, transactional_id: str) -> int:
        """A producer instance starts: a new epoch; the previous instance's open transaction is aborted."""
        epoch = self.epochs.get(transactional_id, -1) + 1
        self.epochs[transactional_id] = epoch
        if transactional_id in self.open:
            self._end(transactional_id, "abort")
        return epoch

    def check(self, transactional_id: str, epoch: int) -> None:
        current = self.epochs.get(transactional_id)
        if current != epoch:
            raise ProducerFenced(f"{transactional_id}: epoch {epoch} is fenced by epoch {current}")

    def begin(self, transactional_id: str, epoch: int) -> None:
        self.check(transactional_id, epoch)
        if transactional_id in self.open:
            raise ValueError(f"{transactional_id} has a transaction open already")
        self._serial += 1
        self.open[transactional_id] = _Open((transactional_id, epoch, self._serial))

    def append(self, value, transactional_id: str | None = None, epoch: int | None = None) -> int:
        """Write a record: plain (no transactional id) or inside that id's open transaction."""
        txn = None
        if transactional_id is not None:
            self.check(transactional_id, epoch)
            if transactional_id not in self.open:
                raise ValueError(f"{transactional_id} must begin() a transaction before sending")
            current = self.open[transactional_id]
            txn = current.txn
            if current.first_offset is None:
                current.first_offset = len(self.entries)
        self.entries.append(Entry(len(self.entries), "data", value, txn))
        return len(self.entries) - 1

    def end(self, transactional_id: str, epoch: int, outcome: str) -> None:
        self.check(transactional_id, epoch)
        if transactional_id not in self.open:
            raise ValueError(f"{transactional_id} has no open transaction")
        self._end(transactional_id, outcome)

    def _end(self, transactional_id: str, outcome: str) -> None:
        current = self.open.pop(transactional_id)
        self.entries.append(Entry(len(self.entries), outcome, txn=current.txn))
        if outcome == "commit":
            self.group_offsets.update(current.offsets)

    def last_stable_offset(self) -> int:
        """The first offset of the oldest open transaction (or the end): read_committed stops there."""
        starts = [o.first_offset for o in self.open.values() if o.first_offset is not None]
        return min(starts, default=len(self.entries))


class TransactionalProducer:
    """A producer instance with a ``transactional.id``; creating one fences every older instance."""

    def __init__(self, log: TxLog, transactional_id: str):
        self.log, self.id = log, transactional_id
        self.epoch = log.register(transactional_id)

    def begin(self) -> None:
        self.log.begin(self.id, self.epoch)

    def send(self, value) -> int:
        return self.log.append(value, self.id, self.epoch)

    def send_offsets(self, group: str, offset: int) -> None:
        """Commit a consumer group's input offset with this transaction (``sendOffsetsToTransaction``)."""
        self.log.check(self.id, self.epoch)
        self.log.open[self.id].offsets[group] = offset

    def commit(self) -> None:
        self.log.end(self.id, self.epoch, "commit")

    def abort(self) -> None:
        self.log.end(self.id, self.epoch, "abort")


def read(log: TxLog, isolation: str = "read_uncommitted") -> list:
    """The record values a consumer with this ``isolation.level`` reads from the start."""
    return [e.value for e in read_entries(log, isolation)]


def read_entries(log: TxLog, isolation: str = "read_uncommitted") -> list[Entry]:
    if isolation not in ISOLATION_LEVELS:
        raise ValueError(f"isolation must be one of {', '.join(ISOLATION_LEVELS)}; got {isolation!r}")
    data = [e for e in log.entries if e.kind == "data"]
    if isolation == "read_uncommitted":
        return data
    committed = {e.txn for e in log.entries if e.kind == "commit"}
    stable = log.last_stable_offset()
    return [e for e in data if e.offset < stable and (e.txn is None or e.txn in committed)]


def zombie_scenario() -> tuple[TxLog, list[str]]:
    """A consume-transform-produce job that stalls, is replaced, and comes back as a zombie.

    Input events e1..e8 are enriched and written out; each transaction carries the input
    offset it reached. Returns the output log and what happened, one line per step.
    """
    log, story = TxLog(), []
    a = TransactionalProducer(log, "enricher")
    a.begin()
    for e in ("e1", "e2", "e3"):
        a.send(e)
    a.send_offsets("enricher-input", 3)
    a.commit()
    story.append("instance A (epoch 0) commits e1-e3 with input offset 3")
    a.begin()
    a.send("e4")
    a.send("e5")
    story.append("A writes e4, e5, then stalls before committing")
    b = TransactionalProducer(log, "enricher")
    story.append(f"instance B registers the same id: epoch {b.epoch}; A's open transaction is aborted; "
                 f"B resumes from input offset {log.group_offsets['enricher-input']}")
    b.begin()
    b.send("e4")
    b.send("e5")
    b.send_offsets("enricher-input", 5)
    b.commit()
    story.append("B commits e4, e5 with input offset 5")
    try:
        a.send("e6")
    except ProducerFenced as exc:
        story.append(f"A wakes up and sends e6: rejected ({exc})")
    b.begin()
    b.send("e6")
    b.send("e7")
    b.abort()
    story.append("B writes e6, e7, finds the input malformed and aborts")
    b.begin()
    b.send("e6")
    b.send("e7")
    log.append("audit-1")  # another producer, not transactional, writes after B's transaction began
    b.send("e8")
    story.append("B writes e6-e8 (still open); a plain producer writes audit-1 meanwhile")
    return log, story


def what_consumers_see(log: TxLog) -> list[dict]:
    """Per isolation level: records read, distinct values, repeats, and records of aborted or open transactions."""
    aborted = {e.txn for e in log.entries if e.kind == "abort"}
    ended = aborted | {e.txn for e in log.entries if e.kind == "commit"}
    rows = []
    for level in ISOLATION_LEVELS:
        entries = read_entries(log, level)
        values = [e.value for e in entries]
        rows.append({"isolation.level": level, "records read": len(values), "distinct": len(set(values)),
                     "read twice": len(values) - len(set(values)),
                     "from aborted transactions": sum(e.txn in aborted for e in entries),
                     "from open transactions": sum(e.txn is not None and e.txn not in ended for e in entries)})
    return rows
