"""The command line `python -m labs.data`, run as a learner would run it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args, tmp_path):
    env = {**os.environ, "KIT_DATA_DIR": str(tmp_path / "kit-data"), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "labs.data", *args], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120)


def test_help(tmp_path):
    done = run("--help", tmp_path=tmp_path)
    assert done.returncode == 0
    assert "generate" in done.stdout and "list" in done.stdout
    assert "--scale" in run("generate", "--help", tmp_path=tmp_path).stdout


def test_list_names_every_data_set(tmp_path):
    done = run("list", tmp_path=tmp_path)
    assert done.returncode == 0
    assert [line.split()[0] for line in done.stdout.splitlines()] == ["ecommerce", "transactions", "iot"]


def test_generate_writes_and_reports(tmp_path):
    out = tmp_path / "out"
    done = run("generate", "iot", "transactions", "--scale", "0.01", "--seed", "7", "--out", str(out),
               "--quiet", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    manifest = json.loads((out / "iot" / "scale0.01-seed7" / "manifest.json").read_text())
    assert manifest["seed"] == 7 and manifest["row_counts"]["devices"] == 2
    assert (out / "transactions" / "scale0.01-seed7" / "transactions" / "part-00000.parquet").exists()
    assert "readings" in done.stdout and "1,000 rows" in done.stdout
    assert not (tmp_path / "kit-data").exists()


@pytest.mark.parametrize("args, words", [
    (["generate", "shop"], "choose from ecommerce, transactions, iot"),
    (["generate", "iot", "--scale", "0"], "scale must be a positive number"),
    (["generate", "iot", "--scale", "-1"], "scale must be a positive number"),
    (["generate", "iot", "--scale", "abc"], "not 'abc'"),
    (["generate", "iot", "--scale", "nan"], "scale must be a positive number"),
    (["generate", "iot", "--seed", "x"], "seed must be a whole number"),
    (["generate"], "or use --all"),
    (["explode"], "invalid choice"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, words):
    done = run(*args, tmp_path=tmp_path)
    assert done.returncode == 2
    assert words in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "kit-data").exists()


def test_ensure_all_uses_kit_data_dir_and_then_reuses(tmp_path):
    first = run("ensure", "--all", "--scale", "0.01", tmp_path=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "iot scale=0.01" in first.stderr  # the progress bar
    base = tmp_path / "kit-data"
    assert sorted(p.name for p in base.iterdir()) == ["ecommerce", "iot", "transactions"]
    manifest = base / "iot" / "scale0.01-seed42" / "manifest.json"
    stamp = manifest.stat().st_mtime_ns
    again = run("ensure", "iot", "--scale", "0.01", "--quiet", tmp_path=tmp_path)
    assert again.returncode == 0 and again.stderr == ""
    assert again.stdout == "iot (scale 0.01, seed 42): ready, nothing to generate\n"  # not the table list again
    assert manifest.stat().st_mtime_ns == stamp  # reused, not rewritten


def test_unwritable_output_is_one_line_and_leaves_nothing(tmp_path):
    (tmp_path / "afile").write_text("a file, not a folder")
    done = run("generate", "ecommerce", "--scale", "0.01", "--out", str(tmp_path / "afile" / "sub"),
               tmp_path=tmp_path)
    assert done.returncode == 2
    assert "cannot create the output folder" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]
