"""Per-image AIS heatmaps on real human judgments: Mur et al. (2013).

Sixteen people arranged the 92 object images of Kriegeskorte et al. (2008) by
similarity. Per-image AIS need every image's similarities to the others, so the
explainer is fitted on all 92; the figure shows two images of each of the six
categories. EfficientNet-Lite0 (ImageNet weights, offline), cosine similarity,
Spearman comparison per image.

    python scripts/plot_heatmaps_mur92.py [OUT_DIR]

The data are found as ``sklearn_ais.datasets.load_mur92()`` finds them
(``$SKLEARN_AIS_DATA``; default here: this project's ``../shared/data``).
Writes ``heatmaps_mur92.png`` to OUT_DIR (default: ``examples_output``).
"""

# %%
# Fit the explainer on the 92 images
# ----------------------------------
import os
import sys
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from sklearn_ais import AISHeatmapExplainer
from sklearn_ais.datasets import load_mur92
from sklearn_ais.plotting import HeatmapDisplay

out = Path(sys.argv[1] if len(sys.argv) > 1 else "examples_output")
out.mkdir(parents=True, exist_ok=True)
project_data = Path(__file__).resolve().parents[2] / "shared" / "data"
os.environ.setdefault("SKLEARN_AIS_DATA", str(project_data))
data = load_mur92()

explainer = AISHeatmapExplainer()
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)  # a few all-zero heatmaps
    explainer.fit(data.images, data.similarity)
per_image = explainer.baseline_per_image_
print(
    f"92 images; all-pairs 2OI {explainer.baseline_score_:.3f}; per-image 2OI "
    f"median {np.nanmedian(per_image):.3f} (range {np.nanmin(per_image):.3f} "
    f"to {np.nanmax(per_image):.3f})"
)
print(
    "Maps with a positive per-image AIS (of 1280), mean per category:\n"
    + (
        data.categories.assign(positive_maps=(explainer.ais_per_image_ > 0).sum(axis=1))
        .groupby("category")["positive_maps"]
        .mean()
        .round(1)
        .to_string()
    )
)

# %%
# Two images per category
# -----------------------
chosen = np.concatenate(
    [
        np.flatnonzero(data.categories["category"].to_numpy() == category)[:2]
        for category in data.categories["category"].unique()
    ]
)
display = HeatmapDisplay.from_estimator(
    explainer, data.images, indices=chosen, n_cols=4
)
for ax, i in zip(display.axes_, chosen):
    ax.set_title(f"{data.ids[i]}\n{data.categories['category'].iloc[i]}", fontsize=8)
display.figure_.suptitle("Mur92: per-image AIS heatmaps, EfficientNet-Lite0")
display.figure_.savefig(out / "heatmaps_mur92.png", dpi=80)
plt.close("all")
print(f"Figure written to {out}/heatmaps_mur92.png")
