"""Lineage as OpenLineage run events, written with ``openlineage-python`` to files, drawn as a graph.

Each job run sends a START event and then a COMPLETE or FAIL event naming the job, the datasets it
read (inputs) and wrote (outputs, with their row counts). A lineage server (Marquez, DataHub)
stitches the events into a graph; here the client's file transport writes them as JSON lines into
a folder, ``read_events`` reads them back and ``lineage_graph`` builds the graph with networkx:

    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> n = emit_pipeline(folder, "2024-06-01")
    >>> g = lineage_graph(folder)
    >>> sorted(upstream(g, "warehouse.fct_daily_revenue"))
    ['raw.customers', 'raw.orders', 'raw.payments', 'staging.customers', 'staging.orders', 'staging.payments', 'warehouse.dim_customer']
    >>> sorted(downstream(g, "raw.customers"))
    ['bi.revenue_dashboard', 'staging.customers', 'warehouse.dim_customer', 'warehouse.fct_daily_revenue']
    >>> import shutil; shutil.rmtree(folder)

No network: the client is given its transport and reads no configuration from the environment,
the working folder or the home folder (an ``OPENLINEAGE_URL`` set in a shell would otherwise
turn on HTTP). Run ids and event times derive from the day, so the files are the same every run.
"""
from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pandas as pd
from openlineage.client import OpenLineageClient
from openlineage.client.client import OpenLineageConfig
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import error_message_run, output_statistics_output_dataset
from openlineage.client.transport.file import FileConfig, FileTransport

from labs.monitoring.metrics import run_id

NAMESPACE = "orders_daily"
DATA_NAMESPACE = "shop"
PRODUCER = "urn:de-kit:labs.monitoring"
EVENTS_FILE = "openlineage.jsonl"
# job -> (inputs, outputs), in the order the pipeline runs them
JOBS = {
    "extract_orders": (["raw.orders"], ["staging.orders"]),
    "extract_payments": (["raw.payments"], ["staging.payments"]),
    "extract_customers": (["raw.customers"], ["staging.customers"]),
    "build_dim_customer": (["staging.customers"], ["warehouse.dim_customer"]),
    "build_fct_revenue": (["staging.orders", "staging.payments", "warehouse.dim_customer"],
                          ["warehouse.fct_daily_revenue"]),
    "publish_dashboard": (["warehouse.fct_daily_revenue"], ["bi.revenue_dashboard"]),
}


class _FileOnlyClient(OpenLineageClient):
    """The client with the transport it is given and a fixed, empty configuration."""

    def __init__(self, transport):
        self._fixed = OpenLineageConfig()
        super().__init__(transport=transport)

    @property
    def config(self) -> OpenLineageConfig:  # never merged from a YAML file or OPENLINEAGE__* variables
        return self._fixed

    def _alias_env_vars(self) -> None:  # the base class copies OPENLINEAGE_URL into the environment
        return None

    def _resolve_transport(self, **kwargs):  # not even OPENLINEAGE_DISABLED changes where events go
        return kwargs["transport"]


def client(folder) -> OpenLineageClient:
    """A client whose file transport appends every event to ``folder/openlineage.jsonl``."""
    folder = _folder(folder)
    return _FileOnlyClient(FileTransport(FileConfig(log_file_path=str(folder / EVENTS_FILE), append=True)))


def _folder(folder) -> Path:
    if not isinstance(folder, (str, Path)):
        raise ValueError(f"folder must be a path, not {type(folder).__name__}.")
    path = Path(folder)
    if not path.is_dir():
        raise ValueError(f"the lineage folder {path.name!r} does not exist: create it first.")
    return path


