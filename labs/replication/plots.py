"""Pictures of replication: client timelines, replica values over time, quorum grids, latency lines.

Every function draws on a matplotlib axes (a new one if none is given) and returns it.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from labs.replication.history import History
    >>> ax = timeline(History.of(("a", "write", 1, 0, 10), ("b", "read", 1, 5, 15)))
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['a', 'b']
"""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

WRITE, READ, REFUSED, OFFENDING, PARTITION = "#4c72b0", "#55a868", "#c7c7c7", "#d62728", "#f2b880"
TERM_COLOURS = ("#4c72b0", "#dd8452", "#8172b3", "#937860")


def _axes(ax, size):
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def _shade_partitions(ax, partitions, label=True):
    for i, p in enumerate(partitions):
        ax.axvspan(p.start, p.end, color=PARTITION, alpha=0.25, lw=0,
                   label="partition" if label and i == 0 else None)


def timeline(history, *, offending=(), points=None, partitions=(), ax=None, title=None, labels=True):
    """One lane per client; a bar from invoke to response for each operation.

    Writes blue, reads green, refused ops grey, timed-out ops hatched and open-ended (they may
    still take effect), ``offending`` ops red. ``points`` ({op_id: time}, e.g. from
    ``Result.points()``) marks linearization points with black diamonds.
    """
    ops = list(history)
    ax = _axes(ax, (9, 0.55 * max(2, len({o.client for o in ops})) + 1.2))
    clients = sorted({op.client for op in ops})
    lane = {c: i for i, c in enumerate(clients)}
    bad = {op.op_id for op in offending}
    finite = [t for op in ops for t in (op.invoke, op.response) if math.isfinite(t)]
    span = (max(finite) - min(finite)) if finite else 1.0
    min_width = span * 0.006 or 0.5  # an instant op still shows as a sliver
    horizon = (max(finite) if finite else 0.0) + span * 0.06
    for op in ops:
        colour = OFFENDING if op.op_id in bad else REFUSED if op.status == "fail" else WRITE if op.kind == "write" else READ
        width = max(op.latency, min_width)
        ax.barh(lane[op.client], width, left=op.invoke, height=0.5, color=colour,
                alpha=0.45 if op.status == "timeout" else 0.9, hatch="//" if op.status == "timeout" else None,
                edgecolor="black" if op.op_id in bad else "white", lw=1.2 if op.op_id in bad else 0.5)
        if op.status == "timeout":  # no known end: it may still take effect later
            ax.plot([op.invoke + width, horizon], [lane[op.client]] * 2, ls=":", color=colour, lw=1.5)
        if labels:
            tag = op.label + ("?" if op.status == "timeout" else "✗" if op.status == "fail" else "")
            ax.text(op.invoke + width / 2, lane[op.client], tag, ha="center", va="center", fontsize=8,
                    color="white" if op.status == "ok" else "black", clip_on=True)
    for op_id, t in (points or {}).items():
        op = next((o for o in ops if o.op_id == op_id), None)
        if op is not None:
            ax.plot([t], [lane[op.client] - 0.38], marker="D", color="black", ms=4)
    _shade_partitions(ax, partitions)
    ax.set_yticks(range(len(clients)), clients)
    ax.set_ylim(len(clients) - 0.5, -0.7)
    ax.set_xlabel("time (ms)")
    handles = [Patch(color=WRITE, label="write"), Patch(color=READ, label="read")]
    if any(op.status == "fail" for op in ops):
        handles.append(Patch(color=REFUSED, label="refused"))
    if any(op.status == "timeout" for op in ops):
        handles.append(Patch(facecolor="white", edgecolor="grey", hatch="//", label="timed out"))
    if bad:
        handles.append(Patch(color=OFFENDING, label="offending"))
    if partitions:
        handles.append(Patch(color=PARTITION, alpha=0.4, label="partition"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    if title:
        ax.set_title(title)
    return ax


def replica_values(run, key: str = "x", ax=None, title=None, colorbar=True):
    """What each replica holds for ``key`` over time: one lane per node, coloured by the value held.

    Values are written in increasing order, so a sequential colormap keyed on the value tells
    them apart without repeating a colour: darker is older, lighter is newer. Segments wide
    enough carry their value as a label. Divergence during a partition shows as lanes of
    different colours; convergence after the heal as one colour again.
    """
    ax = _axes(ax, (9, 0.5 * run.cluster.n + 1.2))
    answered = [op.response for op in run.history if math.isfinite(op.response)]
    end = max(answered + [t for t, *_ in run.changes]) if answered or run.changes else run.end
    changes = [c for c in run.changes if c[2] == key]
    values = sorted({c[3] for c in changes if c[3] is not None})
    cmap = plt.get_cmap("viridis")
    norm = Normalize(vmin=min(values, default=0), vmax=max(values, default=1))
    label_width = 0.025 * (end - min([t for t, *_ in changes], default=0.0) or 1.0)
    for lane, node in enumerate(run.cluster.nodes):
        mine = [(t, v) for t, n, _, v in changes if n == node]
        for (t, v), nxt in zip(mine, mine[1:] + [(end, None)]):
            width = nxt[0] - t
            shade = cmap(norm(v)) if v is not None else "white"
            ax.barh(lane, width, left=t, height=0.6, color=shade, lw=0)
            if v is not None and width >= label_width:
                ax.text(t + width / 2, lane, str(v), ha="center", va="center", fontsize=7,
                        color="white" if norm(v) < 0.6 else "black", clip_on=True)
    _shade_partitions(ax, run.partitions)
    if run.partitions:
        ax.legend(handles=[Patch(color=PARTITION, alpha=0.4, label="partition")], loc="upper left",
                  bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    if colorbar and values:
        ax.figure.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, pad=0.01, shrink=0.9,
                           label="value held")
    ax.set_yticks(range(run.cluster.n), [f"{n} ({run.cluster.dcs[n]})" if len(set(run.cluster.dcs.values())) > 1 else n
                                         for n in run.cluster.nodes])
    ax.set_ylim(run.cluster.n - 0.5, -0.5)
    ax.set_xlabel("time (ms)")
    ax.set_title(title or f"value of {key!r} held by each replica (lighter is newer)")
    return ax


def fencing(run, ax=None, title=None):
    """The writes each leader sent to shared storage over time: filled if accepted, a cross if refused.

    ``run`` is a ``consensus.failover(...)`` result. A lane per writer; colour by term; the
    partition shaded and the new leader's election marked.
    """
    writers = sorted({w.writer for w in run.writes})
    ax = _axes(ax, (9, 0.5 * len(writers) + 1.3))
    lane = {name: i for i, name in enumerate(writers)}
    terms = sorted({w.term for w in run.writes})
    colour = {t: TERM_COLOURS[i % len(TERM_COLOURS)] for i, t in enumerate(terms)}
    for w in run.writes:
        if w.accepted:
            ax.plot(w.time, lane[w.writer], "o", color=colour[w.term], ms=6)
        else:
            ax.plot(w.time, lane[w.writer], "x", color="black", ms=7, mew=1.6)
    start, end, _ = run.partition
    ax.axvspan(start, end, color=PARTITION, alpha=0.25, lw=0)
    if math.isfinite(run.takeover):
        ax.axvline(run.takeover, color="black", ls="--", lw=1)
    handles = [Line2D([], [], marker="o", ls="", color=colour[t], label=f"accepted, term {t}") for t in terms]
    if run.rejected:
        handles.append(Line2D([], [], marker="x", ls="", color="black", mew=1.6, label="refused: stale token"))
    handles += [Patch(color=PARTITION, alpha=0.4, label="partition"),
                Line2D([], [], color="black", ls="--", lw=1, label="new leader elected")]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    ax.set_yticks(range(len(writers)), writers)
    ax.set_ylim(len(writers) - 0.5, -0.5)
    ax.set_xlabel("time (ms)")
    if title:
        ax.set_title(title)
    return ax


def quorum_grid(frame, value: str = "stale_rate", ax=None, title=None, fmt="{:.0%}"):
    """A heatmap over (R, W) of ``value`` from a frame with columns r, w and ``value``."""
    ax = _axes(ax, (4.2, 3.6))
    table = frame.pivot_table(index="r", columns="w", values=value, aggfunc="mean").sort_index(ascending=False)
    image = ax.imshow(table.to_numpy(dtype=float), cmap="Reds", vmin=0, aspect="auto")
    for i, r in enumerate(table.index):
        for j, w in enumerate(table.columns):
            cell = table.loc[r, w]
            ax.text(j, i, fmt.format(cell), ha="center", va="center", fontsize=9,
                    color="white" if cell > 0.6 * max(table.max().max(), 1e-9) else "black")
    ax.set_xticks(range(len(table.columns)), [str(w) for w in table.columns])
    ax.set_yticks(range(len(table.index)), [str(r) for r in table.index])
    ax.set_xlabel("W (write acks waited for)")
    ax.set_ylabel("R (read replies waited for)")
    ax.figure.colorbar(image, ax=ax, shrink=0.8)
    if title:
        ax.set_title(title)
    return ax


def latency_lines(frame, x: str = "r", y: str = "read_p50_ms", hue: str = "layout", ax=None, title=None,
                  ylabel="median read latency (ms)"):
    """One line per ``hue`` value: ``y`` against ``x`` (e.g. read latency against R per layout)."""
    ax = _axes(ax, (6, 3.6))
    for name, group in frame.groupby(hue, sort=False):
        group = group.sort_values(x)
        ax.plot(group[x], group[y], marker="o", label=name)
    ax.set_xticks(sorted(frame[x].unique()))
    ax.set_xlabel(x.upper() if len(x) == 1 else x)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title)
    return ax
