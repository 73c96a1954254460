"""
The command line and its report
===============================

``sklearn-ais run`` studies a folder of images against a human similarity
matrix without writing any Python: feature maps (EfficientNet-Lite0 by
default), AIS, S*, per-image heatmaps and cross-validated Full vs Retained,
written to a report folder whose ``index.html`` shows the figures and links
the tables and a manifest of versions, parameters and seeds. In a shell::

    sklearn-ais run --images photos/ --similarity similarity.csv --out report/

This example writes such a folder from generated images, runs the command
in-process through :func:`sklearn_ais.cli.main` (the function behind the
``sklearn-ais`` script), and shows what the report holds.
Each step of the command is also a Python function: the readers of
:mod:`sklearn_ais.io` and :func:`sklearn_ais.model_selection.run_study`.
"""

# %%
# A folder of images and a similarity CSV
# ---------------------------------------
# Each image's file name (without extension) is its id; the CSV holds the
# matrix with the ids in its first column and header row.
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from PIL import Image

from sklearn_ais.cli import main
from sklearn_ais.datasets import make_comparison_images
from sklearn_ais.io import match_images, read_similarity

work = Path(tempfile.mkdtemp())
data = make_comparison_images(
    n_images=36, image_size=96, distractor="bar", random_state=0
)
(work / "photos").mkdir()
for image, name in zip(data.images, data.ids):
    Image.fromarray(image).save(work / "photos" / f"{name}.png")
data.similarity.to_csv(work / "similarity.csv")
print(sorted(p.name for p in (work / "photos").iterdir())[:5], "...")

# %%
# The command reads the matrix and matches the images by id with
# :func:`sklearn_ais.io.read_similarity` and :func:`sklearn_ais.io.match_images`:
y = read_similarity(work / "similarity.csv")
print(match_images(work / "photos", list(y.index)).head(3))

# %%
# Run the command
# ---------------
# Three folds, repeated twice, to keep this short (the defaults are 5-fold x 8).
photos, matrix, report = work / "photos", work / "similarity.csv", work / "report"
args = ["--images", str(photos), "--similarity", str(matrix), "--out", str(report)]
status = main(["run", *args, "--folds", "3", "--repeats", "2", "--verbose", "0"])
print("exit status", status)

# %%
# The report folder
# -----------------
# Open ``index.html`` in a browser; the tables are CSV and JSON files beside
# it.
for path in sorted(report.rglob("*")):
    if path.is_file():
        print(path.relative_to(report))

# %%
# The cross-validated scores, fold by fold:
print(pd.read_csv(report / "folds.csv").round(3))

# %%
# Two of its figures: Full vs Retained on the held-out folds, and the
# per-image heatmaps.
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
for ax, name in zip(axes, ["full_vs_retained.png", "heatmaps.png"]):
    ax.imshow(plt.imread(report / name))
    ax.set_title(name, fontsize=9)
    ax.axis("off")
fig.tight_layout()
