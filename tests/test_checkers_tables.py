import numpy as np
import pandas as pd
import pytest

from grader.checkers.tables import Prepared, compare, to_frame
from grader.errors import NotAttempted, WrongAnswerType
from labs import engines


@pytest.fixture
def expected():
    return pd.DataFrame({"customer_id": [1, 2, 3], "total": [10.5, 20.0, 0.1 + 0.2], "city": ["Oslo", "Lima", None]})


def test_same_rows_any_order_and_float_noise_pass(expected):
    answer = expected.iloc[[2, 0, 1]].copy()
    answer["total"] = answer["total"] + 1e-12
    assert compare(answer, expected) is None


def test_equivalent_dtypes_pass(expected):
    answer = expected.astype({"customer_id": "int32"})
    answer["total"] = answer["total"].astype("float32").astype("float64")
    assert compare(answer, expected, decimals=5) is None


def test_column_names_in_another_case_pass(expected):
    assert compare(expected.rename(columns=str.upper), expected) is None


def test_missing_row_is_named(expected):
    problem = compare(expected.iloc[:2], expected)
    assert problem.message == "Your table has 2 rows; expected 3. 1 row is missing."
    assert "customer_id=3" in problem.details[0]


def test_extra_duplicate_row_is_named(expected):
    problem = compare(pd.concat([expected, expected.iloc[[0]]]), expected)
    assert "1 row should not be there" in problem.message
    assert "customer_id=1" in problem.details[0]


def test_renamed_column_is_diagnosed(expected):
    problem = compare(expected.rename(columns={"total": "amount"}), expected)
    assert "missing column(s) total" in problem.message and "unexpected column(s) amount" in problem.message
    assert "renaming" in problem.message


def test_wrong_kind_of_column(expected):
    answer = expected.astype({"customer_id": str})
    problem = compare(answer, expected)
    assert problem.details == ["column customer_id holds text; expected numbers"]


def test_key_diagnosis_names_column_and_row(expected):
    answer = expected.copy()
    answer.loc[1, "total"] = 99.0
    problem = compare(answer, expected, key=["customer_id"])
    assert problem.message == "Column total is wrong in 1 row."
    assert problem.details == ["e.g. customer_id=2: total is 99, expected 20"]


def test_order_matters_detects_wrong_order(expected):
    problem = compare(expected.iloc[::-1], expected, order_matters=True)
    assert problem.message == "The rows are right but in the wrong order."
    assert compare(expected, expected, order_matters=True) is None


def test_dates_and_timestamps_are_equivalent():
    exp = pd.DataFrame({"d": pd.to_datetime(["2024-01-01", "2024-02-01"])})
    ans = pd.DataFrame({"d": [pd.Timestamp("2024-01-01").date(), pd.Timestamp("2024-02-01").date()]})
    assert compare(ans, exp) is None


def test_duckdb_relation_and_arrow_are_tables(expected):
    con = engines.duckdb()
    con.register("e", expected)
    assert compare(con.sql("select * from e"), expected) is None
    assert compare(con.sql("select * from e").arrow(), expected) is None


def test_stub_and_wrong_type():
    with pytest.raises(NotAttempted):
        to_frame(...)
    with pytest.raises(WrongAnswerType, match="Expected a table"):
        to_frame([1, 2, 3])


def test_large_tables_compare(expected):
    n = 100_000
    big = pd.DataFrame({"k": np.arange(n), "v": np.random.default_rng(1).random(n)})
    shuffled = big.sample(frac=1, random_state=2)
    assert compare(shuffled, big) is None
    problem = compare(shuffled.iloc[5:], big)
    assert problem.message.startswith("Your table has 99,995 rows") or "5 rows are missing" in problem.message


def test_missing_text_is_one_value_whether_none_or_nan():
    exp = pd.DataFrame({"city": ["Oslo", None] * 1000})
    ans = pd.DataFrame({"city": ["Oslo", np.nan] * 1000})
    assert compare(ans, exp) is None


def test_many_and_few_distinct_strings_hash_alike():
    # the expected side has thousands of distinct names, the answer only a few: hashed two ways
    names = [f"name{i}" for i in range(2000)] + [None]
    exp = pd.DataFrame({"name": names})
    assert compare(exp.iloc[::-1], exp) is None
    few = pd.DataFrame({"name": ["a", "b", None] * 700})
    assert compare(few.iloc[::-1], few) is None
    assert "missing" in compare(few.iloc[1:], few).message


def test_values_swapped_between_columns_do_not_match():
    exp = pd.DataFrame({"a": [1, 2], "b": [2, 1]})
    ans = pd.DataFrame({"a": [1, 2], "b": [1, 2]})
    assert compare(ans, exp).message == "2 rows are missing; 2 rows should not be there."


