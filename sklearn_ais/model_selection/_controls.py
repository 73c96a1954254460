"""Does AIS deserve the credit? Retained maps against same-size controls."""

from dataclasses import dataclass, field
from numbers import Integral, Real

import pandas as pd
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    StrOptions,
    validate_params,
)
from sklearn.utils.validation import _num_samples

from .._statistics import METHODS
from ._bootstrap import bootstrap_blocks, fold_blocks, interval_frame
from ._cv import run_cv, split_pipeline
from ._pairs import refuse_pair_split
from ._subjects import (
    SUBJECT_TARGETS,
    SubjectLevel,
    check_subjects,
    study_ids,
    subject_level,
)
from ._validation import FullVsRetained

CONTROL_LABELS = {
    "random": "random, same size",
    "top_mean": "top mean activation",
    "top_variance": "top variance",
}


@dataclass
class SelectionControls(FullVsRetained):
    """Full, Retained and same-size control subsets on the same test folds.

    The result of :func:`compare_selection_controls`. In each fold, with
    ``m`` the size of the fold's S*: ``random_j`` keeps the first ``m`` maps
    of the ``j``-th seeded random order of the maps; ``top_mean`` the ``m``
    maps of largest mean activation, ``top_variance`` the ``m`` maps whose
    (spatially pooled) activation varies most across the training images.

    Parameters
    ----------
    full : ndarray of shape (n_folds,)
        As in :class:`FullVsRetained`.
    retained : ndarray of shape (n_folds,)
        As in :class:`FullVsRetained`.
    n_retained : ndarray of shape (n_folds,)
        As in :class:`FullVsRetained`.
    n_maps : int
        As in :class:`FullVsRetained`.
    supports : ndarray of shape (n_folds, n_maps), dtype=bool, default=None
        As in :class:`FullVsRetained`.
    splits : list of (train, test) index arrays, default=None
        As in :class:`FullVsRetained`.
    n_images : int or None, default=None
        As in :class:`FullVsRetained`.
    controls : pandas.DataFrame of shape (n_folds, n_controls), default=None
        Test-set 2OI of each control subset: columns ``random_0`` ...,
        ``top_mean``, ``top_variance``.
    bootstrap : pandas.DataFrame or None, default=None
        Rows ``full``, ``retained`` and ``difference`` (of the mean over
        folds): ``estimate``, ``se``, ``ci_low``, ``ci_high``; None when not
        computed.
    confidence : float, default=0.95
        Coverage of the bootstrap intervals.
    subjects : SubjectLevel or None, default=None
        Full and Retained against each subject's matrix on the same folds
        (computed with per-subject matrices), or None.

    See Also
    --------
    compare_selection_controls : Computes it.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_ais.model_selection import SelectionControls
    >>> result = SelectionControls(
    ...     full=np.array([0.1, 0.2]), retained=np.array([0.3, 0.4]),
    ...     n_retained=np.array([3, 4]), n_maps=20,
    ...     controls=pd.DataFrame({"random_0": [0.1, 0.1], "random_1": [0.2, 0.1]}))
    >>> result.random.tolist()
    [0.15000000000000002, 0.1]
    """

    controls: pd.DataFrame | None = field(default=None, kw_only=True)
    bootstrap: pd.DataFrame | None = field(default=None, kw_only=True)
    confidence: float = field(default=0.95, kw_only=True)
    subjects: SubjectLevel | None = field(default=None, kw_only=True, repr=False)

    def _random_columns(self):
        return [c for c in self.controls.columns if c.startswith("random_")]

    @property
    def random(self):
        """Per fold, the mean 2OI of the random same-size subsets."""
        return self.controls[self._random_columns()].to_numpy().mean(axis=1)

    @property
    def random_draws(self):
        """Per random draw, its mean test 2OI over the folds."""
        return self.controls[self._random_columns()].to_numpy().mean(axis=0)

    def to_frame(self):
        """Get the per-fold scores as a DataFrame.

        Returns
        -------
        pandas.DataFrame
            Columns ``full``, ``retained``, ``n_retained``, then the
            controls' columns, a row per fold.
        """
        frame = super().to_frame()
        return pd.concat([frame, self.controls.reset_index(drop=True)], axis=1)

    def conditions(self):
        """Per-fold 2OI of each condition, the random draws averaged.

        Returns
        -------
        pandas.DataFrame
            Columns ``full``, ``retained``, ``random`` and, when computed,
            ``top_mean`` and ``top_variance``; a row per fold.
        """
        columns = {"full": self.full, "retained": self.retained}
        if self._random_columns():
            columns["random"] = self.random
        for name in ("top_mean", "top_variance"):
            if name in self.controls:
                columns[name] = self.controls[name].to_numpy()
        return pd.DataFrame(columns)

    def condition_tests(self, method="corrected", *, alternative="two-sided"):
        """Test Retained against each condition over the folds.

        Parameters
        ----------
        method : {"corrected", "naive"}, default="corrected"
            The test, as in :meth:`FullVsRetained.paired_test`.
        alternative : {"two-sided", "greater", "less"}, default="two-sided"
            ``"greater"``: Retained scores higher than the condition.

        Returns
        -------
        dict of str to tuple
            ``{condition: (label, scores, test)}`` in the order of
            :meth:`conditions`: the condition's label, its per-fold 2OI
            (ndarray of shape (n_folds,)) and the test of Retained against
            it (a ``PairedTest``; None for Retained itself).
        """
        labels = {"full": "Full", "retained": "Retained", **CONTROL_LABELS}
        tests = {}
        for name, scores in self.conditions().items():
            scores = scores.to_numpy()
            test = None
            if name != "retained":
                pair = FullVsRetained(
                    full=scores,
                    retained=self.retained,
                    n_retained=self.n_retained,
                    n_maps=self.n_maps,
                    splits=self.splits,
                )
                test = pair.paired_test(method, alternative=alternative)
            tests[name] = (labels[name], scores, test)
        return tests

    def summary(self):
        """Summarise in a short text table: each condition against Retained.

        Returns
        -------
        str
            The table, ready to print.
        """
        n = len(self.retained)
        method = "naive" if self.splits is None else "corrected"
        naive = self.condition_tests("naive")
        lines = [
            f"{'':22s}{'mean 2OI':>9s}{'spread':>33s}{'Retained - it':>15s}"
            f"{'t(' + str(n - 1) + ')':>8s}{'p':>10s}{'naive p':>10s}"
        ]
        for name, (label, values, test) in self.condition_tests(method).items():
            if name == "random":
                draws = self.random_draws
                spread = (
                    f"draws SD {draws.std(ddof=1) if len(draws) > 1 else 0:.4f}, "
                    f"{draws.min():.3f}..{draws.max():.3f}"
                )
            else:
                spread = f"folds SD {values.std(ddof=1):.4f}"
            line = f"{label:22s}{values.mean():9.4f}{spread:>33s}"
            if test is not None:
                line += (
                    f"{test.mean_difference:15.4f}"
                    f"{test.statistic:8.2f}{test.pvalue:10.2g}"
                    f"{naive[name][2].pvalue:10.2g}"
                )
            lines.append(line)
        lines.append(f"t and p: the {METHODS[method]}.")
        lines.append(
            f"Sizes: S* keeps {self.n_retained.mean():.1f} of {self.n_maps} maps "
            f"on average; every control keeps the same number in each fold."
        )
        if self.bootstrap is not None:
            level = f"{100 * self.confidence:g}%"
            lines.append(f"Bootstrap over images ({level} percentile intervals):")
            for name, row in self.bootstrap.iterrows():
                lines.append(
                    f"  {name:12s}{row['estimate']:8.4f}  "
                    f"[{row['ci_low']:.4f}, {row['ci_high']:.4f}]  SE {row['se']:.4f}"
                    + ("  (headline)" if name == "difference" else "")
                )
            lines.append(
                "The interval of the difference is the headline: in the user "
                "guide's calibration it held its level with the most power."
            )
        return "\n".join(lines)


