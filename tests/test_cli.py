"""The command line: help on every flag, --version, one-line errors."""

import argparse
import json
import subprocess
import sys

import pytest

import sklearn_ais
from sklearn_ais import cli
from sklearn_ais.cli import main

# Each bad command line: exit status 2, one line on stderr naming the problem.
BAD_ARGUMENTS = {
    "no command": ([], "required: command"),
    "unknown command": (["bogus"], "invalid choice: 'bogus'"),
    "unknown flag": (["demo", "--bogus"], "unrecognized arguments: --bogus"),
    "one fold": (["demo", "--folds", "1"], "--folds: must be an integer >= 2, got 1"),
    "too many folds": (["demo", "--folds", "100"], "--folds: at most 32 folds"),
    "too many synthetic folds": (
        ["demo", "--data", "synthetic", "--folds", "41"],
        "--folds: at most 40 folds for the 120 images",
    ),
    "not a number": (["demo", "--folds", "five"], "expected an integer, got 'five'"),
    "no repeats": (["demo", "--repeats", "0"], "--repeats: must be an integer >= 1"),
    "zero jobs": (["demo", "--n-jobs", "0"], "--n-jobs: must be a positive number"),
    "negative seed": (["demo", "--seed", "-1"], "--seed: must be an integer >= 0"),
    "negative verbose": (["demo", "--verbose", "-1"], "--verbose: must be"),
    "unknown data": (["demo", "--data", "mnist"], "--data: invalid choice: 'mnist'"),
    "negative draws": (
        ["demo", "--random-draws", "-1"],
        "--random-draws: must be an integer >= 0",
    ),
    "negative bootstrap": (["demo", "--bootstrap", "-2"], "--bootstrap: must be"),
}


def _one_line_error(capsys):
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("sklearn-ais: error: ")
    assert "Traceback" not in captured.err and "usage:" not in captured.err
    return lines[0]


@pytest.mark.parametrize("case", BAD_ARGUMENTS)
def test_bad_values_give_one_line(capsys, case):
    argv, message = BAD_ARGUMENTS[case]
    assert main(argv) == 2
    assert message in _one_line_error(capsys)


def test_library_errors_during_a_run_give_one_line(capsys, monkeypatch):
    # A seed numpy refuses: the error comes from the library, mid-run.
    assert main(["demo", "--data", "synthetic", "--seed", str(2**32)]) == 1
    assert "random_state" in _one_line_error(capsys)

    # A multi-line message stays on one line.
    def fail(*args, **kwargs):
        raise FileNotFoundError("first line\nsecond line")

    monkeypatch.setattr(cli, "run_study", fail)
    assert main(["demo", "--data", "synthetic", "--folds", "2", "--repeats", "1"]) == 1
    line = _one_line_error(capsys)
    assert line.endswith("FileNotFoundError: first line second line")


def test_version(capsys):
    with pytest.raises(SystemExit) as excinfo:
        main(["--version"])
    assert excinfo.value.code == 0
    assert capsys.readouterr().out.strip() == f"sklearn-ais {sklearn_ais.__version__}"


def test_every_flag_has_help():
    parser = cli._build_parser()
    parsers = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            parsers += action.choices.values()
            assert all(choice.help for choice in action._choices_actions)
    flags = [a for p in parsers for a in p._actions if a.option_strings]
    assert {"--version", "--folds", "--repeats", "--n-jobs"} <= {
        f for a in flags for f in a.option_strings
    }
    for action in flags:
        assert action.help, action.option_strings


def test_synthetic_demo_runs(capsys, tmp_path, monkeypatch):
    # The report goes to sklearn_ais_demo_report/ in the current directory.
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--data", "synthetic", "--folds", "2", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "Synthetic problem" in out and "Retained" in out
    report = tmp_path / "sklearn_ais_demo_report"
    assert f"Report: {report / 'index.html'}" in out
    # No explainer on a feature matrix: no heatmaps, no per-image table; no
    # per-subject matrices: no ceiling.
    assert {p.name for p in report.iterdir()} == {
        "index.html",
        "full_vs_retained.png",
        "selection_path.png",
        "ais_distribution.png",
        "selection_controls.png",
        "folds.csv",
        "maps.csv",
        "controls.csv",
        "bootstrap.csv",
        "results.json",
        "manifest.json",
    }
    results = json.loads((report / "results.json").read_text())
    assert results["noise_ceiling"] == {
        "computed": False,
        "reason": "the demo's data set has no per-subject matrices",
    }
    page = (report / "index.html").read_text()
    assert "No noise ceiling was computed: the demo's data set has no" in page
    parameters = json.loads((report / "manifest.json").read_text())["parameters"]
    assert parameters["random_draws"] == cli.RANDOM_DRAWS
    assert parameters["bootstrap"] == cli.BOOTSTRAP


def test_command_in_a_subprocess():
    result = subprocess.run(
        [sys.executable, "-m", "sklearn_ais", "demo", "--repeats", "0"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "sklearn-ais: error: argument --repeats: must be an integer >= 1, got 0"
    ]
