"""Checkers compare a learner's answer with the expected one and say what differs.

One module per answer kind. A checker returns ``None`` when the answer is right, or a
``Problem``: one sentence for the learner and a few detail lines.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Problem:
    message: str
    details: list[str] = field(default_factory=list)
