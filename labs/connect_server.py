"""Start the Spark Connect server that ships with pyspark, on 127.0.0.1.

Kernels then reach Spark through ``SPARK_REMOTE=sc://127.0.0.1:PORT`` instead of each
starting a JVM of their own: the same route a notebook takes to a remote cluster.

    with ConnectServer() as server:
        os.environ["SPARK_REMOTE"] = server.url
        ...

From a terminal: ``python -m labs.connect_server`` runs one until Ctrl-C.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from labs import paths
from labs.engines import LAPTOP_CONF, _jvm_options


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


class ConnectServer:
    def __init__(self, port: int | None = None, startup_timeout: float = 120.0):
        self.port = port or _free_port()
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen | None = None
        self.log = paths.state_dir() / f"spark-connect-{self.port}.log"

    @property
    def url(self) -> str:
        return f"sc://127.0.0.1:{self.port}"

    def start(self) -> "ConnectServer":
        from labs.java import require_java
        import pyspark

        require_java()
        spark_home = Path(pyspark.__file__).parent
        scratch = paths.state_dir() / "spark-tmp"
        scratch.mkdir(parents=True, exist_ok=True)
        conf = dict(LAPTOP_CONF)
        conf.update({
            "spark.connect.grpc.binding.address": "127.0.0.1",
            "spark.connect.grpc.binding.port": str(self.port),
            "spark.local.dir": str(scratch),
            "spark.driver.extraJavaOptions": _jvm_options(scratch),
            "spark.sql.warehouse.dir": str(paths.state_dir() / "spark-warehouse"),
        })
        args = ["bash", str(spark_home / "sbin" / "start-connect-server.sh"), "--wait", "--master", f"local[{os.cpu_count() or 2}]"]
        for key, value in conf.items():
            args += ["--conf", f"{key}={value}"]
        env = dict(os.environ, SPARK_HOME=str(spark_home), SPARK_LOCAL_IP="127.0.0.1",
                   PYSPARK_PYTHON=sys.executable, SPARK_LOG_DIR=str(scratch), SPARK_PID_DIR=str(scratch))
        env.pop("SPARK_REMOTE", None)
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        deadline = time.monotonic() + self.startup_timeout
        while not _listening(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = self.log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"The Spark Connect server did not start; its log ends with:\n{tail}")
            time.sleep(0.5)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # the script, spark-submit and the JVM
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


if __name__ == "__main__":
    with ConnectServer(port=int(sys.argv[1]) if len(sys.argv) > 1 else 15002) as server:
        print(f"Spark Connect is up: export SPARK_REMOTE={server.url}   (Ctrl-C stops it)")
        try:
            server.proc.wait()
        except KeyboardInterrupt:
            pass
