import numpy as np
import pandas as pd
import pytest

from grader.checkers.tables import compare, to_frame
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
