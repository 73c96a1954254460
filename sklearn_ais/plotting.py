"""Figures in scikit-learn's ``Display`` convention.

Each display is built ``from_estimator`` (or directly from its data) and
drawn by ``plot``, which accepts ``ax=`` and keeps the matplotlib objects it
made on the display (``figure_``, ``ax_`` or ``axes_``, and the artists).
matplotlib is imported only when something is drawn.

Every Display colours a condition the same way (Full, Retained, random
subsets, top activation, top variance, the noise ceiling: one colour-blind-safe
Okabe-Ito palette), and ``plot`` takes matplotlib style dicts
(``line_kwargs``, ``bar_kwargs``, ...) merged over its defaults, as
scikit-learn's curve Displays do. For a paper, :func:`save_figure` writes a
Display's figure as SVG or PDF (vector) beside the PNG.
"""

from ._plotting.common import save_figure
from ._plotting.faithfulness import (
    DeletionCurveDisplay,
    SaliencyComparisonDisplay,
    SaliencyPrecisionRecallDisplay,
)
from ._plotting.heatmaps import HeatmapDisplay
from ._plotting.selection import AISDistributionDisplay, SelectionPathDisplay
from ._plotting.studies import (
    ArchitectureComparisonDisplay,
    FullVsRetainedDisplay,
    SelectionControlsDisplay,
)

__all__ = [
    "AISDistributionDisplay",
    "ArchitectureComparisonDisplay",
    "DeletionCurveDisplay",
    "FullVsRetainedDisplay",
    "HeatmapDisplay",
    "SaliencyComparisonDisplay",
    "SaliencyPrecisionRecallDisplay",
    "SelectionControlsDisplay",
    "SelectionPathDisplay",
    "save_figure",
]
