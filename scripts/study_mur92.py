"""Does AIS deserve the credit? Controls, uncertainty and the noise ceiling on Mur92.

Mur et al. (2013): 16 people arranged the 92 object images of Kriegeskorte et
al. (2008) by similarity. EfficientNet-Lite0 (ImageNet weights, offline),
global average pooling, cosine similarity, Spearman comparison, image-level
5-fold cross-validation repeated 8 times. On the same test folds:

* Full (all maps) and Retained (the AIS-selected S*), with bootstrap
  intervals over images;
* controls of the same size as S* in each fold: random subsets (20 seeded
  draws), the maps of largest mean activation and of largest variance on
  the training images;
* how often each map is retained across the 40 folds;
* the noise ceiling of the 16 subjects on the same test blocks;
* the paper's Figure 6 for EfficientNet-Lite0/1/2 and a ResNet-18 with random
  weights (the control architecture).

    python scripts/study_mur92.py [OUT_DIR]

The data are found as ``sklearn_ais.datasets.load_mur92()`` finds them
(``$SKLEARN_AIS_DATA``; default here: this project's ``../shared/data``).
Writes ``study_mur92_controls.png``, ``study_mur92_architectures.png``,
``study_mur92_folds.csv``, ``study_mur92_architectures.csv`` and
``study_mur92_retention.csv`` to OUT_DIR (default: ``examples_output``).
"""

# %%
# Featurize once, then cross-validate everything on the same folds
# ----------------------------------------------------------------
import os
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.model_selection import RepeatedKFold

from sklearn_ais import (
    AISFeatureMapSelector,
    EfficientNetLiteFeaturizer,
    TorchvisionFeaturizer,
)
from sklearn_ais.datasets import load_mur92
from sklearn_ais.model_selection import (
    compare_architectures,
    compare_selection_controls,
    noise_ceiling,
)
from sklearn_ais.plotting import ArchitectureComparisonDisplay, SelectionControlsDisplay

start = time.perf_counter()
out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("examples_output")
out.mkdir(parents=True, exist_ok=True)
os.environ.setdefault(
    "SKLEARN_AIS_DATA", str(Path(__file__).resolve().parents[2] / "shared" / "data")
)
data = load_mur92()
cv = RepeatedKFold(n_splits=5, n_repeats=8, random_state=0)

maps = EfficientNetLiteFeaturizer(variant="lite0").fit_transform(data.images)
result = compare_selection_controls(
    AISFeatureMapSelector(),
    maps,
    data.similarity,
    cv=cv,
    n_random=20,
    n_bootstrap=1000,
    random_state=0,
)
print(f"Mur92, EfficientNet-Lite0, {len(result.full)} test folds (5-fold x 8)")
print(result.summary())

# %%
# The noise ceiling on the same test x test blocks
# ------------------------------------------------
ceiling = noise_ceiling(data.subject_dissimilarity_frames, cv=result.splits)
print(ceiling.summary())
bounds = ceiling.to_frame().mean()
print("Side by side (mean test 2OI over the same folds, Spearman):")
for label, value in (
    ("Full", result.full.mean()),
    ("Retained", result.retained.mean()),
    ("ceiling, subject vs others (lower)", bounds["lower"]),
    ("ceiling, subject vs all (upper)", bounds["upper"]),
    ("mean matrix, sqrt(reliability)", bounds["attenuation_bound"]),
):
    print(f"  {label:36s}{value:.4f}")

# %%
# Stability: how often each map is retained
# -----------------------------------------
frequency = result.retention_frequency
print(
    f"Maps retained in at least one fold: {np.count_nonzero(frequency)}; "
    f"in at least half: {np.count_nonzero(frequency >= 0.5)}; "
    f"in every fold: {np.count_nonzero(frequency == 1)} "
    f"(S* keeps {result.n_retained.mean():.1f} maps on average)"
)
pd.DataFrame(
    {"map": np.arange(len(frequency)), "retention_frequency": frequency}
).to_csv(out / "study_mur92_retention.csv", index=False)
result.to_frame().to_csv(out / "study_mur92_folds.csv", index_label="fold")
display = SelectionControlsDisplay.from_cv_results(result, ceiling=ceiling)
display.ax_.set_title("Mur92, EfficientNet-Lite0: held-out 2OI")
display.figure_.savefig(out / "study_mur92_controls.png", dpi=120, bbox_inches="tight")
plt.close(display.figure_)

# %%
# Several architectures (the paper's Figure 6)
# --------------------------------------------
featurizers = {
    "EfficientNet-Lite0": EfficientNetLiteFeaturizer(variant="lite0"),
    "EfficientNet-Lite1": EfficientNetLiteFeaturizer(variant="lite1"),
    "EfficientNet-Lite2": EfficientNetLiteFeaturizer(variant="lite2"),
    "ResNet-18 (random weights)": TorchvisionFeaturizer(
        model="resnet18", weights=None, random_state=0
    ),
}
table = compare_architectures(
    featurizers, {"Mur92": (data.images, data.similarity)}, cv=cv
)
table.to_csv(out / "study_mur92_architectures.csv", index=False)
means = table.groupby("architecture", sort=False)[["full", "retained", "n_retained"]]
print("Architectures (mean over the 40 folds):")
print(means.mean().round(4).to_string())
display = ArchitectureComparisonDisplay.from_cv_results(table)
display.figure_.savefig(
    out / "study_mur92_architectures.png", dpi=120, bbox_inches="tight"
)
print(f"Wall time: {time.perf_counter() - start:.1f} s")
