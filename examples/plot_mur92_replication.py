"""
Replicating the paper on Mur92: controls and the noise ceiling
==============================================================

The paper's Aim 1 on real human judgments (Mur et al. 2013: 16 people, the
92 images of Kriegeskorte et al. 2008): do the maps AIS selects on training
images (Retained, S*) predict the judgments of *held-out* images better than
all the maps (Full)? And does AIS deserve the credit? On the same test folds,
:func:`~sklearn_ais.model_selection.compare_selection_controls` scores random
subsets of the same size as S* and the maps of largest mean activation and
variance, and :func:`~sklearn_ais.model_selection.noise_ceiling` bounds what
any model could reach given how much the 16 people agree. The 16 people's
own matrices also make them a random effect: a Wilcoxon test across
subjects and a bootstrap over subjects and images.

Five folds repeated twice keep this example short; ``scripts/study_mur92.py``
runs the full study (5-fold x 8, 20 random draws, 1,000 bootstrap samples).
"""

# %%
# Featurize once, then cross-validate on shared folds
# ---------------------------------------------------
import numpy as np
from sklearn.model_selection import RepeatedKFold

from sklearn_ais import AISFeatureMapSelector, EfficientNetLiteFeaturizer
from sklearn_ais.datasets import load_mur92
from sklearn_ais.model_selection import compare_selection_controls, noise_ceiling
from sklearn_ais.plotting import SelectionControlsDisplay

data = load_mur92()
maps = EfficientNetLiteFeaturizer(variant="lite0").fit_transform(data.images)
result = compare_selection_controls(
    AISFeatureMapSelector(),
    maps,
    data.similarity,
    cv=RepeatedKFold(n_splits=5, n_repeats=2, random_state=0),
    n_random=10,
    n_bootstrap=200,
    subjects=data.subject_dissimilarity_frames,
    random_state=0,
)
print(result.summary())

# %%
# How sure is the gain? Folds, images and subjects
# ------------------------------------------------
# The folds share images, so the naive t-test over them overstates the
# evidence; the corrected resampled t-test (Nadeau & Bengio 2003) is the
# headline. The bootstrap draws images; the test across subjects scores Full
# and Retained against each person's own matrix and asks whether most people
# gain, not only their mean.
print(result.ttest.description)
corrected, naive = result.ttest, result.naive_ttest
print(f"corrected p = {corrected.pvalue:.2g}, naive p = {naive.pvalue:.2g}")
print(result.subjects.summary())

# %%
# The noise ceiling on the same test blocks
# -----------------------------------------
# Lower bound: each subject's test block against the mean of the others;
# upper bound: against the mean of all; and the split-half reliability of the
# mean matrix (Spearman-Brown), whose square root bounds a model of the mean.
ceiling = noise_ceiling(data.subject_dissimilarity_frames, cv=result.splits)
print(ceiling.summary())

# %%
# Side by side
# ------------
# Mean held-out 2OI over the same folds.
bounds = ceiling.to_frame().mean()
side_by_side = {
    "Full (all maps)": result.full.mean(),
    "Retained (S*)": result.retained.mean(),
    "random, same size": np.mean(result.random),
    "noise ceiling, lower": bounds["lower"],
    "noise ceiling, upper": bounds["upper"],
}
for label, value in side_by_side.items():
    print(f"{label:24s}{value:.3f}")
print(
    f"S* keeps {result.n_retained.mean():.1f} of {maps.shape[1]} maps on average; "
    f"{np.count_nonzero(result.retention_frequency == 1)} maps in every fold"
)

display = SelectionControlsDisplay.from_cv_results(result, ceiling=ceiling)
display.ax_.set_title("Mur92, EfficientNet-Lite0: held-out 2OI")
