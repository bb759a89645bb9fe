"""Two writers, one table: Delta's optimistic concurrency as delta-rs 1.6 implements it.

Both writers load the same version, do their work, then try to create the next commit file.
The first one gets it. The second finds the number taken, reads the winner's commit and checks
whether it changes what the second one read or removed; if not, it commits as the version after
(two blind appends both succeed). If it does, the second gets ``CommitFailedError`` and must rerun
its query on the new version. delta-rs checks files and predicates, not rows: two deletes of
rows in different files both commit, two deletes of rows in the same file conflict.

    >>> import tempfile, pathlib
    >>> from labs.lakehouse.table import create_orders
    >>> base = pathlib.Path(tempfile.mkdtemp())
    >>> _ = create_orders(base / "a", n=400); _ = create_orders(base / "b", n=400)
    >>> two_writers(base / "a", "append", "append").both_committed
    True
    >>> race = two_writers(base / "b", "delete", "delete")
    >>> race.winner, race.loser_error
    ('first', 'CommitFailedError')

What delta-rs 1.6.6 did, on an orders table of three files (the winner's operation first;
``conflict_matrix`` measures it on any table):

- two appends both commit;
- a stale delete or update whose predicate matches a row a concurrent append added conflicts,
  one whose predicate does not match it commits; a stale merge conflicts with any winner;
- after a winning delete, update, merge or overwrite, every stale write that read a file it
  removed conflicts, appends included (delta-rs counts an append as having read the table),
  while deletes of rows in different files both commit;
- a stale compaction commits after an append and conflicts with anything that removed a file
  it rewrote; but after a winning compaction, a stale compaction and a stale overwrite both
  commit and the result matches no serial order: two compactions leave every row twice
  (``duplicate_ids``), and the overwrite leaves the compacted rows in place.
An operation that matches no row commits nothing, so it can neither win nor lose.
"""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa

from labs.lakehouse._delta import clean_message, open_table, quiet, read, table_path


def _new_orders(first_id: int, n: int = 1):
    from labs.lakehouse.table import orders_frame

    return pa.Table.from_pandas(orders_frame(n, seed=first_id % 1000, first_id=first_id), preserve_index=False)


def _append(table):
    from deltalake import write_deltalake

    write_deltalake(table, _new_orders(10_000_001), mode="append")


def _overwrite(table):
    from deltalake import write_deltalake

    write_deltalake(table, _new_orders(20_000_001, 10), mode="overwrite")


def _merge(table):
    source = pa.concat_tables([_new_orders(1), _new_orders(10_000_002)])  # one existing order, one new
    (table.merge(source=source, predicate="t.order_id = s.order_id", source_alias="s", target_alias="t")
     .when_matched_update_all().when_not_matched_insert_all().execute())


# Each operation touches the lowest order ids (the same rows, so the same file) unless it says otherwise.
OPERATIONS = {
    "append": _append,
    "delete": lambda t: t.delete("order_id <= 50"),
    "delete newest": lambda t: t.delete("order_id >= 10000000"),
    "update": lambda t: t.update(updates={"amount": "amount + 1"}, predicate="order_id <= 50"),
    "merge": _merge,
    "optimize": lambda t: t.optimize.compact(),
    "overwrite": _overwrite,
}


@dataclass(frozen=True)
class Race:
    """What two writers that started from ``read_version`` saw."""
    first: str
    second: str
    read_version: int
    first_version: int            # the winner commits the next version
    second_version: int | None    # None if the second writer lost
    loser_error: str | None       # the exception class the loser got
    loser_message: str | None
    retried_version: int | None   # the loser's commit after reloading and rerunning, if asked
    rows_before: int = 0
    rows_after: int = 0
    duplicate_ids: int = 0        # order ids held by more than one row afterwards (each id is unique before)

    @property
    def both_committed(self) -> bool:
        return self.second_version is not None and self.second_version > self.first_version

    @property
    def outcome(self) -> str:
        """'both commit', 'conflict', or 'second had nothing to commit' (its operation matched no rows)."""
        if self.loser_error:
            return "conflict"
        return "both commit" if self.both_committed else "second had nothing to commit"

    @property
    def winner(self) -> str:
        """'first' when the second writer lost (or had nothing to commit), 'both' when both committed."""
        return "both" if self.both_committed else "first"

    def as_dict(self) -> dict:
        return {**asdict(self), "winner": self.winner, "outcome": self.outcome}


