"""How far can a model get? Noise ceilings from per-subject matrices."""

from dataclasses import dataclass, field
from numbers import Integral

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.model_selection import check_cv
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from .._human import TARGETS, labelled_matrix, read_human_pairs
from .._similarity import COMPARISONS, compare
from .._statistics import spearman_brown
from ._cv import default_cv
from ._pairs import refuse_pair_split

# Each column of NoiseCeiling.to_frame(), labelled for a table (the summary,
# the report's).
LABELS = {
    "lower": "one subject vs the mean of the others (lower)",
    "upper": "one subject vs the mean of all (upper)",
    "r_half": "mean matrix, split-half r (half the subjects)",
    "reliability": "mean matrix, Spearman-Brown reliability",
    "attenuation_bound": "mean matrix, attenuation bound sqrt(reliability)",
}

# How the subjects' pairs are pooled into the matrix they are compared with.
POOLINGS = ("comparison", "mean")

# What pooling="comparison" averages, by comparison (shown by the summary).
POOLED_VALUES = {
    "spearman": "ranks",
    "kendall": "ranks",
    "pearson": "z-scores",
    "r2": "z-scores",
}


@dataclass
class NoiseCeiling:
    """Noise ceilings of the human data on each test x test block.

    The result of :func:`noise_ceiling`. Two different questions:

    * ``per_subject``: how well can any model predict *one subject*? Each
      subject's pairs are compared with the pooled matrix of the other
      subjects (``lower``) and of all subjects, itself included
      (``upper``), in the study's comparison (Nili et al., 2014).
    * ``split_half``: how reliable is the *mean matrix*, the one the 2OI of
      Full and Retained is taken against? Random halves of the subjects are
      pooled and compared (``r_half``, mean over the draws), then
      corrected to the full number of subjects by Spearman-Brown
      (``reliability``). ``sqrt(reliability)`` (``attenuation_bound``) is
      the attenuation bound of a correlation with the mean matrix: what a model
      that held the subjects' common structure exactly would reach (0
      where the estimated reliability is negative). The halves are pooled
      like the bounds' matrices: with ``pooling="comparison"`` this is the
      reliability of the matrix of mean ranks (or z-scores), not of the
      plain mean matrix itself (on Mur92 the two differ in the third
      decimal).

    Parameters
    ----------
    per_subject : pandas.DataFrame
        A row per (fold, subject): ``fold``, ``subject``, ``lower``,
        ``upper``.
    split_half : pandas.DataFrame
        A row per fold: ``fold``, ``r_half``, ``reliability``,
        ``attenuation_bound``.
    comparison : str
        The comparison used.
    pooling : {"comparison", "mean"}, default="mean"
        How the subjects were pooled (see :func:`noise_ceiling`): the mean of
        their ranks (Spearman, Kendall) or z-scores (Pearson, r2) for
        ``"comparison"``, of their values for ``"mean"``.

    See Also
    --------
    noise_ceiling : Computes it.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_ais.model_selection import NoiseCeiling
    >>> ceiling = NoiseCeiling(
    ...     per_subject=pd.DataFrame({"fold": [0, 0], "subject": [0, 1],
    ...                               "lower": [0.2, 0.3], "upper": [0.5, 0.6]}),
    ...     split_half=pd.DataFrame({"fold": [0], "r_half": [0.5],
    ...                              "reliability": [2 / 3],
    ...                              "attenuation_bound": [0.82]}),
    ...     comparison="spearman")
    >>> ceiling.to_frame()[["lower", "upper"]].round(2).values.tolist()
    [[0.25, 0.55]]
    """

    per_subject: pd.DataFrame
    split_half: pd.DataFrame
    comparison: str
    pooling: str = field(default="mean", kw_only=True)

    def to_frame(self):
        """Get a row per fold: the subject-mean bounds and the split-half columns.

        Returns
        -------
        pandas.DataFrame
            Columns ``lower``, ``upper`` (means over subjects), ``r_half``,
            ``reliability`` and ``attenuation_bound``; indexed by fold.
        """
        bounds = self.per_subject.groupby("fold")[["lower", "upper"]].mean()
        return bounds.join(self.split_half.set_index("fold"))

    def summary(self):
        """Summarise the means over folds, each labelled.

        Returns
        -------
        str
            The lines, ready to print.
        """
        means = self.to_frame().mean()
        pooled = (
            f"mean {POOLED_VALUES.get(self.comparison, 'transformed values')}"
            if self.pooling == "comparison"
            else "mean values"
        )
        lines = [
            f"Noise ceiling ({self.comparison}, subjects pooled by {pooled}, "
            "mean over test folds):"
        ]
        lines += [
            f"  {label:50s}{means[column]:.4f}" for column, label in LABELS.items()
        ]
        return "\n".join(lines)


