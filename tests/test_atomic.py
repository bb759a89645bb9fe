"""labs._atomic: files and folders appear whole or not at all, and a failure keeps the old content."""
from __future__ import annotations

import os

import pytest

from labs import _atomic
from labs._atomic import FolderError, atomic_folder, replace, replacing, write_bytes, write_text


def names(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# -- files -------------------------------------------------------------------------

def test_write_text_creates_replaces_and_makes_its_folder(tmp_path):
    path = tmp_path / "deep" / "er" / "gradebook.csv"
    write_text(path, "a,b\n")
    assert path.read_text() == "a,b\n"
    write_text(path, "ünï,cödé\n")
    assert path.read_bytes() == "ünï,cödé\n".encode("utf-8")
    assert names(path.parent) == ["gradebook.csv"]  # no temporary file left beside it


def test_written_files_get_the_usual_permissions(tmp_path):
    write_bytes(tmp_path / "a.bin", b"\x00\x01")
    (tmp_path / "b.bin").write_bytes(b"\x00\x01")
    assert (tmp_path / "a.bin").stat().st_mode == (tmp_path / "b.bin").stat().st_mode


def test_a_failure_mid_write_leaves_the_old_content(tmp_path):
    path = tmp_path / "progress.json"
    write_text(path, '{"old": true}')
    with pytest.raises(RuntimeError, match="disk on fire"):
        with replacing(path) as tmp:
            tmp.write_text('{"new": tr')  # half of the new content is on disk
            raise RuntimeError("disk on fire")
    assert path.read_text() == '{"old": true}'
    assert names(tmp_path) == ["progress.json"]


def test_a_failed_rename_leaves_the_old_content_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "report.html"
    write_text(path, "old")

    def full_disk(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_atomic.os, "replace", full_disk)
    with pytest.raises(OSError, match="No space left"):
        write_text(path, "new")
    monkeypatch.undo()
    assert path.read_text() == "old"
    assert names(tmp_path) == ["report.html"]


def test_ctrl_c_mid_write_leaves_the_old_content(tmp_path):
    path = tmp_path / "state.json"
    write_text(path, "old")
    with pytest.raises(KeyboardInterrupt):
        with replacing(path) as tmp:
            tmp.write_text("ne")
            raise KeyboardInterrupt
    assert path.read_text() == "old" and names(tmp_path) == ["state.json"]


# -- replacing files and folders ---------------------------------------------------

def test_a_folder_replaces_a_folder_with_content(tmp_path):
    final, new = tmp_path / "data", tmp_path / "staging"
    final.mkdir(), new.mkdir()
    (final / "old.parquet").write_text("old")
    (new / "new.parquet").write_text("new")
    replace(new, final)
    assert names(final) == ["new.parquet"]
    assert names(tmp_path) == ["data"]  # the old copy moved aside is gone too


def test_a_folder_replaces_a_file_and_a_file_replaces_a_folder(tmp_path):
    target = tmp_path / "t"
    target.write_text("a file")
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "x").write_text("x")
    replace(folder, target)
    assert names(target) == ["x"]
    single = tmp_path / "s"
    single.write_text("a file again")
    replace(single, target)
    assert target.read_text() == "a file again"
    assert names(tmp_path) == ["t"]


def test_nothing_to_put_in_place_keeps_the_old_one(tmp_path):
    final = tmp_path / "data"
    final.mkdir()
    (final / "keep").write_text("keep")
    with pytest.raises(FileNotFoundError):
        replace(tmp_path / "never-written", final)
    assert names(final) == ["keep"] and names(tmp_path) == ["data"]


def test_a_failed_swap_puts_the_old_folder_back(tmp_path, monkeypatch):
    final, new = tmp_path / "data", tmp_path / "staging"
    final.mkdir(), new.mkdir()
    (final / "old").write_text("old")
    (new / "new").write_text("new")
    real = os.replace
    calls = []

    def flaky(src, dst):
        calls.append((src, dst))
        if len(calls) == 3:  # over the old folder, aside, *in*: the rename in fails
            raise OSError(5, "Input/output error")
        return real(src, dst)

    monkeypatch.setattr(_atomic.os, "replace", flaky)
    with pytest.raises(OSError, match="Input/output"):
        replace(new, final)
    monkeypatch.undo()
    assert names(final) == ["old"]
    assert sorted(names(tmp_path)) == ["data", "staging"]


# -- atomic_folder -----------------------------------------------------------------

def test_atomic_folder_appears_complete_and_replaces_the_old_one(tmp_path):
    with atomic_folder(tmp_path / "set") as tmp:
        (tmp / "a").write_text("1")
    with atomic_folder(tmp_path / "set") as tmp:
        assert not (tmp_path / "set" / "b").exists()
        (tmp / "b").write_text("2")
        assert names(tmp_path / "set") == ["a"]  # the old copy stays whole until the end
    assert names(tmp_path / "set") == ["b"]
    assert names(tmp_path) == ["set"]


def test_atomic_folder_failure_keeps_the_old_copy_and_removes_what_it_created(tmp_path):
    with atomic_folder(tmp_path / "out" / "set") as tmp:
        (tmp / "a").write_text("1")
    with pytest.raises(RuntimeError):
        with atomic_folder(tmp_path / "out" / "set") as tmp:
            (tmp / "a").write_text("half")
            raise RuntimeError("midway")
    assert (tmp_path / "out" / "set" / "a").read_text() == "1"
    assert names(tmp_path / "out") == ["set"]

    with pytest.raises(RuntimeError):
        with atomic_folder(tmp_path / "fresh" / "deep" / "set"):
            raise RuntimeError("midway")
    assert not (tmp_path / "fresh").exists()  # the parents it made are gone too


def test_atomic_folder_under_a_file_is_a_folder_error_and_leaves_nothing(tmp_path):
    (tmp_path / "afile").write_text("not a folder")
    with pytest.raises(FolderError, match="cannot create the output folder"):
        with atomic_folder(tmp_path / "afile" / "sub" / "set"):
            pytest.fail("the block must not run")
    assert names(tmp_path) == ["afile"]
    assert issubclass(FolderError, OSError)
