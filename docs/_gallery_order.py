"""The gallery's reading order (``within_subsection_order`` in conf.py).

From the first pipeline to the studies; an example not listed here comes
after these, by file name.
"""

ORDER = [
    "plot_quick_start.py",
    "plot_grid_search.py",
    "plot_heatmaps_mur92.py",
    "plot_ground_truth.py",
    "plot_saliency_faithfulness.py",
    "plot_mur92_replication.py",
    "plot_architectures.py",
    "plot_command_line.py",
]


class ReadingOrder:
    """Sort key of the examples' file names: their place in ``ORDER``."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        name = str(filename)
        return (ORDER.index(name) if name in ORDER else len(ORDER), name)
