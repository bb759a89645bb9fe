"""Engines: one Spark session per process, reused; DuckDB and SQLite set up for the kit."""
import os
import subprocess
import sys

import pytest

from labs import engines
from labs.java import JavaMissing, find_java, require_java


def test_duckdb_has_progress_bar_off_and_utc():
    con = engines.duckdb()
    assert con.execute("select current_setting('enable_progress_bar')").fetchone()[0] is False
    assert con.execute("select current_setting('TimeZone')").fetchone()[0] == "UTC"


def test_duckdb_keeps_to_the_kernels_share_of_cores(monkeypatch):
    monkeypatch.setenv("KIT_THREADS", "1")
    assert engines.duckdb().execute("select current_setting('threads')").fetchone()[0] == 1
    monkeypatch.delenv("KIT_THREADS")
    assert engines.duckdb().execute("select current_setting('threads')").fetchone()[0] == (os.cpu_count() or 1)


@pytest.mark.parametrize("value", ["0", "two", "-1", "1.5"])
def test_a_bad_thread_count_is_one_clear_sentence(monkeypatch, value):
    monkeypatch.setenv("KIT_THREADS", value)
    with pytest.raises(ValueError, match="KIT_THREADS must be a whole number of cores"):
        engines.duckdb()


def test_sqlite_enforces_foreign_keys():
    db = engines.sqlite()
    db.execute("create table p (id integer primary key)")
    db.execute("create table c (pid integer references p(id))")
    with pytest.raises(Exception, match="FOREIGN KEY"):
        db.execute("insert into c values (1)")


def test_spark_session_is_reused_and_laptop_tuned(spark):
    assert engines.spark() is spark
    assert spark.conf.get("spark.sql.shuffle.partitions") == "2"
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
    assert spark.range(10).selectExpr("sum(id) as s").collect()[0]["s"] == 45


def test_spark_mode_follows_the_environment(monkeypatch):
    monkeypatch.delenv("SPARK_REMOTE", raising=False)
    monkeypatch.delenv("SPARK_MASTER", raising=False)
    assert engines.spark_mode() == "local"
    monkeypatch.setenv("SPARK_MASTER", "spark://host:7077")
    assert engines.spark_mode() == "cluster"
    monkeypatch.setenv("SPARK_REMOTE", "sc://localhost:15002")
    assert engines.spark_mode() == "connect"


def test_java_is_found_here():
    info = require_java()
    assert info.major in (17, 21)


def test_missing_java_is_one_sentence(tmp_path):
    """With no Java on PATH or JAVA_HOME: one line saying what to install, no stack trace."""
    env = {"PATH": str(tmp_path), "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-m", "labs.java"], capture_output=True, text=True, env=env,
                         cwd=os.path.dirname(os.path.dirname(engines.__file__)))
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Spark needs Java 17 or 21") and "install" in lines[0]


def test_find_java_ignores_a_java_that_is_too_old(tmp_path, monkeypatch):
    fake = tmp_path / "java"
    fake.write_text('#!/bin/sh\necho \'openjdk version "1.8.0_392"\' >&2\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    assert find_java() is None
    with pytest.raises(JavaMissing, match=r"found only .*\(Java 8\)"):
        require_java()


def test_spark_start_up_lines_stay_out_of_a_learners_cell(tmp_path):
    """The JVM's console lines go to the kit's log, not to the stderr a notebook cell shows."""
    code = ("from labs import engines\n"
            "engines.spark().sql('select 1').collect()\n"
            "import sys; print('after', file=sys.stderr)\n")
    env = {**os.environ, "KIT_STATE_DIR": str(tmp_path)}
    env.pop("SPARK_REMOTE", None)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stderr.strip() == "after"  # this process's own stderr still works afterwards
    log = (tmp_path / "logs" / "spark.log").read_text()
    assert "setLogLevel" in log or "incubator" in log  # the lines were written, where they belong