@validate_params(
    {
        "estimator": [HasMethods(["fit", "transform"])],
        "X": ["array-like"],
        "y": ["array-like"],
        "cv": ["cv_object"],
        "n_random": [Interval(Integral, 0, None, closed="left")],
        "n_bootstrap": [Interval(Integral, 0, None, closed="left")],
        "confidence": [Interval(Real, 0, 1, closed="neither")],
        "subjects": ["array-like", None],
        "subjects_target": [StrOptions(set(SUBJECT_TARGETS))],
        "scoring": [callable, None],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=False,
)
def compare_selection_controls(
    estimator,
    X,
    y,
    *,
    cv=None,
    n_random=10,
    n_bootstrap=0,
    confidence=0.95,
    subjects=None,
    subjects_target="auto",
    scoring=None,
    random_state=0,
    n_jobs=None,
    verbose=0,
):
    """Cross-validate the AIS-retained maps against same-size controls.

    The protocol of :func:`compare_full_vs_retained` (fit on the training
    images and the train x train block, score on the test x test block),
    with more subsets scored on the same test folds, each the size of the
    fold's S*: random subsets (``n_random`` seeded draws), the maps of
    largest mean activation and those of largest variance across the
    training images (activations spatially pooled). A gain of Retained over
    Full that the controls share is owed to keeping fewer dimensions, not to
    AIS. The retained maps of each fold are recorded (``supports``,
    ``retention_frequency``) and, with ``n_bootstrap``, Full and Retained get
    bootstrap intervals over images. With per-subject matrices the subjects
    are a random effect too (:func:`compare_across_subjects`, on the same
    fitted folds).

    Parameters
    ----------
    estimator : AISFeatureMapSelector or Pipeline ending with one
        The model.
    X : array-like
        Images (for a pipeline starting with a featurizer) or features.
    y : DataFrame of shape (n_images, n_images)
        Human similarities labelled by item ids; NaN for unrated pairs where
        the selector has ``missing="ignore"`` (the bootstrap then leaves them
        out too).
    cv : int, cross-validation generator or iterable, default=None
        Splits of the images; ``None`` means ``RepeatedKFold(n_splits=5,
        n_repeats=8, random_state=0)``.
    n_random : int, default=10
        Number of random same-size subsets. Draw ``j`` is a seeded random
        order of the maps, of which each fold keeps the first ``m``.
    n_bootstrap : int, default=0
        Bootstrap samples of the images for the intervals of Full, Retained
        and their difference (mean over folds); 0 computes none. One sample
        of the images serves every fold (each test block keeps its images
        with their multiplicities; pairs of an image with its own copy are
        left out, as in rsatoolbox's pattern bootstrap). The selections are
        those of the folds, not refitted: the intervals are conditional on
        them. The test images are featurized once more, and the fitted
        estimators of the folds come back from the workers.
    confidence : float, default=0.95
        Coverage of the percentile intervals.
    subjects : list of DataFrame or array-like of shape \
(n_subjects, n_images, n_images), default=None
        Per-subject matrices over the same images (for example
        ``load_mur92().subject_dissimilarity_frames``): Full and Retained are
        also scored against each subject's test block, tested across
        subjects (Wilcoxon) and, with ``n_bootstrap``, bootstrapped over
        subjects and images together (``SelectionControls.subjects``, a
        :class:`SubjectLevel`). The selector is still fitted on ``y``.
    subjects_target : {"auto", "similarity", "dissimilarity"}, default="auto"
        What the per-subject matrices hold (may differ from ``y``).
    scoring : RSAScorer, default=None
        How test sets are scored; ``None`` uses the selector's comparison.
    random_state : int, RandomState instance or None, default=0
        Seed of the random subsets and of the bootstraps.
    n_jobs : int, default=None
        Folds fitted in parallel (joblib).
    verbose : int, default=0
        Verbosity of ``cross_validate``.

    Returns
    -------
    SelectionControls
        Per-fold scores of every subset, with ``summary()``.

    See Also
    --------
    compare_full_vs_retained : Full and Retained alone.
    noise_ceiling : What the human data allow on the same folds.

    Examples
    --------
    >>> from sklearn.model_selection import KFold
    >>> from sklearn_ais import AISFeatureMapSelector
    >>> from sklearn_ais.datasets import make_alignment_problem
    >>> from sklearn_ais.model_selection import compare_selection_controls
    >>> X, H, _ = make_alignment_problem(60, 40, 5, random_state=0)
    >>> result = compare_selection_controls(
    ...     AISFeatureMapSelector(), X, H, cv=KFold(3, shuffle=True, random_state=0),
    ...     n_random=5)
    >>> bool(result.retained.mean() > result.random.mean())
    True
    """
    refuse_pair_split(cv, "compare_selection_controls")
    if subjects is not None:
        # Checked before the folds are fitted.
        subjects, names, subjects_target = check_subjects(
            subjects,
            ids=study_ids(X, y),
            n_images=_num_samples(X),
            subjects_target=subjects_target,
            subject_names=None,
        )
    scores, supports, splits, estimators = run_cv(
        estimator,
        X,
        y,
        cv=cv,
        scoring=scoring,
        n_random=n_random,
        statistics=True,
        random_state=random_state,
        return_estimator=n_bootstrap > 0 or subjects is not None,
        n_jobs=n_jobs,
        verbose=verbose,
    )
    fixed = ("full", "retained", "n_retained", "n_maps")
    controls = pd.DataFrame({k: v for k, v in scores.items() if k not in fixed})
    bootstrap = subject_result = None
    comparison = (scoring or split_pipeline(estimator)[1]).comparison
    if estimators is not None:
        blocks = fold_blocks(estimators, splits, X, y)
    if n_bootstrap:
        rng = check_random_state(random_state)
        draws = bootstrap_blocks(blocks, len(X), n_bootstrap, comparison, rng)
        draws["difference"] = draws["retained"] - draws["full"]
        estimates = {
            "full": scores["full"].mean(),
            "retained": scores["retained"].mean(),
            "difference": (scores["retained"] - scores["full"]).mean(),
        }
        bootstrap = interval_frame(estimates, draws, confidence)
    if subjects is not None:
        subject_result = subject_level(
            blocks,
            subjects,
            n_images=_num_samples(X),
            comparison=comparison,
            subjects_target=subjects_target,
            subject_names=names,
            n_bootstrap=n_bootstrap,
            confidence=confidence,
            random_state=random_state,
        )
    return SelectionControls(
        full=scores["full"],
        retained=scores["retained"],
        n_retained=scores["n_retained"].astype(int),
        n_maps=int(scores["n_maps"][0]),
        supports=supports,
        splits=splits,
        n_images=_num_samples(X),
        controls=controls,
        bootstrap=bootstrap,
        confidence=confidence,
        subjects=subject_result,
    )
