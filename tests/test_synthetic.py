"""Ground truth: on the synthetic problem AIS must find the relevant maps."""

import numpy as np
import pytest

from sklearn_ais import AISFeatureMapSelector, cli
from sklearn_ais.datasets import make_alignment_problem


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_relevant_maps_rank_on_top(seed):
    X, H, relevant = make_alignment_problem(100, 150, 8, noise=0.5, random_state=seed)
    selector = AISFeatureMapSelector().fit(X, H)
    top = np.argsort(selector.ais_ranking_)[: len(relevant)]
    assert len(set(top) & set(relevant)) >= 7
    # The selection keeps few maps and they are mostly the relevant ones.
    retained = selector.get_support(indices=True)
    assert len(retained) <= 20
    assert np.isin(relevant, retained).mean() >= 0.75
    assert selector.scores_path_.max() > selector.full_score_ + 0.2


def test_problem_is_reproducible_and_validated():
    a = make_alignment_problem(20, 10, 3, random_state=4)
    b = make_alignment_problem(20, 10, 3, random_state=4)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    np.testing.assert_array_equal(a[2], b[2])
    assert (a[1].to_numpy() == a[1].to_numpy().T).all()
    with pytest.raises(ValueError, match="n_relevant"):
        make_alignment_problem(20, 5, 6)
    with pytest.raises(ValueError, match="n_images"):
        make_alignment_problem(2, 5, 1)


def test_demo_runs_and_prints_the_table(capsys):
    assert cli.main(["demo", "--data", "synthetic", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "Full" in out and "Retained" in out
    assert "Corrected resampled t-test" in out and "Naive paired t-test" in out


def test_progress_bars_only_when_verbose(capsys):
    X, H, _ = make_alignment_problem(20, 10, 2, random_state=0)
    AISFeatureMapSelector().fit(X, H)
    assert capsys.readouterr().err == ""
    AISFeatureMapSelector(verbose=1).fit(X, H)
    err = capsys.readouterr().err
    assert "AIS (dataset)" in err and "Selection path" in err