def two_writers(path, first: str = "update", second: str = "update", retry: bool = False) -> Race:
    """Two writers load the same version; ``first`` commits, then ``second`` tries to.

    ``first`` and ``second`` name entries of ``OPERATIONS``. With ``retry``, a loser reloads
    the table and runs its operation again, as an application must.
    """
    from deltalake.exceptions import CommitFailedError

    path = table_path(path)
    for name, op in (("first", first), ("second", second)):
        if op not in OPERATIONS:
            raise ValueError(f"{name} must be one of {', '.join(map(repr, OPERATIONS))}; got {op!r}.")
    if not isinstance(retry, bool):
        raise TypeError(f"retry must be True or False, not {retry!r}.")
    from labs.lakehouse.table import orders_frame

    columns = [f.name for f in open_table(path).schema().fields]
    if columns != list(orders_frame(1).columns):
        raise ValueError(f"two_writers races operations on an orders table as table.create_orders writes it; "
                         f"{path.name!r} has the columns {', '.join(columns)}.")
    writer_a, writer_b = open_table(path), open_table(path)  # both start from the same snapshot
    read_version = writer_a.version()
    rows_before = read(path).num_rows
    with quiet():
        OPERATIONS[first](writer_a)
        first_version = open_table(path).version()
        if first_version == read_version:
            raise ValueError(f"the first writer's {first!r} changed nothing on this table (no row matched), "
                             f"so there is no race; pick another operation or a fresh table.")
        try:
            OPERATIONS[second](writer_b)
        except CommitFailedError as error:
            retried = None
            if retry:
                OPERATIONS[second](open_table(path))
                retried = open_table(path).version()
            return Race(first, second, read_version, first_version, None, type(error).__name__,
                        clean_message(error, path), retried, rows_before, *_rows_and_duplicates(path))
    return Race(first, second, read_version, first_version, open_table(path).version(), None, None, None,
                rows_before, *_rows_and_duplicates(path))


def _rows_and_duplicates(path) -> tuple[int, int]:
    ids = pd.Series(read(path).column("order_id").to_pylist(), dtype="int64")
    return len(ids), int(ids.duplicated(keep=False).groupby(ids).any().sum())


def _content(path) -> pd.DataFrame:
    frame = read(path).to_pandas()
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def _serial(path, order, scratch: Path) -> pd.DataFrame:
    """The table after running the operations of ``order`` one after the other, each on the latest version."""
    copy = scratch / "serial"
    shutil.copytree(path, copy)
    with quiet():
        for op in order:
            OPERATIONS[op](open_table(copy))
    content = _content(copy)
    shutil.rmtree(copy)
    return content


def serializable(path, first: str, second: str) -> bool:
    """Run the race on a copy of ``path``: does a 'both commit' end as first-then-second or second-then-first would?

    Also True for a race with a loser (its work was refused, nothing to compare). The table at
    ``path`` is not changed.
    """
    path = table_path(path)
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        copy = scratch / "race"
        shutil.copytree(path, copy)
        race = two_writers(copy, first, second)
        if not race.both_committed:
            return True
        after = _content(copy)
        return any(after.equals(_serial(path, order, scratch)) for order in ((first, second), (second, first)))


def _matches_serial(raced: Path, original: Path, first: str, second: str, scratch: Path) -> bool:
    after = _content(raced)
    return any(after.equals(_serial(original, order, scratch)) for order in ((first, second), (second, first)))


def conflict_matrix(path, operations=None) -> pd.DataFrame:
    """For every pair of ``operations``, run ``two_writers`` on a fresh copy of the table at ``path``.

    Rows are the winner's operation, columns the stale writer's; a cell is the race's ``outcome``
    ('both commit', 'conflict', or 'second had nothing to commit'; 'first had nothing to commit'
    when the winner's operation matched no rows), and 'both commit, not serializable' when the
    table after both commits matches neither serial order of the two operations. The table at
    ``path`` is not changed.
    """
    path = table_path(path)
    operations = list(OPERATIONS) if operations is None else list(operations)
    for op in operations:
        if op not in OPERATIONS:
            raise ValueError(f"operations must name entries of {', '.join(map(repr, OPERATIONS))}; got {op!r}.")
    cells = {}
    with tempfile.TemporaryDirectory() as scratch:
        for first in operations:
            for second in operations:
                copy = Path(scratch) / f"{len(cells)}"
                shutil.copytree(path, copy)
                try:
                    race = two_writers(copy, first, second)
                    cells[(first, second)] = race.outcome
                    if race.both_committed and not _matches_serial(copy, path, first, second, Path(scratch)):
                        cells[(first, second)] = "both commit, not serializable"
                except ValueError:
                    cells[(first, second)] = "first had nothing to commit"
                shutil.rmtree(copy)
    frame = pd.DataFrame([[cells[(a, b)] for b in operations] for a in operations],
                         index=pd.Index(operations, name="winner"), columns=pd.Index(operations, name="stale writer"))
    return frame
