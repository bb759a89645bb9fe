"""Find a Java runtime that Spark 4 can use (17 or 21), or say what to install.

    >>> info = find_java()
    >>> info is None or info.major in SUPPORTED
    True
"""
from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SUPPORTED = (17, 21)


class JavaMissing(RuntimeError):
    """No usable Java: the message is one sentence with the fix."""


@dataclass(frozen=True)
class JavaInfo:
    path: str
    major: int


def _candidates() -> list[str]:
    found = []
    if os.environ.get("JAVA_HOME"):
        found.append(str(Path(os.environ["JAVA_HOME"]) / "bin" / "java"))
    on_path = shutil.which("java")
    if on_path:
        found.append(on_path)
    return found


def _major_version(java: str) -> int | None:
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    # `java -version` prints to stderr, e.g. `openjdk version "17.0.15" 2025-04-15`
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2)) if major == 1 else major  # "1.8" means Java 8


def find_java() -> JavaInfo | None:
    """The first Java 17/21 on JAVA_HOME or PATH, or None."""
    for java in _candidates():
        major = _major_version(java)
        if major in SUPPORTED:
            return JavaInfo(java, major)
    return None


def install_hint() -> str:
    system = platform.system()
    if system == "Darwin":
        return "install Java 17 with `brew install openjdk@17` (or use the conda route: `conda env create -f environment.yml`)"
    if Path("/etc/debian_version").exists():
        return "install Java 17 with `sudo apt-get install -y openjdk-17-jre-headless`"
    return "install a Java 17 or 21 runtime (for example Eclipse Temurin 17) and put it on PATH or in JAVA_HOME"


def require_java() -> JavaInfo:
    """Return the Java Spark will use, or raise JavaMissing with one sentence saying what to do."""
    info = find_java()
    if info is None:
        seen = [f"{c} (Java {_major_version(c)})" for c in _candidates()]
        found = f"; found only {', '.join(seen)}" if seen else ""
        raise JavaMissing(f"Spark needs Java 17 or 21{found}: {install_hint()}.")
    return info


if __name__ == "__main__":  # used by the setup script
    import sys

    try:
        info = require_java()
    except JavaMissing as exc:
        print(exc, file=sys.stderr)
        sys.exit(1)
    print(f"Java {info.major} at {info.path}")
