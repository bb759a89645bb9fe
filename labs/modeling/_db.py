"""Small DuckDB helpers shared by the modelling labs."""
from __future__ import annotations


def scalar(con, sql: str):
    """The single value a query returns.

    ``fetchall`` rather than ``fetchone``: DuckDB 2 keeps a half-read result open after
    ``fetchone``, and the connection's next ``con.sql(...)`` then refuses to run.

        >>> from labs.engines import duckdb
        >>> scalar(duckdb(), "select 6 * 7")
        42
    """
    return con.execute(sql).fetchall()[0][0]
