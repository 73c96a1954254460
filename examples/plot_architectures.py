"""
Comparing architectures
=======================

Which network's maps align best with human judgments, and does AIS selection
help each of them? :func:`~sklearn_ais.model_selection.compare_architectures`
featurizes every data set with every network once, then scores Full and
Retained on the same held-out folds for each, in one tidy table that
:class:`~sklearn_ais.plotting.ArchitectureComparisonDisplay` draws (the
paper's Figure 6). The control architecture is a ResNet-18 with *random*
weights: a network that learned nothing about images.

Mur92, 5 folds; ``scripts/study_mur92.py`` runs EfficientNet-Lite0/1/2 and
the control with 5-fold x 8.
"""

# %%
# Three networks, one data set, the same folds
# --------------------------------------------
from sklearn.model_selection import KFold

from sklearn_ais import EfficientNetLiteFeaturizer, TorchvisionFeaturizer
from sklearn_ais.datasets import load_mur92
from sklearn_ais.model_selection import compare_architectures
from sklearn_ais.plotting import ArchitectureComparisonDisplay

data = load_mur92()
featurizers = {
    "EfficientNet-Lite0": EfficientNetLiteFeaturizer(variant="lite0"),
    "EfficientNet-Lite1": EfficientNetLiteFeaturizer(variant="lite1"),
    "ResNet-18 (random weights)": TorchvisionFeaturizer(
        model="resnet18", weights=None, random_state=0
    ),
}
table = compare_architectures(
    featurizers,
    {"Mur92": (data.images, data.similarity)},
    cv=KFold(5, shuffle=True, random_state=0),
)
print(table.head())

# %%
# Mean over the folds
# -------------------
columns = ["full", "retained", "n_retained", "n_maps"]
print(table.groupby("architecture", sort=False)[columns].mean().round(3))

display = ArchitectureComparisonDisplay.from_cv_results(table)
