"""The same question on Spark and on DuckDB over the generated orders gives the same answer."""
import pandas as pd

from labs import engines
from labs.data import ensure
from grader.checkers.tables import compare

QUESTION = """
SELECT status, channel, count(*) AS n_orders, round(sum(total_amount), 2) AS revenue
FROM orders GROUP BY status, channel
"""


def test_spark_and_duckdb_agree_on_orders(spark):
    path = str(ensure("ecommerce")["orders"])
    by_duckdb = engines.duckdb().sql(QUESTION.replace("FROM orders", f"FROM read_parquet('{path}')")).df()
    spark.read.parquet(path).createOrReplaceTempView("orders")
    by_spark = spark.sql(QUESTION).toPandas()
    assert len(by_duckdb) > 5
    assert compare(by_spark, by_duckdb) is None


def test_a_wrong_answer_is_told_apart(spark):
    """The comparison used above is not vacuous: a filtered result differs."""
    path = str(ensure("ecommerce")["orders"])
    by_duckdb = engines.duckdb().sql(QUESTION.replace("FROM orders", f"FROM read_parquet('{path}')")).df()
    spark.read.parquet(path).createOrReplaceTempView("orders")
    by_spark = spark.sql(QUESTION.replace("FROM orders", "FROM orders WHERE total_amount > 20")).toPandas()
    assert compare(by_spark, by_duckdb) is not None
