"""Pictures for the partitioning lab: the hash ring, and load per node or task.

Each function draws on a matplotlib ``ax`` you pass in and returns it, so a notebook
cell decides the layout:

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ring(ax, ["a", "b", "c"], vnodes=4)
    >>> plt.close(fig)
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd

from labs.partitioning.hashing import check_nodes, token, vnode_tokens, RING_SIZE

PALETTE = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3",
           "#937860", "#da8bc3", "#8c8c8c", "#ccb974", "#64b5cd")


def _xy(position: float, radius: float = 1.0) -> tuple[float, float]:
    # Position 0 sits at the top of the circle and tokens grow clockwise.
    angle = math.pi / 2 - 2 * math.pi * position
    return radius * math.cos(angle), radius * math.sin(angle)


def colours(nodes: Sequence[str]) -> dict[str, str]:
    return {node: PALETTE[i % len(PALETTE)] for i, node in enumerate(nodes)}


def ring(ax, nodes: Sequence[str], vnodes: int = 1, keys: Sequence = (), title: str | None = None):
    """The ring: each arc in the colour of the node that owns it, virtual nodes as dots,
    and optional keys as small crosses just inside the circle.

    A key belongs to the first virtual node clockwise from it, so the arc *ending* at
    a dot is that dot's node's.
    """
    nodes = check_nodes(nodes)
    ring_frame = vnode_tokens(nodes, vnodes)
    palette = colours(nodes)
    positions = ring_frame["position"].tolist()
    owners = ring_frame["node"].tolist()
    for i, (end, owner) in enumerate(zip(positions, owners)):
        start = positions[i - 1] - (1.0 if i == 0 else 0.0)  # the first arc wraps past the top
        arc = np.linspace(start, end, max(2, int((end - start) * 360)))
        xs, ys = zip(*(_xy(p) for p in arc))
        ax.plot(xs, ys, color=palette[owner], linewidth=6, solid_capstyle="butt")
    for position, owner in zip(positions, owners):
        x, y = _xy(position)
        ax.scatter([x], [y], s=40, color=palette[owner], edgecolor="black", zorder=3)
    if vnodes == 1:
        for position, owner in zip(positions, owners):
            x, y = _xy(position, 1.22)
            ax.text(x, y, owner, ha="center", va="center", fontsize=9)
    for key in keys:
        x, y = _xy(token(key) / RING_SIZE, 0.86)
        ax.scatter([x], [y], marker="x", s=18, color="black", linewidth=1)
    ax.set_xlim(-1.4, 1.4)
    ax.set_ylim(-1.4, 1.4)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title or f"{len(nodes)} nodes x {vnodes} virtual node{'s' if vnodes > 1 else ''}")
    handles = [ax.plot([], [], color=palette[n], linewidth=6)[0] for n in nodes]
    ax.legend(handles, nodes, loc="lower center", ncol=min(len(nodes), 5), frameon=False,
              bbox_to_anchor=(0.5, -0.12), fontsize=8)
    return ax


def loads(ax, node_loads: pd.Series, title: str = "", unit: str = "keys", colour: str = "#4c72b0"):
    """Bars of load per node (or task) with the mean as a dashed line."""
    values = pd.Series(node_loads)
    ax.bar([str(i) for i in values.index], values.to_numpy(), color=colour)
    mean = float(values.mean())
    ax.axhline(mean, color="black", linestyle="--", linewidth=1)
    ax.text(len(values) - 0.5, mean, " mean", va="bottom", ha="right", fontsize=8)
    ax.set_ylabel(unit)
    ax.set_title(title)
    return ax