def test_all_null_column_compares_as_the_kind_expected():
    exp = pd.DataFrame({"k": [1, 2], "v": [np.nan, np.nan]})
    ans = pd.DataFrame({"k": [2, 1], "v": [None, None]})
    assert compare(ans, exp) is None


def test_prepared_expected_is_reused_and_agrees_with_the_frame(expected):
    prepared = Prepared.of(expected, decimals=6)
    answer = expected.iloc[[1, 2, 0]]
    assert compare(answer, prepared) is None
    assert compare(answer, prepared) is None  # a second check reuses the hashes
    assert compare(answer.iloc[:2], prepared).message == compare(answer.iloc[:2], expected).message
    # asked for another precision, the prepared table is rebuilt rather than misused
    assert compare(answer.assign(total=answer["total"] + 0.004), prepared, decimals=2) is None


def test_answer_is_not_copied_or_changed(expected):
    answer = expected.rename(columns=str.upper)
    before = answer.copy()
    compare(answer, expected)
    pd.testing.assert_frame_equal(answer, before)


def test_columns_differing_only_in_case_are_named(expected):
    answer = expected.assign(TOTAL=expected["total"])
    assert compare(answer, expected).message == \
        "Your table has columns whose names differ only in case: TOTAL, total."


# -- tolerance: what the spec says, never a relative percentage ----------------------------------
def test_a_revenue_off_by_200_is_wrong_at_two_decimals():
    exp = pd.DataFrame({"month": [1, 2], "revenue": [27_729.0, 31_000.0]})
    ans = exp.assign(revenue=[27_929.0, 31_000.0])
    assert compare(ans, exp, decimals=2).message == "1 row is missing; 1 row should not be there."


def test_a_total_1000_off_on_a_billion_is_wrong_at_the_default_decimals():
    exp = pd.DataFrame({"k": [1], "total": [1e9]})
    assert compare(exp.assign(total=1e9 + 1000), exp) is not None
    assert compare(exp.assign(total=1e9 * (1 + 1e-12)), exp) is None  # float noise passes


def test_one_unit_of_the_last_kept_digit_is_a_different_answer():
    exp = pd.DataFrame({"k": [1, 2], "v": [12.34, 0.5]})
    assert compare(exp.assign(v=[12.35, 0.5]), exp, decimals=2) is not None
    assert compare(exp.assign(v=[12.344, 0.5]), exp, decimals=2) is None
    # a learner's own rounding of a tie (0.125 -> 0.12 or 0.13) is not a different answer
    tie = pd.DataFrame({"k": [1], "v": [0.125]})
    assert compare(tie.assign(v=0.12), tie, decimals=2) is None
    assert compare(tie.assign(v=0.13), tie, decimals=2) is None


def test_a_wrong_value_in_an_ordered_table_is_not_called_a_wrong_order():
    exp = pd.DataFrame({"k": [1, 2], "v": [27_729.0, 31_000.0]})
    problem = compare(exp.assign(v=[27_929.0, 31_000.0]), exp, order_matters=True, decimals=2)
    assert problem.message == "Row 0 differs (and 1 row in all)."
    # rounding either side of an edge is still the same ordered answer
    assert compare(exp.assign(v=[27_729.0049, 30_999.996]), exp, order_matters=True, decimals=2) is None


def test_a_wrong_value_by_key_is_named_at_the_stated_decimals():
    exp = pd.DataFrame({"k": [1, 2], "v": [27_729.0, 31_000.0]})
    problem = compare(exp.assign(v=[27_729.01, 31_000.0]), exp, key=["k"], decimals=2)
    assert problem.message == "Column v is wrong in 1 row."
    assert compare(exp.assign(v=[27_729.004, 31_000.0]), exp, key=["k"], decimals=2) is None


def test_decimals_can_be_set_per_column():
    exp = pd.DataFrame({"revenue": [100.0], "share": [0.123456]})
    ans = exp.assign(revenue=100.004, share=0.1235)
    assert compare(ans, exp, decimals={"revenue": 2, "share": 4}) is None
    assert compare(ans, exp, decimals={"revenue": 2}) is not None  # share at the default 6


def test_the_same_wrong_rows_in_another_order_get_the_same_message():
    expected = pd.DataFrame({"status": ["cancelled", "completed", "new"], "n": [800, 1900, 5]})
    wrong = pd.DataFrame({"status": ["cancelled", "completed", "new"], "n": [832, 1934, 5]})
    shuffled = wrong.iloc[[1, 2, 0]]
    first, second = compare(wrong, expected), compare(shuffled, expected)
    assert first.details == second.details
    assert first.details[0].startswith("missing: status='cancelled'")


def test_rows_mixing_kinds_in_one_column_are_still_shown_in_one_order():
    expected = pd.DataFrame({"v": ["a", "b"]})
    mixed = pd.DataFrame({"v": [2, "z", None]}, dtype=object)
    assert compare(mixed, expected).details == compare(mixed.iloc[[2, 0, 1]], expected).details
