"""Where the kit keeps things on disk.

Every location can be moved with an environment variable, so tests, CI and
batch grading never touch a learner's own files:

- ``KIT_ROOT``: the checkout (default: the folder above ``labs/``)
- ``KIT_DATA_DIR``: generated data (default: ``<root>/datasets``)
- ``KIT_STATE_DIR``: progress, Spark scratch space (default: ``<root>/.kit``)

    >>> data_dir().name
    'datasets'
"""
from __future__ import annotations

import os
from pathlib import Path


def root() -> Path:
    return Path(os.environ.get("KIT_ROOT", Path(__file__).resolve().parent.parent))


def data_dir() -> Path:
    return Path(os.environ.get("KIT_DATA_DIR", root() / "datasets"))


def state_dir() -> Path:
    """Kit-owned scratch and state folder, created on demand."""
    path = Path(os.environ.get("KIT_STATE_DIR", root() / ".kit"))
    path.mkdir(parents=True, exist_ok=True)
    return path
