"""The paper's validation protocol and the study's statistics, out of sample.

* :func:`compare_full_vs_retained`: image-level cross-validation of the full
  model against its AIS-retained maps (Aim 1), with :func:`mantel_test` for
  a permutation test of the cross-validated 2OI; ``cv=PairShuffleSplit()``
  gives the paper's pair-level 80:20 split instead.
* :func:`compare_selection_controls`: the retained maps against same-size
  controls on the same folds (random, top mean activation, top variance),
  the maps' retention frequency and bootstrap intervals over images.
* :func:`noise_ceiling`: what the human data allow on the same test blocks.
* :func:`compare_across_subjects`: Full and Retained against each subject's
  matrix, the subjects a random effect (Wilcoxon test, dual bootstrap).
* :func:`compare_architectures`: architectures x data sets x folds (Aim 4).
* :func:`bootstrap_2oi`: pattern-bootstrap intervals of a fixed model's 2OI.
* :func:`run_study`: the whole study of one data set (the selector, its
  heatmaps, the controls and the ceiling), as ``sklearn-ais`` runs it.
"""

from ._bootstrap import bootstrap_2oi
from ._ceiling import NoiseCeiling, noise_ceiling
from ._controls import SelectionControls, compare_selection_controls
from ._pairs import PairShuffleSplit
from ._protocol import run_study
from ._study import compare_architectures
from ._subjects import SubjectLevel, compare_across_subjects
from ._validation import FullVsRetained, compare_full_vs_retained, mantel_test

__all__ = [
    "FullVsRetained",
    "NoiseCeiling",
    "PairShuffleSplit",
    "SelectionControls",
    "SubjectLevel",
    "bootstrap_2oi",
    "compare_across_subjects",
    "compare_architectures",
    "compare_full_vs_retained",
    "compare_selection_controls",
    "mantel_test",
    "noise_ceiling",
    "run_study",
]
