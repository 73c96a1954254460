"""write_report from Python: a report is whole or absent, under a lock.

The command line's runs (Ctrl-C, concurrent runs, ``--out``) are tested in
test_cli.py.
"""

import os

import pytest
from sklearn.model_selection import KFold

from sklearn_ais import AISFeatureMapSelector, report
from sklearn_ais._files import report_lock
from sklearn_ais.datasets import make_alignment_problem
from sklearn_ais.model_selection import compare_full_vs_retained
from sklearn_ais.report import write_report


@pytest.fixture(scope="module")
def fitted():
    X, H, _ = make_alignment_problem(40, 20, 4, random_state=0)
    return {
        "selector": AISFeatureMapSelector().fit(X, H),
        "result": compare_full_vs_retained(
            AISFeatureMapSelector(), X, H, cv=KFold(2, shuffle=True, random_state=0)
        ),
    }


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_an_error_while_writing_leaves_the_earlier_report(
    fitted, tmp_path, monkeypatch
):
    out = tmp_path / "report"
    assert write_report(out, **fitted) == out / "index.html"
    before = _snapshot(out)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(report, "_html", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        write_report(out, **fitted)
    assert _snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["report"]


def test_only_a_report_is_replaced_and_nothing_of_it_survives(fitted, tmp_path):
    out = tmp_path / "report"
    write_report(out, **fitted)
    (out / "bootstrap.csv").write_text("from an earlier study")
    write_report(out, **fitted)
    assert not (out / "bootstrap.csv").exists()
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("")
    with pytest.raises(ValueError, match="holds files that are not a report"):
        write_report(mine, **fitted)
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine", "report"]


def test_a_folder_held_by_a_running_process_is_refused(fitted, tmp_path):
    out = tmp_path / "report"
    # The parent of pytest is running: its lock is held.
    (tmp_path / "report.lock").write_text(f"{os.getppid()}\n")
    with pytest.raises(ValueError, match=f"another run \\(pid {os.getppid()}\\)"):
        write_report(out, **fitted)
    assert not out.exists()


def test_the_lock_is_taken_again_by_its_holder(fitted, tmp_path):
    out = tmp_path / "report"
    with report_lock(out) as lock:
        assert lock.read_text() == f"{os.getpid()}\n"
        write_report(out, **fitted)
        assert lock.exists()
    assert not lock.exists()
    assert (out / "index.html").is_file()
