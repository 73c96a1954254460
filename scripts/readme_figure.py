"""The README's figure: Mur92 heatmaps beside Full vs Retained.

Sixteen people arranged the 92 images of Kriegeskorte et al. (2008) by
similarity (Mur et al. 2013). EfficientNet-Lite0 (ImageNet weights, installed
offline with the ``pretrained`` extra) featurizes them once; then

* left: the per-image AIS heatmaps of one image per category, from
  :class:`~sklearn_ais.AISHeatmapExplainer` fitted on all 92 images;
* right: the 2OI of all 1,280 maps (Full) and of the maps AIS retains
  (Retained) on held-out images, image-level 5-fold cross-validation
  repeated 8 times, with the corrected resampled t-test.

Both panels are drawn by the Displays of :mod:`sklearn_ais.plotting`.
Offline (Mur92 from ``$SKLEARN_AIS_DATA``); about a minute on two CPU cores.

    python scripts/readme_figure.py [OUT.png]

Writes ``docs/_static/readme_figure.png`` by default.
"""

import sys
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import RepeatedKFold

from sklearn_ais import (
    AISFeatureMapSelector,
    AISHeatmapExplainer,
    EfficientNetLite0Featurizer,
)
from sklearn_ais.datasets import load_mur92
from sklearn_ais.model_selection import compare_full_vs_retained
from sklearn_ais.plotting import FullVsRetainedDisplay, HeatmapDisplay

DEFAULT = Path(__file__).resolve().parents[1] / "docs" / "_static" / "readme_figure.png"
out = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT

data = load_mur92()
y = data.similarity
# The network learns nothing from the images: one featurization serves the
# explainer and every fold.
maps = EfficientNetLite0Featurizer().fit_transform(data.images)

explainer = AISHeatmapExplainer(featurizer="passthrough")
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)  # a few all-zero heatmaps
    explainer.fit(maps, y)

cv = RepeatedKFold(n_splits=5, n_repeats=8, random_state=0)
result = compare_full_vs_retained(AISFeatureMapSelector(), maps, y, cv=cv)
print(result.summary())

# One image per category: the first of each, in the data set's order.
categories = data.categories["category"].to_numpy()
shown = [int(np.flatnonzero(categories == c)[0]) for c in dict.fromkeys(categories)]

figure = plt.figure(figsize=(11.5, 4.4), layout="constrained")
left, right = figure.subfigures(1, 2, width_ratios=[2.2, 1.1], wspace=0.04)
heatmap_axes = left.subplots(2, 3)
heatmaps = HeatmapDisplay.from_estimator(
    explainer, data.images, indices=shown, ax=heatmap_axes.ravel(), max_size=256
)
for ax, i in zip(heatmaps.axes_, shown):
    ax.set_title(categories[i], fontsize=9)
left.suptitle(
    "What people use: per-image AIS heatmaps (Mur92, EfficientNet-Lite0)",
    fontsize=10,
)
comparison = FullVsRetainedDisplay.from_cv_results(result, ax=right.subplots())
right.suptitle("Held-out images: Full vs Retained maps", fontsize=10)
out.parent.mkdir(parents=True, exist_ok=True)
figure.savefig(out, dpi=110)
print(f"Wrote {out}")
