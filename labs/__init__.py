"""Lab code for the kit: engines, data generators, simulators and pipelines.

Nothing here imports ``grader``: every lab runs on its own.

    >>> from labs import engines
    >>> con = engines.duckdb()
    >>> con.sql("select 1 + 1 as two").fetchall()
    [(2,)]
"""
import os as _os

# A Spark Connect client talks gRPC. gRPC's fork handlers print "Other threads are currently
# calling into gRPC, skipping fork() handlers" into the learner's cell whenever the kernel forks
# (the grader runs a learner's function in a forked child). The child never uses gRPC, so the
# handlers buy nothing here; set before anything imports grpc.
_os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")
