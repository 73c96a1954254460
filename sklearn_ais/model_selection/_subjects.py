"""Subjects as a random effect: Full and Retained against each subject's matrix.

The 2OI of Full and Retained is otherwise taken against the mean human
matrix. With a matrix per subject the subjects are a sample too (Nili et al.
2014; rsatoolbox): :func:`compare_across_subjects` scores both models, in
each fold, against every subject's own test block, tests the per-subject
differences with a Wilcoxon signed-rank test, and draws subjects and images
together (rsatoolbox's ``bootstrap_sample``) for intervals of the mean
per-subject 2OI, as rsatoolbox's ``eval_dual_bootstrap`` evaluates a model.
As for the image bootstrap, each fold's selection
is kept, not refitted: the intervals are conditional on it.

:func:`subject_level` is the part after the cross-validation: it takes the
test blocks of already fitted folds (:func:`._bootstrap.fold_blocks`), so
that a study that fitted its folds already computes it without refitting.
"""

from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    StrOptions,
    validate_params,
)
from sklearn.utils.validation import _num_samples

from .._human import TARGETS, item_ids, read_human_pairs
from .._similarity import compare
from ._bootstrap import (
    _stacked_pairs,
    bootstrap_blocks,
    fold_blocks,
    interval_frame,
)
from ._ceiling import _subject_values
from ._cv import run_cv, split_pipeline
from ._pairs import refuse_pair_split

MODELS = ("full", "retained")
SUBJECT_TARGETS = tuple(t for t in TARGETS if t != "embedding")
ALTERNATIVES = ("two-sided", "greater", "less")


class WilcoxonTest(NamedTuple):
    """A Wilcoxon signed-rank test of the per-subject differences.

    ``statistic`` and ``pvalue`` are those of :func:`scipy.stats.wilcoxon`
    (NaN, with a ``note``, when no subject has a difference other than 0);
    ``n_subjects`` counts the subjects tested.
    """

    statistic: float
    pvalue: float
    n_subjects: int
    alternative: str
    note: str | None = None

    def to_dict(self):
        """The test as plain JSON values (NaN as None)."""
        return {
            "test": "wilcoxon",
            "alternative": self.alternative,
            "statistic": _plain(self.statistic),
            "pvalue": _plain(self.pvalue),
            "n_subjects": self.n_subjects,
            "note": self.note,
        }


