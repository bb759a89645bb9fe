"""Lab code for the kit: engines, data generators, simulators and pipelines.

Nothing here imports ``grader``: every lab runs on its own.

    >>> from labs import engines
    >>> con = engines.duckdb()
    >>> con.sql("select 1 + 1 as two").fetchall()
    [(2,)]
"""
