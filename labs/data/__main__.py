"""Command line for the data generators: ``python -m labs.data --help``.

    python -m labs.data list
    python -m labs.data ensure --all                   # what the setup runs: reuse or generate
    python -m labs.data generate ecommerce iot --scale 0.5 --seed 7
    python -m labs.data generate transactions --scale 100 --out ../kit-data
    python -m labs.data samples                        # refresh datasets/samples/

Bad input (an unknown data set, a scale that is not a positive number, an output
folder that cannot be written) prints one line to stderr and exits with status 2.
"""
from __future__ import annotations

import argparse
import json
import sys

from labs import data
from labs.data._checks import DataGenError, check_scale, check_seed

DESCRIPTIONS = {
    "ecommerce": "online shop: customers, products, orders, order items, payments, clickstream "
                 "(20,000 orders and ~100,000 click events at scale 1)",
    "transactions": "card transactions made inside DuckDB, skewed merchants "
                    "(100,000 rows per unit of scale; scale 10000 = a billion)",
    "iot": "one day of sensor messages with late, duplicated and lost messages and clock drift "
           "(200 devices, 288,000 messages at scale 1)",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage dump
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m labs.data",
                     description="Generate the kit's seeded, deterministic data sets.",
                     epilog="examples:\n  python -m labs.data list\n"
                            "  python -m labs.data ensure --all\n"
                            "  python -m labs.data generate ecommerce --scale 0.5 --seed 7",
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    commands.add_parser("list", help="show the data sets you can generate")
    for command, summary, description in (
        ("generate", "write data sets (replacing old copies)",
         "Write data sets, replacing any old copy, and list their tables."),
        ("ensure", "write data sets that are missing or incomplete",
         "Make sure data sets are on disk: reuse complete copies, generate the others."),
    ):
        sub = commands.add_parser(command, help=summary, description=description)
        sub.add_argument("names", nargs="*", metavar="NAME", help=f"one of: {', '.join(data.DATASETS)}")
        sub.add_argument("--all", action="store_true", help="every data set")
        sub.add_argument("--scale", default="1", help="size multiplier, a positive number (default 1)")
        sub.add_argument("--seed", default="42", help="random seed, a whole number >= 0 (default 42)")
        sub.add_argument("--out", default=None,
                         help="base folder (default: the kit's datasets/ folder, or $KIT_DATA_DIR)")
        sub.add_argument("--quiet", action="store_true", help="no progress bar")
    commands.add_parser("samples", help="rewrite the small CSV samples in datasets/samples/")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "list":
            for name in data.DATASETS:
                print(f"{name:<13} {DESCRIPTIONS[name]}")
            return 0
        if args.command == "samples":
            from labs.data import samples

            for path in samples.write():
                print(path)
            return 0
        names = list(data.DATASETS) if args.all else args.names
        if not names:
            raise ValueError(f"name a data set ({', '.join(data.DATASETS)}) or use --all.")
        scale, seed = _number(args.scale, float, check_scale), _number(args.seed, int, check_seed)
        for name in names:  # check every name before writing anything
            data.dataset_dir(name, scale, seed, args.out)
        make = data.generate if args.command == "generate" else data.ensure
        for name in names:
            ready = args.command == "ensure" and data.is_ready(name, scale, seed, args.out)
            paths = make(name, scale, seed, args.out, progress=not args.quiet)
            if ready:  # nothing was written: one line, not the whole table list again
                print(f"{name} (scale {scale:g}, seed {seed}): ready, nothing to generate")
            else:
                _report(name, scale, seed, paths)
        return 0
    except (ValueError, DataGenError) as error:
        print(f"python -m labs.data: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("python -m labs.data: interrupted; nothing half-written was kept.", file=sys.stderr)
        return 130


def _number(text: str, kind, check):
    try:
        return check(kind(text))
    except ValueError:
        return check(text)  # rejects any text, with a message quoting what was typed


def _report(name: str, scale: float, seed: int, paths: dict) -> None:
    folder = next(iter(paths.values())).parent  # every table sits in the data set's folder
    manifest = json.loads((folder / data.MANIFEST).read_text(encoding="utf-8"))
    print(f"{name} (scale {scale:g}, seed {seed}) -> {folder}")
    for table, path in paths.items():
        rows = manifest["row_counts"][table]
        print(f"  {table:<20} {rows:>12,} rows  {path.relative_to(folder).as_posix()}")


if __name__ == "__main__":
    sys.exit(main())