def _plain(value):
    """A number as a plain float (None for NaN), a name as itself or text."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (Integral, np.integer)):
        return int(value)
    if isinstance(value, (Real, np.floating)):
        value = float(value)
        return value if np.isfinite(value) else None
    return value if value is None or isinstance(value, str) else str(value)


@dataclass
class SubjectLevel:
    """Full and Retained against each subject's matrix, on the test folds.

    The result of :func:`compare_across_subjects`. The subjects are a random
    effect (Nili et al. 2014): ``per_subject`` gives each subject's mean
    over folds, ``wilcoxon`` tests the per-subject differences (Retained -
    Full) over subjects, and ``bootstrap`` holds intervals from a dual
    bootstrap that draws subjects and images together.

    Parameters
    ----------
    scores : pandas.DataFrame
        A row per (fold, subject): ``fold``, ``subject`` (the subject's
        name), ``full`` and ``retained`` (the fold's test-block 2OI of all
        maps and of the retained maps with that subject's own test block).
    bootstrap : pandas.DataFrame or None, default=None
        Rows ``full``, ``retained`` and ``difference``; columns ``estimate``
        (the mean over folds and subjects of each subject's 2OI),
        ``se`` (bootstrap standard deviation), ``ci_low`` and ``ci_high``
        (percentile interval) of the dual bootstrap; None when not computed.
    confidence : float, default=0.95
        Coverage of the bootstrap intervals.
    comparison : str, default="spearman"
        How model and human pairs were compared.

    See Also
    --------
    compare_across_subjects : Computes it.
    NoiseCeiling : How well any model can predict one subject.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_ais.model_selection import SubjectLevel
    >>> result = SubjectLevel(pd.DataFrame({
    ...     "fold": [0, 0, 1, 1], "subject": ["a", "b", "a", "b"],
    ...     "full": [0.1, 0.2, 0.3, 0.2], "retained": [0.3, 0.3, 0.5, 0.4]}))
    >>> result.per_subject["difference"].round(2).tolist()
    [0.2, 0.15]
    """

    scores: pd.DataFrame
    bootstrap: pd.DataFrame | None = field(default=None, kw_only=True)
    confidence: float = field(default=0.95, kw_only=True)
    comparison: str = field(default="spearman", kw_only=True)

    @property
    def per_subject(self):
        """Each subject's mean over folds of ``full``, ``retained``, ``difference``."""
        means = self.scores.groupby("subject", sort=False)[list(MODELS)].mean()
        means["difference"] = means["retained"] - means["full"]
        return means

    @property
    def wilcoxon(self):
        """The two-sided Wilcoxon signed-rank test of :meth:`wilcoxon_test`."""
        return self.wilcoxon_test()

    def wilcoxon_test(self, alternative="two-sided"):
        """Test the per-subject mean differences, Retained - Full, over subjects.

        The subjects as a random effect (Nili et al. 2014): each subject's
        difference is its mean over folds, and the signed-rank test asks
        whether their median is 0 (:func:`scipy.stats.wilcoxon`, zero
        differences dropped). A subject whose differences are all NaN is
        left out. With ``n`` subjects the exact two-sided p-value cannot go
        below ``2 / 2**n`` (0.0625 for 5 subjects).

        Parameters
        ----------
        alternative : {"two-sided", "greater", "less"}, default="two-sided"
            ``"greater"``: Retained beats Full.

        Returns
        -------
        WilcoxonTest
            ``statistic``, ``pvalue``, ``n_subjects``, ``alternative`` and a
            ``note`` (None, or why the p-value is NaN or cannot be small).
        """
        if alternative not in ALTERNATIVES:
            raise ValueError(
                f"alternative must be one of {ALTERNATIVES}; got {alternative!r}."
            )
        differences = self.per_subject["difference"].to_numpy()
        differences = differences[np.isfinite(differences)]
        n = len(differences)
        if not np.any(differences != 0):
            note = (
                f"no test: none of the {n} subjects has a mean difference "
                "other than 0, so there are no signed ranks"
            )
            return WilcoxonTest(np.nan, np.nan, n, alternative, note)
        result = stats.wilcoxon(differences, alternative=alternative)
        smallest = (2.0 if alternative == "two-sided" else 1.0) / 2**n
        note = None
        if smallest > 0.05:
            note = f"with {n} subjects the exact p-value cannot go below {smallest:.3g}"
        return WilcoxonTest(
            float(result.statistic), float(result.pvalue), n, alternative, note
        )

    def summary(self):
        """Summarise the per-subject means, the Wilcoxon test and the bootstrap.

        Returns
        -------
        str
            The lines, ready to print.
        """
        means = self.per_subject
        n_folds = self.scores["fold"].nunique()
        lines = [
            f"Subjects as a random effect ({len(means)} subjects, {n_folds} "
            f"folds, {self.comparison}):",
            "each subject's test-block 2OI with its own matrix, mean over folds; "
            "over the subjects:",
            f"{'':18s}{'mean':>9s}{'SD':>9s}{'min':>9s}{'max':>9s}",
        ]
        labels = {
            "full": "Full",
            "retained": "Retained",
            "difference": "Retained - Full",
        }
        for column, label in labels.items():
            values = means[column]
            lines.append(
                f"{label:18s}{values.mean():9.4f}{values.std(ddof=1):9.4f}"
                f"{values.min():9.4f}{values.max():9.4f}"
            )
        test = self.wilcoxon
        line = (
            f"Wilcoxon signed-rank test over {test.n_subjects} subjects "
            f"({test.alternative}): W = {test.statistic:.4g}, p = {test.pvalue:.3g}"
        )
        lines.append(line + (f" ({test.note})" if test.note else ""))
        if self.bootstrap is not None:
            level = f"{100 * self.confidence:g}%"
            lines.append(
                f"Dual bootstrap over subjects and images ({level} percentile "
                "intervals)"
            )
            lines.append("of the mean per-subject 2OI (mean over folds):")
            for name, row in self.bootstrap.iterrows():
                lines.append(
                    f"  {name:12s}{row['estimate']:8.4f}  "
                    f"[{row['ci_low']:.4f}, {row['ci_high']:.4f}]  SE {row['se']:.4f}"
                )
        return "\n".join(lines)

    def to_dict(self):
        """Get the result as plain JSON values, for a report.

        Returns
        -------
        dict
            ``comparison``, ``confidence``, ``n_subjects``, ``n_folds``,
            ``per_subject`` (a list of ``{"subject", "full", "retained",
            "difference"}``), ``wilcoxon`` (the two-sided test) and
            ``bootstrap`` (``{row: {column: value}}``, or None). NaN is None.
        """
        per_subject = [
            {"subject": _plain(name), **{k: _plain(v) for k, v in row.items()}}
            for name, row in self.per_subject.iterrows()
        ]
        bootstrap = None
        if self.bootstrap is not None:
            bootstrap = {
                str(name): {str(k): _plain(v) for k, v in row.items()}
                for name, row in self.bootstrap.iterrows()
            }
        return {
            "comparison": self.comparison,
            "confidence": float(self.confidence),
            "n_subjects": len(per_subject),
            "n_folds": int(self.scores["fold"].nunique()),
            "per_subject": per_subject,
            "wilcoxon": self.wilcoxon.to_dict(),
            "bootstrap": bootstrap,
        }


def study_ids(X, y):
    """The item ids of the study, in row order: ``y``'s labels, else ``X``'s.

    None when neither carries ids (arrays): the subjects' rows then follow
    the rows of ``X``.
    """
    return y.index if isinstance(y, pd.DataFrame) else item_ids(X)


def _check_subject_ids(subject_ids, ids):
    """Raise unless the subjects' ids are the study's, in the same order."""
    if subject_ids is None or ids is None:
        return
    theirs, ours = [str(i) for i in subject_ids], [str(i) for i in ids]
    if theirs == ours:
        return
    if sorted(theirs) == sorted(ours):
        k = next(i for i, (a, b) in enumerate(zip(theirs, ours)) if a != b)
        problem = (
            "the same ids in another order (position "
            f"{k}: the subjects have {subject_ids[k]!r}, the study {ids[k]!r})"
        )
    else:
        extra = [i for i in theirs if i not in set(ours)][:3]
        missing = [i for i in ours if i not in set(theirs)][:3]
        problem = "other ids"
        if extra:
            problem += f"; not in the study: {extra}"
        if missing:
            problem += f"; not rated by the subjects: {missing}"
    raise ValueError(
        "The subjects' matrices list " + problem + ". Each subject's rows and "
        "columns must be the study's images (y's ids) in y's order; nothing is "
        "realigned silently: reorder each with frame.loc[ids, ids] "
        "(sklearn_ais.io.read_subjects does)."
    )


def _read_subject(matrix, n_items, target, name):
    """One subject's matrix (or block) read into similarity pairs."""
    try:
        return read_human_pairs(matrix, n_items, target=target)
    except ValueError as error:
        raise ValueError(
            f"Subject {name!r}: {error} (for the subjects' matrices the option "
            "is subjects_target=)"
        ) from error


def check_subjects(subjects, *, ids, n_images, subjects_target, subject_names):
    """``(values, names, target)``: the checked subjects' matrices.

    ``values`` of shape ``(n_subjects, n_images, n_images)`` in the study's
    order, each subject's name, and the target every subject is read as
    (``subjects_target`` resolved).
    """
    n_given = len(subjects) if hasattr(subjects, "__len__") else None
    if n_given is not None and n_given < 2:
        raise ValueError(
            f"Subjects as a random effect need at least 2 subjects; got {n_given}."
        )
    try:
        values, subject_ids = _subject_values(subjects)
    except ValueError as error:
        raise ValueError(
            f"The subjects are read as noise_ceiling reads them: {error}"
        ) from error
    n_subjects, n_items = values.shape[:2]
    if n_items != n_images:
        raise ValueError(
            f"The subjects' matrices describe {n_items} items, but the study has "
            f"{n_images} images."
        )
    _check_subject_ids(subject_ids, ids)
    names = list(range(n_subjects)) if subject_names is None else list(subject_names)
    if len(names) != n_subjects or len(set(map(str, names))) != n_subjects:
        raise ValueError(
            f"subject_names must give {n_subjects} distinct names, one per "
            f"subject; got {len(names)} ({len(set(map(str, names)))} distinct)."
        )
    targets = {
        _read_subject(matrix, n_items, subjects_target, name).target: name
        for matrix, name in zip(values, names)
    }
    if len(targets) > 1:
        shown = ", ".join(f"subject {name!r} as {t}" for t, name in targets.items())
        raise ValueError(
            f"subjects_target={subjects_target!r} reads the subjects' matrices "
            f"differently ({shown}); say what they hold with "
            "subjects_target='similarity' or 'dissimilarity'."
        )
    (target,) = targets
    return values, names, target


def subject_level(
    blocks,
    subjects,
    *,
    n_images,
    comparison,
    ids=None,
    subjects_target="auto",
    subject_names=None,
    n_bootstrap=0,
    confidence=0.95,
    random_state=0,
):
    """Subjects as a random effect, from the test blocks of fitted folds.

    Parameters
    ----------
    blocks : list of (index, models, human)
        Per fold, as ``_bootstrap.fold_blocks`` gives them (and
        :func:`._bootstrap.bootstrap_blocks` reads them): the global indices
        of its test images, a dict with the ``"full"`` and ``"retained"``
        similarity matrices of those images; the human matrix is not read.
    subjects : list of DataFrame or array-like of shape (n_subjects, n, n)
        Each subject's matrix over the study's images, in the study's order.
    n_images : int
        Number of images of the study (rows of ``X``).
    comparison : str
        How model and human pairs are compared.
    ids : pandas.Index or None, default=None
        The study's ids in row order (:func:`study_ids`), checked against
        the subjects' DataFrames.
    subjects_target : {"auto", "similarity", "dissimilarity"}, default="auto"
        What the subjects' matrices hold.
    subject_names : list or None, default=None
        A name per subject; None numbers them from 0.
    n_bootstrap : int, default=0
        Samples of the dual bootstrap; 0 computes none.
    confidence : float, default=0.95
        Coverage of the percentile intervals.
    random_state : int, RandomState instance or None, default=0
        Seed of the bootstrap. Every sample's subjects are drawn first, then
        the images of every sample as in :func:`._bootstrap.bootstrap_blocks`.

    Returns
    -------
    SubjectLevel
    """
    values, names, target = check_subjects(
        subjects,
        ids=ids,
        n_images=n_images,
        subjects_target=subjects_target,
        subject_names=subject_names,
    )
    rows, subject_pairs = [], []
    for fold, (index, models, _) in enumerate(blocks):
        index = np.asarray(index)
        stacked = _stacked_pairs(models, MODELS)
        pairs = np.stack(
            [
                _read_subject(
                    matrix[np.ix_(index, index)], len(index), target, name
                ).pairs
                for matrix, name in zip(values, names)
            ]
        )
        subject_pairs.append(pairs)
        for name, own in zip(names, pairs):
            rows.append((fold, name, *compare(stacked, own, comparison)))
    scores = pd.DataFrame(rows, columns=["fold", "subject", *MODELS])
    bootstrap = None
    if n_bootstrap:
        rng = check_random_state(random_state)
        n_subjects = len(values)
        drawn = rng.randint(0, n_subjects, (n_bootstrap, n_subjects))

        def humans(b):
            """The pairs of sample ``b``'s subjects, a row each, per block."""
            return [pairs[drawn[b]] for pairs in subject_pairs]

        draws = bootstrap_blocks(
            blocks, n_images, n_bootstrap, comparison, rng, humans=humans
        )
        draws["difference"] = draws["retained"] - draws["full"]
        # The observed statistic: the mean over folds and subjects of each
        # subject's 2OI (the per-subject scores' mean).
        full, retained = scores[list(MODELS)].mean()
        estimates = {"full": full, "retained": retained, "difference": retained - full}
        bootstrap = interval_frame(estimates, draws, confidence)
    return SubjectLevel(
        scores, bootstrap=bootstrap, confidence=confidence, comparison=comparison
    )


@validate_params(
    {
        "estimator": [HasMethods(["fit", "transform"])],
        "X": ["array-like"],
        "y": ["array-like"],
        "subjects": ["array-like"],
        "cv": ["cv_object"],
        "subjects_target": [StrOptions(set(SUBJECT_TARGETS))],
        "subject_names": ["array-like", None],
        "n_bootstrap": [Interval(Integral, 0, None, closed="left")],
        "confidence": [Interval(Real, 0, 1, closed="neither")],
        "scoring": [callable, None],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=False,
)
def compare_across_subjects(
    estimator,
    X,
    y,
    subjects,
    *,
    cv=None,
    subjects_target="auto",
    subject_names=None,
    n_bootstrap=1000,
    confidence=0.95,
    scoring=None,
    random_state=0,
    n_jobs=None,
    verbose=0,
):
    """Cross-validate Full and Retained against each subject's own matrix.

    The selector is fitted as in :func:`compare_full_vs_retained`: in each
    fold, on the training images and the train x train block of ``y`` (the
    mean matrix). Full (all maps) and Retained (the fold's S*) are then
    scored on the test images against each subject's own test x test block,
    so that the subjects are a random effect, as in RSA practice (Nili et
    al. 2014; rsatoolbox): the per-subject mean differences over folds are
    tested by a Wilcoxon signed-rank test, and a dual bootstrap draws
    subjects and images together (rsatoolbox's ``bootstrap_sample``). Each
    bootstrap sample draws the subjects with replacement and the images
    with replacement, one draw for every fold (as in
    :func:`compare_selection_controls`); its statistic is, as in
    rsatoolbox's ``eval_dual_bootstrap``, the mean over the drawn subjects
    and the folds of each subject's 2OI on the sample's pairs of each test
    block. (The 2OI with the drawn subjects' *mean* matrix would be biased
    down: a sample that draws a subject twice averages fewer distinct
    subjects, so its mean matrix is noisier.) The folds' selections are
    kept, not refitted: the intervals are conditional on them, and say how
    far the mean per-subject 2OI would move with other subjects and other
    images.

    Parameters
    ----------
    estimator : AISFeatureMapSelector or Pipeline ending with one
        The model.
    X : array-like
        Images (for a pipeline starting with a featurizer) or features.
    y : DataFrame of shape (n_images, n_images)
        The human matrix the selector is fitted on (usually the subjects'
        mean), labelled by item ids.
    subjects : list of DataFrame, or array-like of shape \
(n_subjects, n_images, n_images)
        One similarity (or dissimilarity) matrix per subject, at least 2,
        every pair rated (no NaN): labelled DataFrames with ``y``'s ids in
        ``y``'s order (as :func:`~sklearn_ais.io.read_subjects` returns
        them, or ``load_mur92().subject_dissimilarity_frames``), or arrays
        whose rows follow ``y``'s.
    cv : int, cross-validation generator or iterable, default=None
        Splits of the images; ``None`` means ``RepeatedKFold(n_splits=5,
        n_repeats=8, random_state=0)``.
    subjects_target : {"auto", "similarity", "dissimilarity"}, default="auto"
        What the subjects' matrices hold (may differ from ``y``); every
        subject must read the same way.
    subject_names : array-like or None, default=None
        A distinct name per subject (for example the names
        :func:`~sklearn_ais.io.read_subjects` returns); None numbers the
        subjects from 0.
    n_bootstrap : int, default=1000
        Samples of the dual bootstrap; 0 computes none.
    confidence : float, default=0.95
        Coverage of the percentile intervals.
    scoring : RSAScorer, default=None
        Whose comparison scores the test blocks; ``None`` uses the
        selector's.
    random_state : int, RandomState instance or None, default=0
        Seed of the bootstrap (every sample's subjects are drawn first, then
        the images).
    n_jobs : int, default=None
        Folds fitted in parallel (joblib).
    verbose : int, default=0
        Verbosity of ``cross_validate``.

    Returns
    -------
    SubjectLevel
        A row per (fold, subject), with ``per_subject``, ``wilcoxon``,
        ``bootstrap`` and ``summary()``.

    See Also
    --------
    compare_selection_controls : Full, Retained and controls against the
        mean matrix, with a bootstrap over images.
    noise_ceiling : How well any model can predict one subject.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn.model_selection import KFold
    >>> from sklearn_ais import AISFeatureMapSelector
    >>> from sklearn_ais.datasets import make_alignment_problem
    >>> from sklearn_ais.model_selection import compare_across_subjects
    >>> X, H, _ = make_alignment_problem(40, 20, 4, random_state=0)
    >>> rng = np.random.default_rng(0)
    >>> subjects = []
    >>> for _ in range(6):
    ...     noise = rng.normal(scale=0.5, size=H.shape)
    ...     values = H.to_numpy() + (noise + noise.T) / 2
    ...     np.fill_diagonal(values, values.max())
    ...     subjects.append(pd.DataFrame(values, index=H.index, columns=H.columns))
    >>> result = compare_across_subjects(
    ...     AISFeatureMapSelector(), X, sum(subjects) / 6, subjects,
    ...     cv=KFold(3, shuffle=True, random_state=0), n_bootstrap=50)
    >>> result.scores.shape
    (18, 4)
    >>> bool((result.per_subject["difference"] > 0).all())
    True
    >>> round(result.wilcoxon.pvalue, 4)
    0.0312
    """
    refuse_pair_split(cv, "compare_across_subjects")
    n_images = _num_samples(X)
    ids = study_ids(X, y)
    # Checked before the folds are fitted, then passed on as read.
    values, names, target = check_subjects(
        subjects,
        ids=ids,
        n_images=n_images,
        subjects_target=subjects_target,
        subject_names=subject_names,
    )
    _, _, splits, estimators = run_cv(
        estimator,
        X,
        y,
        cv=cv,
        scoring=scoring,
        random_state=random_state,
        return_estimator=True,
        n_jobs=n_jobs,
        verbose=verbose,
    )
    blocks = fold_blocks(estimators, splits, X, y)
    comparison = (scoring or split_pipeline(estimator)[1]).comparison
    return subject_level(
        blocks,
        values,
        n_images=n_images,
        comparison=comparison,
        subjects_target=target,
        subject_names=names,
        n_bootstrap=n_bootstrap,
        confidence=confidence,
        random_state=random_state,
    )
