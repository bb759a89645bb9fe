"""What a node keeps while it coordinates one client request: how many answers it waits for, and what came back.

Both protocols use ``Request``; each field has one meaning, so a reader of either protocol
knows what a number counts:

- ``acks``: write acknowledgements from replicas (leaderless writes and read-repair write-backs);
- ``replies``: the read replies so far, each a ``Reply`` (leaderless reads);
- ``copies``: the nodes known to hold a leader-mode write (a set: a follower may confirm twice).

    >>> req = Request(op={"key": "x"}, need=2)
    >>> req.replies += [Reply((5.0, 1, "n1"), "n1", 7), Reply((9.0, 1, "n2"), "n2", 8)]
    >>> max(req.replies).value  # the newest version wins (last writer wins)
    8
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple


class Reply(NamedTuple):
    """One replica's answer to a leaderless read: ordered by version first, so ``max`` is the newest."""
    version: tuple
    node: str
    value: Any


@dataclass(eq=False, slots=True)
class Request:
    """A request a node is coordinating: who asked (``op``), how many answers it needs, what came back."""
    op: dict
    need: int
    result: Any = None        # what a read returns once its write-back is acknowledged (sync read repair)
    acks: int = 0
    replies: list[Reply] = field(default_factory=list)
    copies: set[str] = field(default_factory=set)
    lsn: int | None = None    # the write's position in the leader's log
    done: bool = False        # answered (or given up): later messages are ignored