def _iso(ts) -> str:
    return pd.Timestamp(ts).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def emit_run(ol_client, job: str, started, ended, status: str = "COMPLETE", rows: dict | None = None,
             error: str | None = None, day=None, attempt: int = 1) -> str:
    """START at ``started``, then COMPLETE or FAIL at ``ended``, for one run of ``job``; returns its run id.

    ``rows`` maps an output dataset to its row count (the ``outputStatistics`` facet); ``error`` is
    the FAIL event's ``errorMessage`` facet.
    """
    if job not in JOBS:
        raise ValueError(f"unknown job {job!r}; the jobs are {', '.join(JOBS)}.")
    if status not in ("COMPLETE", "FAIL"):
        raise ValueError(f"status must be 'COMPLETE' or 'FAIL', not {status!r}.")
    inputs, outputs = JOBS[job]
    rows = rows or {}
    unknown = set(rows) - set(outputs)
    if unknown:
        raise ValueError(f"{job} does not write {sorted(unknown)[0]!r}; it writes {', '.join(outputs)}.")
    rid = run_id(day if day is not None else started, attempt, pipeline=f"{NAMESPACE}.{job}")
    ins = [InputDataset(namespace=DATA_NAMESPACE, name=name) for name in inputs]

    def outs(final: bool):
        facets = lambda name: ({"outputStatistics": output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
            rowCount=int(rows[name]))} if final and name in rows else {})
        return [OutputDataset(namespace=DATA_NAMESPACE, name=name, outputFacets=facets(name)) for name in outputs]

    ol_client.emit(RunEvent(eventType=RunState.START, eventTime=_iso(started), run=Run(runId=rid),
                            job=Job(namespace=NAMESPACE, name=job), inputs=ins, outputs=outs(False),
                            producer=PRODUCER))
    run_facets = {}
    if status == "FAIL":
        run_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=error or "failed", programmingLanguage="python")
    ol_client.emit(RunEvent(eventType=RunState(status), eventTime=_iso(ended), run=Run(runId=rid, facets=run_facets),
                            job=Job(namespace=NAMESPACE, name=job), inputs=ins, outputs=outs(status == "COMPLETE"),
                            producer=PRODUCER))
    return rid


def emit_pipeline(folder, day, rows: dict | None = None, failed_job: str | None = None,
                  error: str | None = None) -> int:
    """One day's run of every job (from 02:00, five minutes each); the jobs after ``failed_job`` do not run.

    ``rows`` maps a dataset to its row count. Returns the number of events written.
    """
    if failed_job is not None and failed_job not in JOBS:
        raise ValueError(f"unknown job {failed_job!r}; the jobs are {', '.join(JOBS)}.")
    day = pd.Timestamp(day).normalize()
    ol = client(folder)
    rows = rows or {}
    n = 0
    for i, (job, (_, outputs)) in enumerate(JOBS.items()):
        started = day + pd.Timedelta(hours=2, minutes=5 * i)
        fails = job == failed_job
        emit_run(ol, job, started, started + pd.Timedelta(minutes=4), "FAIL" if fails else "COMPLETE",
                 rows={k: v for k, v in rows.items() if k in outputs}, error=error, day=day)
        n += 2
        if fails:
            break
    ol.close()
    return n