def _subject_values(subject_matrices):
    """``(n_subjects, n, n)`` floats, and the item ids (None for arrays)."""
    if isinstance(subject_matrices, np.ndarray):
        values, ids = np.asarray(subject_matrices, dtype=np.float64), None
    else:
        frames = list(subject_matrices)
        if frames and all(isinstance(f, pd.DataFrame) for f in frames):
            ids = frames[0].index
            for k, frame in enumerate(frames):
                if not frame.index.equals(ids):
                    raise ValueError(
                        f"Subject {k}'s matrix lists other items (or another "
                        "order) than subject 0's; give every subject the same "
                        "ids in the same order."
                    )
            values = np.stack([labelled_matrix(f) for f in frames])
        else:
            values, ids = np.asarray(frames, dtype=np.float64), None
    if values.ndim != 3 or values.shape[1] != values.shape[2]:
        raise ValueError(
            "subject_matrices must hold one square matrix per subject, shape "
            f"(n_subjects, n_items, n_items); got {values.shape}."
        )
    if len(values) < 2:
        raise ValueError(
            f"A noise ceiling needs at least 2 subjects; got {len(values)}."
        )
    off_diagonal = ~np.eye(values.shape[1], dtype=bool)
    if np.isnan(values[:, off_diagonal]).any():
        raise ValueError(
            "A subject's matrix has NaN (unrated) pairs. noise_ceiling needs "
            "every subject to rate every pair: with unrated pairs, each pair of "
            "a mean matrix would average a different set of subjects, and the "
            "Spearman-Brown step assumes the same number everywhere."
        )
    return values, ids


