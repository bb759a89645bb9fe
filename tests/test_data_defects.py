"""Planted defects: the labels say exactly what changed, nothing more, nothing less."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from labs.data import defects, ecommerce


@pytest.fixture(scope="module")
def clean():
    shop = ecommerce.tables(scale=0.1, seed=8)
    customers = shop["customers"]
    # A frame with every kind of column: ints, floats, text, dates, timestamps, booleans.
    orders = shop["orders"].merge(customers[["customer_id", "email", "phone", "birth_date"]], on="customer_id")
    return orders


def _same(a, b) -> bool:
    if pd.isna(a) and pd.isna(b):
        return True
    return not pd.isna(a) and not pd.isna(b) and a == b


def diff_cells(clean: pd.DataFrame, dirty: pd.DataFrame) -> set:
    """(row_id, column) of every cell of a clean row that differs in the dirty frame."""
    kept = dirty[dirty["row_id"] < len(clean)].set_index("row_id").sort_index()
    base = clean.reset_index(drop=True)
    changed = set()
    for column in base.columns:
        for row_id, (a, b) in enumerate(zip(base[column], kept[column])):
            if not _same(a, b):
                changed.add((row_id, column))
    return changed


def test_labels_are_exactly_the_planted_differences(clean):
    dirty, labels = defects.inject(clean, rate=0.03, seed=5)
    cells = labels[labels["column"] != "*"]
    assert set(zip(cells["row_id"], cells["column"])) == diff_cells(clean, dirty)
    assert not cells.duplicated(["row_id", "column"]).any()  # one defect per cell at most
    per_kind = labels["kind"].value_counts()
    assert set(per_kind.index) == set(defects.KINDS)
    assert (per_kind == round(0.03 * len(clean))).all()

    # Every extra row is a labelled duplicate equal to its original (except row_id).
    extra = dirty[dirty["row_id"] >= len(clean)]
    copies = labels[labels["kind"] == "duplicate"]
    assert sorted(extra["row_id"]) == sorted(copies["row_id"])
    by_id = dirty.set_index("row_id")
    for row_id, original in zip(copies["row_id"], copies["original"]):
        pd.testing.assert_series_equal(by_id.loc[row_id], by_id.loc[int(original)], check_names=False)
        assert dirty.index[dirty["row_id"] == row_id][0] > dirty.index[dirty["row_id"] == int(original)][0]
    assert len(dirty) == len(clean) + len(copies)


def test_each_kind_does_what_it_says(clean):
    dirty, labels = defects.inject(clean, rate=0.05, seed=6)
    by_id = dirty.set_index("row_id")
    for row in labels.itertuples():
        if row.kind == "duplicate":
            continue
        value = by_id.loc[row.row_id, row.column]
        column = clean[row.column]
        if row.kind == "null":
            assert pd.isna(value) and row.planted is None
        elif row.kind == "out_of_range":
            assert value < column.min() or value > column.max()
        else:
            assert isinstance(value, str) and value != clean.loc[row.row_id, row.column]
        assert row.original is not None
    assert dirty["item_count"].dtype == "Int64"  # nulls in an int column keep it whole


def test_same_seed_same_defects_and_the_input_is_untouched(clean):
    before = clean.copy()
    first = defects.inject(clean, seed=11)
    second = defects.inject(clean, seed=11)
    other = defects.inject(clean, seed=12)
    pd.testing.assert_frame_equal(first[0], second[0])
    pd.testing.assert_frame_equal(first[1], second[1])
    assert not first[1].equals(other[1])
    pd.testing.assert_frame_equal(clean, before)


def test_columns_kinds_and_an_existing_row_id_are_respected(clean):
    frame = clean[["order_id", "email", "total_amount"]].copy()
    frame.insert(0, "row_id", np.arange(1000, 1000 + len(frame)))
    dirty, labels = defects.inject(frame, kinds=("null", "duplicate"), rate=0.1, seed=1, columns=["email"])
    assert set(labels["kind"]) == {"null", "duplicate"}
    assert set(labels.loc[labels["kind"] == "null", "column"]) == {"email"}
    assert labels["row_id"].min() >= 1000
    assert labels.loc[labels["kind"] == "duplicate", "row_id"].min() == 1000 + len(frame)
    nothing, none = defects.inject(frame, rate=0, seed=1)
    assert none.empty and len(nothing) == len(frame)


@pytest.mark.parametrize("bad", [{"kinds": ("typo",)}, {"rate": 1.5}, {"rate": -0.1}, {"rate": True},
                                 {"columns": ["nope"]}, {"seed": -1}])
def test_bad_arguments_are_value_errors(clean, bad):
    with pytest.raises(ValueError):
        defects.inject(clean.head(20), **bad)


def test_bad_format_examples():
    rng = np.random.default_rng(0)
    assert defects._bad_format("ada@example.com", rng) == "ada at example.com"
    assert defects._bad_format("2024-03-05", rng) == "05/03/2024"
    broken = defects._bad_format("+44 207 1234567", rng)
    assert broken != "+44 207 1234567" and any(ch.isalpha() for ch in broken)
    assert defects._bad_format("completed", rng) == " completed  "


@pytest.mark.parametrize("kind", defects.DRIFTS)
def test_schema_drift_describes_what_changed(clean, kind):
    new, what = defects.schema_drift(clean, seed=3, kind=kind)
    assert what["kind"] == kind
    before, after = set(clean.columns), set(new.columns)
    if kind == "rename":
        assert before - after == {what["column"]} and after - before == {what["new_name"]}
    elif kind == "drop":
        assert before - after == {what["column"]} and not after - before
    elif kind == "add":
        assert after - before == {what["column"]} and new[what["column"]].isna().all()
    else:
        assert before == after and str(new[what["column"]].dtype) != str(clean[what["column"]].dtype)
    assert defects.schema_drift(clean, seed=3, kind=kind)[1] == what
    with pytest.raises(ValueError, match="unknown schema drift"):
        defects.schema_drift(clean, kind="explode")


def test_volume_spike_on_counts_and_on_events(clean):
    counts = clean.groupby("order_date").size()
    day = counts.index[10]
    spiked = defects.volume_spike(counts, day, factor=4)
    assert spiked[day] == counts[day] * 4
    assert spiked.drop(day).equals(counts.drop(day))

    events = defects.volume_spike(clean, day, factor=3, time_column="order_ts")
    assert events.groupby("order_date").size()[day] == counts[day] * 3
    assert len(events) == len(clean) + 2 * counts[day]
    dip = defects.volume_spike(clean, day, factor=0.5, time_column="order_ts")
    assert dip.groupby("order_date").size()[day] == round(counts[day] * 0.5)
    with pytest.raises(ValueError, match="time_column"):
        defects.volume_spike(clean, day)
    with pytest.raises(ValueError, match="no rows"):
        defects.volume_spike(clean, "2030-01-01", time_column="order_ts")
