"""One way to get each engine: Spark, DuckDB and SQLite.

    >>> con = duckdb()
    >>> con.sql("select 42").fetchall()
    [(42,)]
    >>> db = sqlite()
    >>> db.execute("select 1").fetchone()
    (1,)

``spark()`` returns one session per process (a notebook kernel), tuned for a
laptop, unless the environment points at a real cluster:

- ``SPARK_REMOTE=sc://host:15002``: a Spark Connect server (no local JVM);
- ``SPARK_MASTER=spark://host:7077`` (or ``yarn``, ``k8s://...``): a classic cluster.

Lab code uses DataFrames and SQL only, so it runs the same in every mode.
"""
from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
from pathlib import Path

from labs import paths

_spark = None

# Settings that make a one-machine Spark pleasant; a cluster keeps its own defaults
# for anything not listed here.
LAPTOP_CONF = {
    # 200 shuffle partitions turn a tiny group-by into 200 tasks: 2 suits a laptop.
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    # One clock for every learner: results do not depend on the laptop's time zone.
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    # Spark 4 applies this level as the context starts: learners see results, not INFO chatter.
    "spark.log.level": "ERROR",
}


def threads() -> int | None:
    """How many cores this kernel's engines may use: ``KIT_THREADS``, or None for all of them.

    Class grading runs several kernels at once and gives each its share of the cores:
    two kernels that each run DuckDB and Spark on every core only slow each other down.

        >>> os.environ["KIT_THREADS"] = "1"; threads()
        1
        >>> del os.environ["KIT_THREADS"]; threads() is None
        True
    """
    value = os.environ.get("KIT_THREADS", "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"KIT_THREADS must be a whole number of cores such as 2, not {value!r}; "
                         "unset it to use every core.")
    return int(value)


def _jvm_options(scratch: Path) -> str:
    log_conf = Path(__file__).with_name("conf") / "log4j2.properties"
    return f"-Djava.io.tmpdir={scratch} -Dlog4j2.configurationFile={log_conf}"


def spark(app_name: str = "de-kit"):
    """The kernel's Spark session, created on first use and then reused."""
    global _spark
    if _spark is not None and not _is_stopped(_spark):
        return _spark
    from pyspark.sql import SparkSession

    remote = os.environ.get("SPARK_REMOTE")
    if remote:
        _spark = SparkSession.builder.remote(remote).appName(app_name).getOrCreate()
        return _spark

    master = os.environ.get("SPARK_MASTER")
    if not master:
        from labs.java import require_java

        require_java()  # one clear sentence instead of a JVM stack trace
        master = f"local[{threads() or os.cpu_count() or 2}]"
    # Spark starts Python workers with `python3` from PATH unless told otherwise,
    # which breaks pandas UDFs when the kit runs in a virtual environment.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")

    # Killed kernels leave spark-*/blockmgr-* folders behind: keep them in a kit folder.
    scratch = paths.state_dir() / "spark-tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in LAPTOP_CONF.items():
        builder = builder.config(key, value)
    builder = (
        builder.config("spark.local.dir", str(scratch))
        .config("spark.driver.extraJavaOptions", _jvm_options(scratch))
        .config("spark.executor.extraJavaOptions", _jvm_options(scratch))
        .config("spark.sql.warehouse.dir", str(paths.state_dir() / "spark-warehouse"))
    )
    with _jvm_stderr_into(spark_log()):
        _spark = builder.getOrCreate()
    return _spark


def spark_log() -> Path:
    """Where the local JVM's own console messages go: `.kit/logs/spark.log` (see the README)."""
    folder = paths.state_dir() / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "spark.log"


@contextlib.contextmanager
def _jvm_stderr_into(log: Path):
    """Start the JVM with its stderr going to ``log``, then give this process its stderr back.

    The JVM writes its start-up lines (the incubator-module warning, the default log level and
    the setLogLevel tip) to the stderr it inherits, below log4j, so no log setting removes them;
    in Jupyter they would land in the learner's cell as a red box. Errors still reach the
    learner: Python raises them.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no usable file descriptor 2 (an embedded interpreter)
        yield
        return
    try:
        with open(log, "ab") as sink:
            os.dup2(sink.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _is_stopped(session) -> bool:
    # A learner may call spark.stop(), and a JVM or a Connect server can die under a kernel.
    # Running one tiny query is the one test that means the same on classic Spark and on
    # Spark Connect and also catches a dead JVM or server (Connect's is_stopped flag only
    # knows about stop()). When it fails, spark() builds again: after stop() that gives a
    # fresh session; with a dead JVM it raises, so a caller such as the grader can say Spark
    # is unavailable instead of blaming the learner's query. The price is one small Spark job
    # per call after the first: keep the session rather than calling spark() in a loop.
    try:
        session.sql("select 1").collect()
        return False
    except Exception:
        return True


def spark_mode() -> str:
    """'connect', 'cluster' or 'local': which kind of Spark `spark()` gives."""
    if os.environ.get("SPARK_REMOTE"):
        return "connect"
    return "cluster" if os.environ.get("SPARK_MASTER") else "local"


def duckdb(database: str | Path = ":memory:", read_only: bool = False):
    """A DuckDB connection with the progress bar off (it garbles notebook outputs)."""
    import duckdb as _duckdb

    con = _duckdb.connect(str(database), read_only=read_only)
    share = threads()
    if share:
        con.execute(f"SET threads = {share}")
    con.execute("SET enable_progress_bar = false")
    con.execute("SET TimeZone = 'UTC'")
    return con


def sqlite(database: str | Path = ":memory:") -> sqlite3.Connection:
    """A SQLite connection with foreign keys enforced (SQLite leaves them off by default)."""
    con = sqlite3.connect(str(database))
    con.execute("PRAGMA foreign_keys = ON")
    return con
