"""
Per-image heatmaps on human judgments (Mur92)
=============================================

Sixteen people arranged the 92 object images of Kriegeskorte et al. (2008)
by similarity (Mur et al. 2013). The *per-image* AIS of map ``k`` for image
``t`` is how much ``t``'s own 2OI (its similarities to the other images
against the humans') drops when ``k`` is zeroed in ``t`` alone; weighting
``t``'s maps by them draws a heatmap of what people use when they compare
``t`` with the others. :class:`~sklearn_ais.AISHeatmapExplainer` computes
them, with the dataset AIS, in one pass.
"""

# %%
# Fit the explainer on the 92 images
# ----------------------------------
# Per-image AIS need every image's similarities to the others, so the
# explainer is fitted on all 92 (EfficientNet-Lite0 by default, ImageNet
# weights installed offline). :func:`~sklearn_ais.datasets.load_mur92` reads
# the files from a local folder (``$SKLEARN_AIS_DATA``, or ``data_home=``);
# the mean matrix and each subject's are DataFrames labelled by the ids.
import warnings

import numpy as np

from sklearn_ais import AISHeatmapExplainer
from sklearn_ais.datasets import load_mur92
from sklearn_ais.plotting import HeatmapDisplay

data = load_mur92()
explainer = AISHeatmapExplainer()
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)  # a few all-zero heatmaps
    explainer.fit(data.images, data.similarity)

per_image = explainer.full_score_per_image_
print(
    f"92 images; all-pairs 2OI {explainer.full_score_:.3f}; per-image 2OI "
    f"median {np.nanmedian(per_image):.3f} (range {np.nanmin(per_image):.3f} "
    f"to {np.nanmax(per_image):.3f})"
)
print("Per-image AIS:", explainer.ais_per_image_.shape, "(images x maps)")
positive = data.categories.assign(
    positive_maps=(explainer.ais_per_image_ > 0).sum(axis=1)
)
print(positive.groupby("category")["positive_maps"].mean().round(1))

# %%
# Two images per category
# -----------------------
# :class:`~sklearn_ais.plotting.HeatmapDisplay` draws each image with its
# heatmap (``heatmaps_``, upsampled to the image's own size) over it.
categories = data.categories["category"].to_numpy()
chosen = np.concatenate(
    [np.flatnonzero(categories == c)[:2] for c in data.categories["category"].unique()]
)
display = HeatmapDisplay.from_estimator(
    explainer, data.images, indices=chosen, n_cols=4
)
for ax, i in zip(display.axes_, chosen):
    ax.set_title(f"{data.ids[i]}\n{categories[i]}", fontsize=8)
display.figure_.suptitle("Mur92: per-image AIS heatmaps, EfficientNet-Lite0")
