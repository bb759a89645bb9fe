"""Score a detector against planted defects: precision, recall and F1.

*Precision* is the share of alarms that are real; *recall* the share of real defects
that raised an alarm. A detector that flags everything has perfect recall and useless
precision; one that flags nothing is never wrong and never useful.

    >>> s = precision_recall(flagged=[1, 2, 3, 9], planted=[2, 3, 4])
    >>> s["tp"], s["fp"], s["fn"], round(s["precision"], 2), round(s["recall"], 2)
    (2, 2, 1, 0.5, 0.67)

Items are compared as a set, so they can be row ids, days, or ``(row_id, column)``
pairs; days given as text, dates or timestamps are all matched as dates.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd


def _key(item):
    if isinstance(item, (pd.Timestamp, dt.date, np.datetime64)):
        stamp = pd.Timestamp(item)
        return stamp.tz_convert(None).normalize() if stamp.tz is not None else stamp.normalize()
    if isinstance(item, np.generic):
        return item.item()
    if isinstance(item, list):
        return tuple(_key(i) for i in item)
    if isinstance(item, tuple):
        return tuple(_key(i) for i in item)
    return item


def as_set(items) -> set:
    """The items as a set of comparable keys (timestamps as whole days)."""
    if items is None:
        raise ValueError("flagged and planted must be collections of items, not None.")
    if isinstance(items, (pd.Series, pd.Index, np.ndarray)):
        items = list(items)
    return {_key(i) for i in items}


def precision_recall(flagged, planted) -> dict:
    """``{"tp", "fp", "fn", "precision", "recall", "f1"}`` of ``flagged`` against ``planted``.

    With no alarm at all precision is 1.0 (no false alarm was raised); with nothing
    planted recall is 1.0 (nothing was missed).
    """
    got, want = as_set(flagged), as_set(planted)
    tp = len(got & want)
    fp, fn = len(got - want), len(want - got)
    precision = tp / (tp + fp) if got else 1.0
    recall = tp / (tp + fn) if want else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": precision, "recall": recall, "f1": f1}


def score_table(detectors: dict, planted, **data) -> pd.DataFrame:
    """One row per detector: ``detector``, flagged, tp, fp, fn, precision, recall, f1.

    ``detectors`` maps a name to a function; each is called with ``**data``.
    """
    rows = []
    for name, detector in detectors.items():
        flagged = detector(**data)
        rows.append({"detector": name, "flagged": len(as_set(flagged)), **precision_recall(flagged, planted)})
    return pd.DataFrame(rows)