def read_events(folder) -> pd.DataFrame:
    """Every event in the folder's files: time, type, job, run_id, inputs, outputs, rows (of outputs), error."""
    folder = _folder(folder)
    rows = []
    for path in sorted(folder.glob("*.json*")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            event = json.loads(line)
            counts = {o["name"]: o.get("outputFacets", {}).get("outputStatistics", {}).get("rowCount")
                      for o in event.get("outputs", [])}
            rows.append((pd.Timestamp(event["eventTime"]).tz_localize(None), event["eventType"],
                         event["job"]["name"], event["run"]["runId"],
                         [i["name"] for i in event.get("inputs", [])], list(counts),
                         {k: v for k, v in counts.items() if v is not None},
                         event["run"].get("facets", {}).get("errorMessage", {}).get("message")))
    out = pd.DataFrame(rows, columns=["time", "event_type", "job", "run_id", "inputs", "outputs", "rows", "error"])
    return out.sort_values(["time", "job"], kind="stable", ignore_index=True)


def lineage_graph(folder) -> nx.DiGraph:
    """Datasets and jobs as nodes (``kind``), input -> job -> output as edges.

    A job node keeps its last run's ``status`` (COMPLETE, FAIL, or RUNNING when only START came)
    and ``last_run``; a dataset node keeps its last ``rows`` count.
    """
    events = read_events(folder)
    if events.empty:
        raise ValueError("the lineage folder holds no OpenLineage events.")
    graph = nx.DiGraph()
    for event in events.itertuples():
        graph.add_node(event.job, kind="job")
        for name in event.inputs:
            graph.add_node(name, kind="dataset")
            graph.add_edge(name, event.job)
        for name in event.outputs:
            graph.add_node(name, kind="dataset")
            graph.add_edge(event.job, name)
        for name, count in event.rows.items():
            graph.nodes[name]["rows"] = count
        graph.nodes[event.job]["status"] = "RUNNING" if event.event_type == "START" else event.event_type
        graph.nodes[event.job]["last_run"] = event.time
    return graph


def _dataset(graph, name):
    if not isinstance(graph, nx.DiGraph):
        raise ValueError(f"graph must be a networkx DiGraph (from lineage_graph), not {type(graph).__name__}.")
    if graph.nodes.get(name, {}).get("kind") != "dataset":
        names = sorted(n for n, k in graph.nodes(data="kind") if k == "dataset")
        raise ValueError(f"no dataset {name!r} in the graph; it has {', '.join(names)}.")


def upstream(graph: nx.DiGraph, dataset: str) -> set[str]:
    """Every dataset ``dataset`` is built from, directly or not: where to look when it is wrong."""
    _dataset(graph, dataset)
    return {n for n in nx.ancestors(graph, dataset) if graph.nodes[n]["kind"] == "dataset"}


def downstream(graph: nx.DiGraph, dataset: str) -> set[str]:
    """Every dataset built from ``dataset``: who is hit when it is wrong."""
    _dataset(graph, dataset)
    return {n for n in nx.descendants(graph, dataset) if graph.nodes[n]["kind"] == "dataset"}


def plot_lineage(graph: nx.DiGraph, ax, highlight=()):
    """Left to right in dependency order: datasets as boxes (gold when highlighted), jobs as
    italic labels on dots (red when their last run failed); returns ``ax``."""
    if not isinstance(graph, nx.DiGraph) or not graph.number_of_nodes():
        raise ValueError("graph must be a non-empty networkx DiGraph (from lineage_graph).")
    pos = {}
    layers = list(nx.topological_generations(graph))
    for x, names in enumerate(layers):
        # the longest chain in the middle, the others above and below it: side edges then pass clear of it
        names = sorted(names, key=lambda n: (-len(nx.descendants(graph, n)), n))
        for k, name in enumerate(names):
            pos[name] = (x, (k + 1) // 2 * (1 if k % 2 else -1))
    for a, b in graph.edges:
        ax.annotate("", xy=pos[b], xytext=pos[a],
                    arrowprops={"arrowstyle": "->", "color": "0.6", "shrinkA": 14, "shrinkB": 14})
    for name, (x, y) in pos.items():
        if graph.nodes[name].get("kind") == "job":
            failed = graph.nodes[name].get("status") == "FAIL"
            ax.plot([x], [y], "o", color="tab:red" if failed else "tab:green", ms=5)
            ax.text(x, y - 0.18, name, fontsize=6, ha="center", va="top", style="italic")
        else:
            ax.text(x, y, name.replace(".", "\n", 1), fontsize=6, ha="center", va="center",
                    bbox={"boxstyle": "round", "fc": "gold" if name in highlight else "lightblue", "lw": 0.5})
    ys = [y for _, y in pos.values()]
    ax.set_xlim(-0.6, len(layers) - 0.4)
    ax.set_ylim(min(ys) - 0.5, max(ys) + 0.4)
    ax.set_axis_off()
    return ax
