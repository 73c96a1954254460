"""Figures in scikit-learn's ``Display`` convention.

Each display is built ``from_estimator`` (or directly from its data) and
drawn by ``plot``, which accepts ``ax=`` and keeps the matplotlib objects it
made on the display (``figure_``, ``ax_`` or ``axes_``, and the artists).
matplotlib is imported only when something is drawn.
"""

from ._plotting.heatmaps import (
    DeletionCurveDisplay,
    HeatmapDisplay,
    SaliencyComparisonDisplay,
    SaliencyPrecisionRecallDisplay,
)
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
]
