"""Seeded, deterministic data sets for the labs: generate once, then read the files.

Three data sets (``DATASETS``):

- ``ecommerce``: customers, products, orders, order items, payments, clickstream;
- ``transactions``: card transactions, 100,000 rows per unit of scale, with
  skewed merchants; generated inside DuckDB, so it reaches a billion rows;
- ``iot``: one day of sensor messages with late, duplicated and lost messages
  and drifting clocks, plus the labels of every planted fault.

``generate`` writes a data set and returns the path of each table; ``ensure``
returns the paths of a data set already on disk, generating it first if needed:

    >>> import shutil, tempfile
    >>> base = tempfile.mkdtemp()
    >>> paths = ensure("ecommerce", scale=0.01, out=base, progress=False)
    >>> sorted(paths)[:3]
    ['clickstream', 'clickstream_json', 'customers']
    >>> paths["orders"].relative_to(base).as_posix()
    'ecommerce/scale0.01-seed42/orders.parquet'
    >>> shutil.rmtree(base)

Folder layout, under ``out`` (default ``labs.paths.data_dir()``, which the
``KIT_DATA_DIR`` environment variable moves)::

    <out>/<name>/scale<scale>-seed<seed>/    e.g. datasets/ecommerce/scale1.0-seed42/
        manifest.json                        name, scale, seed, row counts, files
        <table>.parquet                      one file per table
        <table>_by_day/<key>=YYYY-MM-DD/     hive-style partitions, where pruning matters
        <table>_json/part-00000.jsonl        JSON lines in arrival order, for streaming

The same name, scale and seed always give the same bytes (see
``datasets/README.md`` for every table and column).
"""
from __future__ import annotations

import contextlib
import importlib
import json
import sys
from pathlib import Path

from labs._atomic import FolderError, atomic_folder
from labs.data._checks import DataGenError, check_scale, check_seed

DATASETS = ("ecommerce", "transactions", "iot")
# Bump when a generator changes its output: ensure() then regenerates old copies.
KIT_DATA_VERSION = 3
MANIFEST = "manifest.json"
_SUBMODULES = ("ecommerce", "transactions", "iot", "defects", "samples")

__all__ = ["DATASETS", "KIT_DATA_VERSION", "DataGenError", "dataset_dir", "generate", "ensure",
           "ecommerce", "transactions", "iot", "defects"]


def dataset_dir(name: str, scale: float = 1.0, seed: int = 42, out=None) -> Path:
    """The folder a data set is written to (it may not exist yet).

        >>> dataset_dir("iot", 0.5, 7, out="data").as_posix()
        'data/iot/scale0.5-seed7'
    """
    name, scale, seed = _check_name(name), check_scale(scale), check_seed(seed)
    from labs.paths import data_dir

    base = Path(out) if out is not None else data_dir()
    return base / name / f"scale{scale!r}-seed{seed}"


def generate(name: str, scale: float = 1.0, seed: int = 42, out=None,
             progress: bool = True) -> dict[str, Path]:
    """Write data set ``name`` (replacing any old copy) and return {table: path}.

    Everything is written into a hidden folder next to the destination and renamed
    into place at the end, so an error or Ctrl-C leaves no half-written data.
    Raises ``ValueError`` for a bad name, scale or seed, and ``DataGenError`` when
    the output folder cannot be written.
    """
    folder = dataset_dir(name, scale, seed, out)
    scale, seed = check_scale(scale), check_seed(seed)
    try:
        with _atomic_folder(folder) as tmp:  # fails fast if the folder cannot be written
            from tqdm.auto import tqdm

            module = _generator(name)
            with tqdm(total=module.steps(scale), desc=f"{name} scale={scale:g}", unit="step",
                      file=sys.stderr, disable=not progress, leave=False) as bar:
                entries = module.write_dataset(tmp, scale, seed, bar)
            _write_manifest(tmp, name, scale, seed, entries)
    except DataGenError:
        raise
    except OSError as error:
        raise DataGenError(f"could not write the {name} data set to {folder.parent}: "
                           f"{error.strerror or error}.") from error
    except Exception as error:
        if type(error).__name__ == "IOException":  # DuckDB's own I/O error
            raise DataGenError(f"could not write the {name} data set to {folder.parent}: {error}") from error
        raise
    return _paths(folder, entries)


def is_ready(name: str, scale: float = 1.0, seed: int = 42, out=None) -> bool:
    """True when a complete copy from the current generators is on disk (``ensure`` would reuse it)."""
    folder = dataset_dir(name, scale, seed, out)
    manifest = _read_manifest(folder)
    return manifest is not None and _is_complete(folder, manifest, name, check_scale(scale), check_seed(seed))


def ensure(name: str, scale: float = 1.0, seed: int = 42, out=None, *,
           progress: bool = True) -> dict[str, Path]:
    """Return {table: path} of a data set, generating it first if it is missing,
    incomplete or from an older version of the generators."""
    folder = dataset_dir(name, scale, seed, out)
    manifest = _read_manifest(folder)
    if manifest is not None and _is_complete(folder, manifest, name, check_scale(scale), check_seed(seed)):
        return _paths(folder, manifest["tables"])
    return generate(name, scale, seed, out, progress=progress)


def __getattr__(attribute: str):
    # `import labs.data` stays light; `labs.data.ecommerce` loads the module on first use.
    if attribute in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{attribute}")
    raise AttributeError(f"module {__name__!r} has no attribute {attribute!r}")


def _check_name(name) -> str:
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}: choose from {', '.join(DATASETS)}.")
    return name


def _generator(name: str):
    return importlib.import_module(f"{__name__}.{name}")


@contextlib.contextmanager
def _atomic_folder(folder: Path):
    """``labs._atomic.atomic_folder``, its folder errors reported as ``DataGenError``."""
    try:
        with atomic_folder(folder) as tmp:
            yield tmp
    except FolderError as error:
        raise DataGenError(str(error)) from None


def _write_manifest(folder: Path, name: str, scale: float, seed: int, entries: dict) -> None:
    files = {p.relative_to(folder).as_posix(): p.stat().st_size
             for p in sorted(folder.rglob("*")) if p.is_file()}
    manifest = {
        "name": name,
        "scale": scale,
        "seed": seed,
        "kit_data_version": KIT_DATA_VERSION,
        "row_counts": {table: entry["rows"] for table, entry in entries.items()},
        "tables": entries,
        "files": files,  # sizes let ensure() notice a truncated or missing file cheaply
    }
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    (folder / MANIFEST).write_text(text, encoding="utf-8")


def _read_manifest(folder: Path) -> dict | None:
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _is_complete(folder: Path, manifest: dict, name: str, scale: float, seed: int) -> bool:
    try:
        same = (manifest["name"], manifest["scale"], manifest["seed"], manifest["kit_data_version"]) == (
            name, scale, seed, KIT_DATA_VERSION)
        return same and all(
            (folder / path).is_file() and (folder / path).stat().st_size == size
            for path, size in manifest["files"].items())
    except (KeyError, TypeError, OSError):
        return False


def _paths(folder: Path, entries: dict) -> dict[str, Path]:
    return {table: folder / entry["path"] for table, entry in entries.items()}
