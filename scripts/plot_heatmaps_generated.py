"""Per-image AIS heatmaps on generated images, and whether they point right.

Each generated image holds a *relevant* object, whose shape, colour and size
alone drive the generated human similarities, and a *distractor* object of the
same kind and size that does not. A heatmap that explains the comparison should
be warmer on the relevant object. EfficientNet-Lite0 (ImageNet weights,
installed offline with the 'pretrained' extra) at two input sizes; the control
is each image's unweighted mean feature map.

    python scripts/plot_heatmaps_generated.py [OUT_DIR]

Writes ``heatmaps_generated.png`` and ``selection_path_generated.png`` to
OUT_DIR (default: ``examples_output`` in the current folder).
"""

# %%
# The images and the explainer
# ----------------------------
import sys
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sklearn_ais import (
    AISFeatureMapSelector,
    AISHeatmapExplainer,
    EfficientNetLite0Featurizer,
)
from sklearn_ais.analysis import localization_table
from sklearn_ais.datasets import make_comparison_images
from sklearn_ais.explain import upsample_heatmap
from sklearn_ais.plotting import HeatmapDisplay, SelectionPathDisplay

out = Path(sys.argv[1] if len(sys.argv) > 1 else "examples_output")
out.mkdir(parents=True, exist_ok=True)
data = make_comparison_images(n_images=96, image_size=128, random_state=0)

# %%
# Localisation against a control, at two input sizes
# --------------------------------------------------
rows = {}
for input_size in (224, 448):
    explainer = AISHeatmapExplainer(
        featurizer=EfficientNetLite0Featurizer(input_size=input_size)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a few all-zero heatmaps
        explainer.fit(data.images, data.similarity)
    maps = np.asarray(explainer.featurizer_.transform(data.images))
    control = [upsample_heatmap(m.mean(axis=0), (128, 128)) for m in maps]
    masks = (data.relevant_masks, data.distractor_masks)
    rows[f"AIS heatmap, {input_size} px"] = localization_table(
        explainer.heatmaps_, *masks
    ).mean()
    rows[f"mean of maps, {input_size} px"] = localization_table(control, *masks).mean()
    if input_size == 224:
        shown = explainer
print(pd.DataFrame(rows).T.round(3).to_string())

# %%
# The heatmaps of the first twelve images (224 px input)
# ------------------------------------------------------
display = HeatmapDisplay.from_estimator(
    shown,
    data.images,
    indices=range(12),
    outlines={
        "relevant object": data.relevant_masks[:12],
        "distractor": data.distractor_masks[:12],
    },
)
display.figure_.suptitle(
    "Per-image AIS heatmaps (bright = what the comparison uses), objects outlined"
)
display.figure_.savefig(out / "heatmaps_generated.png", dpi=80)

# %%
# The dataset selection path
# --------------------------
selector = AISFeatureMapSelector(featurizer=EfficientNetLite0Featurizer())
selector.fit(data.images, data.similarity)
path = SelectionPathDisplay.from_estimator(selector)
path.figure_.savefig(out / "selection_path_generated.png", dpi=80)
plt.close("all")
print(f"Figures written to {out}/")
