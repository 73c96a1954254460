"""Replicate Aim 1 on real human judgments: Mur et al. (2013), 92 images.

EfficientNet-Lite0 (ImageNet weights, installed offline with the 'pretrained'
extra), global average pooling, cosine similarity, Spearman comparison,
image-level 5-fold cross-validation repeated 8 times, paired t-test.

    python scripts/replicate_mur92.py [DATA_DIR]

DATA_DIR holds ``92_behavRDMs.mat`` and
``Kriegeskorte_Neuron2008_supplementalData.mat``. Without it, the files are
found as ``sklearn_ais.datasets.load_mur92()`` finds them: in
``$SKLEARN_AIS_DATA/mur92``, ``$SKLEARN_AIS_DATA`` or
``~/sklearn_ais_data/mur92``. When ``SKLEARN_AIS_DATA`` is not set, it
defaults to this project's data folder beside the repository
(``../shared/data``), as in the tests.
"""

import os
import sys
import time
from pathlib import Path

from sklearn.model_selection import RepeatedKFold

from sklearn_ais import AISFeatureMapSelector, EfficientNetLite0Featurizer
from sklearn_ais.datasets import load_mur92
from sklearn_ais.model_selection import compare_full_vs_retained

start = time.perf_counter()
project_data = Path(__file__).resolve().parents[2] / "shared" / "data"
os.environ.setdefault("SKLEARN_AIS_DATA", str(project_data))
data = load_mur92(data_home=sys.argv[1] if len(sys.argv) > 1 else None)
print(f"Mur92: {len(data.images)} images, human similarities averaged over 16 subjects")

maps = EfficientNetLite0Featurizer().fit_transform(data.images)
selector = AISFeatureMapSelector().fit(maps, data.similarity)
print(f"All-data 2OI (all {maps.shape[1]} maps): {selector.full_score_:.4f}")

cv = RepeatedKFold(n_splits=5, n_repeats=8, random_state=0)
result = compare_full_vs_retained(AISFeatureMapSelector(), maps, data.similarity, cv=cv)
print(result.summary())
print(f"Wall time: {time.perf_counter() - start:.1f} s")