@validate_params(
    {
        "subject_matrices": ["array-like"],
        "cv": ["cv_object"],
        "comparison": [StrOptions(set(COMPARISONS))],
        "target": [StrOptions(set(TARGETS) - {"embedding"})],
        "pooling": [StrOptions(set(POOLINGS))],
        "n_split_half": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def noise_ceiling(
    subject_matrices,
    *,
    cv=None,
    comparison="spearman",
    target="auto",
    pooling="comparison",
    n_split_half=20,
    random_state=0,
):
    """Noise ceilings of per-subject matrices on the test x test blocks of a CV.

    Computed on the same blocks as Full and Retained (pass the folds of a
    :class:`FullVsRetained` result, ``result.splits``, as ``cv``), with the
    same comparison, so that the three can be put side by side. See
    :class:`NoiseCeiling` for what each number answers.

    The subjects are pooled *by the comparison* (``pooling="comparison"``),
    as rsatoolbox's noise ceilings pool them (``pool_rdm``; Nili et al.,
    2014): on each test block, each subject's pairs are ranked (Spearman,
    Kendall; ties get their mean rank) or standardised (Pearson, r2: minus
    their mean, over their standard deviation), and the pooled matrix is
    the mean of those. The upper bound is meant as the best any model can
    do, so the pooled matrix should be the one that matches the subjects
    best *in the comparison*. The mean of the z-scores is exactly the
    vector of largest mean Pearson correlation with the subjects; for a
    rank comparison the mean of the raw values is not the matrix whose
    ranks best match each subject's ranks (a subject who spreads their
    ratings wider weighs more in it), and the mean of the ranks is the
    vector of largest mean Pearson correlation with the subjects' ranks
    (exactly so without ties).
    ``pooling="mean"`` averages the raw values instead (the pooling of
    earlier versions).

    Parameters
    ----------
    subject_matrices : list of DataFrame, or array-like of shape \
(n_subjects, n_items, n_items)
        One similarity (or dissimilarity) matrix per subject, every one over
        the same items in the same order (for example
        ``load_mur92().subject_dissimilarity_frames``), every pair rated (no
        NaN).
    cv : int, cross-validation generator or iterable, default=None
        Splits of the items; ``None`` means ``RepeatedKFold(n_splits=5,
        n_repeats=8, random_state=0)``, the default of
        :func:`compare_full_vs_retained` (the same folds for the same number
        of items).
    comparison : {"spearman", "pearson", "r2", "kendall"}, default="spearman"
        How two matrices' pairs are compared: use the study's.
    target : {"auto", "similarity", "dissimilarity"}, default="auto"
        What the matrices hold (read from each block's diagonal by default).
        Dissimilarities are negated before pooling, which leaves every
        number unchanged.
    pooling : {"comparison", "mean"}, default="comparison"
        How the subjects' pairs of a test block are pooled into the matrix
        each subject (or half) is compared with: the mean of their ranks
        (Spearman, Kendall) or z-scores (Pearson, r2), or the mean of their
        values.
    n_split_half : int, default=20
        Random halvings of the subjects per fold (the same halvings in every
        fold); with an odd number of subjects one is left out of each.
    random_state : int, RandomState instance or None, default=0
        Seed of the halvings.

    Returns
    -------
    NoiseCeiling
        Per-subject bounds and split-half reliability per fold.

    See Also
    --------
    compare_selection_controls : Full, Retained and controls on the folds.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ais.model_selection import noise_ceiling
    >>> rng = np.random.default_rng(0)
    >>> common = rng.normal(size=(30, 30))
    >>> subjects = [common + rng.normal(size=(30, 30)) for _ in range(6)]
    >>> subjects = np.array([(s + s.T) / 2 + 10 * np.eye(30) for s in subjects])
    >>> ceiling = noise_ceiling(subjects, cv=3)
    >>> means = ceiling.to_frame().mean()
    >>> bool(means["lower"] < means["upper"])
    True
    """
    refuse_pair_split(cv, "noise_ceiling")
    values, ids = _subject_values(subject_matrices)
    n_subjects, n_items = len(values), values.shape[1]
    splits = list(check_cv(default_cv(cv)).split(np.zeros(n_items)))
    rng = check_random_state(random_state)
    half = n_subjects // 2
    halvings = [rng.permutation(n_subjects) for _ in range(n_split_half)]

    def pairs(matrix, index):
        block = matrix[np.ix_(index, index)]
        if ids is not None:
            labels = ids[index]
            block = pd.DataFrame(block, index=labels, columns=labels)
        return read_human_pairs(block, len(index), target=target)

    per_subject, split_half = [], []
    for fold, (_, test) in enumerate(splits):
        read = [pairs(matrix, test) for matrix in values]
        _check_one_reading(read, fold)
        own = np.stack([r.pairs for r in read])
        pooled = _poolable(own, comparison, pooling)
        total = pooled.sum(axis=0)
        everyone = total / n_subjects
        for s in range(n_subjects):
            others = (total - pooled[s]) / (n_subjects - 1)
            per_subject.append(
                (
                    fold,
                    s,
                    compare(own[s], others, comparison),
                    compare(own[s], everyone, comparison),
                )
            )
        r_half = np.mean(
            [
                compare(
                    pooled[order[:half]].mean(axis=0),
                    pooled[order[half : 2 * half]].mean(axis=0),
                    comparison,
                )
                for order in halvings
            ]
        )
        reliability = spearman_brown(r_half, n_subjects / half)
        split_half.append((fold, r_half, reliability, np.sqrt(max(reliability, 0))))
    return NoiseCeiling(
        per_subject=pd.DataFrame(
            per_subject, columns=["fold", "subject", "lower", "upper"]
        ),
        split_half=pd.DataFrame(
            split_half,
            columns=["fold", "r_half", "reliability", "attenuation_bound"],
        ),
        comparison=comparison,
        pooling=pooling,
    )


def _check_one_reading(read, fold):
    """Raise if ``target="auto"`` read the subjects' blocks differently."""
    targets = [r.target for r in read]
    if len(set(targets)) > 1:
        odd = next(k for k, t in enumerate(targets) if t != targets[0])
        raise ValueError(
            f"target='auto' reads subject 0's matrix as {targets[0]} but "
            f"subject {odd}'s as {targets[odd]} (test block of fold {fold}): "
            "the subjects cannot be pooled. Say what the matrices hold with "
            "target='similarity' or target='dissimilarity'."
        )


def _poolable(own, comparison, pooling):
    """Each subject's pairs (rows), transformed so that pooling is a mean.

    As rsatoolbox's ``pool_rdm``: ranks (``scipy.stats.rankdata``, ties
    averaged) for the rank comparisons, z-scores (population standard
    deviation) for the linear ones; the values themselves for
    ``pooling="mean"``.
    """
    if pooling == "mean":
        return own
    if comparison in ("spearman", "kendall"):
        return rankdata(own, axis=1)
    centred = own - own.mean(axis=1, keepdims=True)
    return centred / centred.std(axis=1, keepdims=True)
