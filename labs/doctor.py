"""Check that this machine can run the kit, and say what to fix if not.

    >>> results = check_environment(spark=False)
    >>> {r.name for r in results} >= {"python", "duckdb"}
    True
"""
from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def _version(module: str) -> str | None:
    try:
        return getattr(importlib.import_module(module), "__version__", "installed")
    except ImportError:
        return None


def check_environment(spark: bool = True) -> list[Check]:
    """One Check per requirement; ``spark=True`` also starts (or reuses) a Spark session."""
    checks = []
    py_ok = sys.version_info >= (3, 11)
    checks.append(Check("python", py_ok, sys.version.split()[0],
                        "" if py_ok else "use Python 3.11 or newer (run `make lab` with PYTHON=python3.11)"))
    for module, why in [("duckdb", "DuckDB labs"), ("pandas", "tables"), ("pyspark", "Spark labs"),
                        ("sqlglot", "SQL checks"), ("matplotlib", "pictures"), ("ipywidgets", "drills")]:
        version = _version(module)
        checks.append(Check(module, version is not None, version or "missing",
                            "" if version else f"run `make setup` to install {module} ({why})"))
    from labs.engines import spark_mode
    from labs.java import JavaMissing, require_java

    if spark_mode() == "local":
        try:
            java = require_java()
            checks.append(Check("java", True, f"Java {java.major}"))
        except JavaMissing as exc:
            checks.append(Check("java", False, "missing", str(exc)))
    else:
        checks.append(Check("java", True, f"not needed: Spark runs remotely ({spark_mode()})"))
    if spark and all(c.ok for c in checks):
        try:
            from labs.engines import spark as get_spark

            session = get_spark()
            session.range(1).collect()
            checks.append(Check("spark", True, f"Spark {session.version} ({spark_mode()})"))
        except Exception as exc:  # report, don't crash the notebook
            checks.append(Check("spark", False, str(exc).splitlines()[0], "see the README's troubleshooting section"))
    return checks


def report(checks: list[Check]):
    """The checks as a small DataFrame, with a one-line verdict printed first."""
    import pandas as pd

    bad = [c for c in checks if not c.ok]
    print("Everything the kit needs is here." if not bad else
          f"{len(bad)} problem(s): " + "; ".join(f"{c.name}: {c.fix}" for c in bad))
    return pd.DataFrame([c.__dict__ for c in checks])
