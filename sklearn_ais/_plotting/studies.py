"""Studies: architectures x data sets, and selection against its controls."""

import numpy as np

from .._statistics import paired_standard_error
from .common import _grid


def _paired_error(first, second):
    """Loftus & Masson's error bar; none (0) with fewer than two folds."""
    return np.nan_to_num(paired_standard_error(first, second), nan=0.0)


class ArchitectureComparisonDisplay:
    """Full vs Retained test 2OI per architecture, a panel per data set.

    The paper's Figure 6: for each data set, a pair of bars per
    architecture (Full, Retained: mean test 2OI over the folds) with the
    paired standard errors of Loftus & Masson (1994), and the mean number
    of retained maps above the Retained bar.

    Parameters
    ----------
    frame : pandas.DataFrame
        A row per (architecture, data set, fold) with columns
        ``architecture``, ``dataset``, ``full``, ``retained`` and
        ``n_retained``, as ``compare_architectures`` returns.

    Attributes
    ----------
    figure_ : matplotlib.figure.Figure
        The figure.
    axes_ : ndarray of matplotlib.axes.Axes
        One axes per data set.
    bars_ : dict of (str, str) to matplotlib BarContainer
        The bars per (data set, ``"full"`` or ``"retained"``).

    See Also
    --------
    sklearn_ais.model_selection.compare_architectures : Computes the table.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_ais.plotting import ArchitectureComparisonDisplay
    >>> frame = pd.DataFrame({
    ...     "architecture": ["a", "a", "b", "b"], "dataset": ["d"] * 4,
    ...     "fold": [0, 1, 0, 1], "full": [0.2, 0.3, 0.1, 0.2],
    ...     "retained": [0.4, 0.4, 0.2, 0.3], "n_retained": [5, 6, 9, 8]})
    >>> display = ArchitectureComparisonDisplay.from_frame(frame)
    >>> len(display.bars_[("d", "retained")])
    2
    """

    def __init__(self, *, frame):
        self.frame = frame

    @classmethod
    def from_frame(cls, frame, **plot_params):
        """Plot a table of ``compare_architectures``.

        Parameters
        ----------
        frame : pandas.DataFrame
            The table.
        **plot_params : dict
            Passed to :meth:`plot` (``ax``).

        Returns
        -------
        ArchitectureComparisonDisplay
        """
        return cls(frame=frame).plot(**plot_params)

    def plot(self, *, ax=None):
        """Draw the bars.

        Parameters
        ----------
        ax : matplotlib Axes, array of Axes or None, default=None
            One axes per data set; None makes a figure.

        Returns
        -------
        self : ArchitectureComparisonDisplay
            With ``figure_``, ``axes_`` and ``bars_`` set.
        """
        missing = {"architecture", "dataset", "full", "retained", "n_retained"}
        missing -= set(self.frame.columns)
        if missing:
            raise ValueError(f"The table lacks the columns {sorted(missing)}.")
        datasets = list(dict.fromkeys(self.frame["dataset"]))
        figure, axes = _grid(len(datasets), ax, len(datasets), (4.5, 3.5), "data sets")
        self.bars_ = {}
        width = 0.38
        for axis, dataset in zip(axes, datasets):
            rows = self.frame[self.frame["dataset"] == dataset]
            names = list(dict.fromkeys(rows["architecture"]))
            groups = [rows[rows["architecture"] == name] for name in names]
            errors = [_paired_error(g["full"], g["retained"]) for g in groups]
            x = np.arange(len(names))
            for shift, column, colour, label in (
                (-width / 2, "full", "0.6", "Full"),
                (width / 2, "retained", "C3", "Retained"),
            ):
                means = [g[column].mean() for g in groups]
                self.bars_[(dataset, column)] = axis.bar(
                    x + shift,
                    means,
                    width,
                    yerr=errors,
                    color=colour,
                    label=label,
                    capsize=3,
                )
            for i, g in enumerate(groups):
                axis.annotate(
                    f"{g['n_retained'].mean():.0f}",
                    (x[i] + width / 2, g["retained"].mean()),
                    xytext=(0, 6),
                    textcoords="offset points",
                    ha="center",
                    fontsize=7,
                )
            axis.set_xticks(x, names, rotation=30, ha="right")
            axis.set_title(str(dataset))
            axis.axhline(0.0, color="0.3", linewidth=0.8)
        axes[0].set_ylabel("test 2OI (mean over folds)")
        axes[0].legend(frameon=False, fontsize=8)
        self.figure_, self.axes_ = figure, axes
        return self


class SelectionControlsDisplay:
    """Retained maps against same-size controls, with the noise ceiling.

    Bars of the mean test 2OI of each condition (Full, Retained, random
    same-size subsets, top mean activation, top variance) with paired
    standard errors against Retained, the random draws' own means as
    points, and the noise ceiling's bounds as horizontal lines.

    Parameters
    ----------
    conditions : pandas.DataFrame
        Per-fold 2OI, a column per condition (``SelectionControls.conditions()``).
    random_draws : array-like or None, default=None
        Mean 2OI of each random draw, drawn as points on the random bar.
    ceiling : dict of str to float or None, default=None
        Horizontal lines by label (for example the lower and upper bounds).

    Attributes
    ----------
    figure_, ax_ : matplotlib Figure and Axes
        Where it is drawn.
    bars_ : matplotlib BarContainer
        The bars.

    See Also
    --------
    sklearn_ais.model_selection.compare_selection_controls : The scores.
    sklearn_ais.model_selection.noise_ceiling : The ceiling.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_ais.plotting import SelectionControlsDisplay
    >>> conditions = pd.DataFrame({"full": [0.2, 0.3], "retained": [0.4, 0.4],
    ...                            "random": [0.2, 0.25]})
    >>> display = SelectionControlsDisplay(
    ...     conditions=conditions, ceiling={"upper bound": 0.6}).plot()
    >>> len(display.bars_)
    3
    """

    def __init__(self, *, conditions, random_draws=None, ceiling=None):
        self.conditions = conditions
        self.random_draws = random_draws
        self.ceiling = ceiling

    @classmethod
    def from_result(cls, result, *, ceiling=None, **plot_params):
        """Plot a ``SelectionControls`` result.

        Parameters
        ----------
        result : SelectionControls
            From ``compare_selection_controls``.
        ceiling : NoiseCeiling or dict of str to float or None, default=None
            A ``noise_ceiling`` result (its mean bounds are drawn) or lines
            by label.
        **plot_params : dict
            Passed to :meth:`plot` (``ax``).

        Returns
        -------
        SelectionControlsDisplay
        """
        if ceiling is not None and not isinstance(ceiling, dict):
            means = ceiling.to_frame().mean()
            ceiling = {
                "ceiling: subject vs others": means["lower"],
                "ceiling: subject vs all": means["upper"],
                "sqrt(split-half reliability)": means["ceiling"],
            }
        conditions = result.conditions()
        draws = result.random_draws if "random" in conditions else None
        display = cls(conditions=conditions, random_draws=draws, ceiling=ceiling)
        return display.plot(**plot_params)

    def plot(self, *, ax=None):
        """Draw the bars.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Where to draw; None makes a figure.

        Returns
        -------
        self : SelectionControlsDisplay
            With ``figure_``, ``ax_`` and ``bars_`` set.
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.8))
        names = list(self.conditions.columns)
        reference = self.conditions.get("retained")
        means = [self.conditions[n].mean() for n in names]
        errors = [
            0.0 if reference is None else _paired_error(reference, self.conditions[n])
            for n in names
        ]
        colours = ["C3" if n == "retained" else "0.6" for n in names]
        x = np.arange(len(names))
        self.bars_ = ax.bar(x, means, 0.6, yerr=errors, color=colours, capsize=3)
        if self.random_draws is not None and "random" in names:
            draws = np.asarray(self.random_draws, float)
            ax.plot(
                np.full(len(draws), names.index("random")),
                draws,
                "o",
                color="k",
                markersize=3,
                alpha=0.6,
                label="random draws",
            )
        for k, (label, value) in enumerate((self.ceiling or {}).items()):
            ax.axhline(value, color=f"C{k}", linestyle="--", linewidth=1, label=label)
        ax.set_xticks(x, [n.replace("_", " ") for n in names], rotation=20)
        ax.set_ylabel("test 2OI (mean over folds)")
        ax.axhline(0.0, color="0.3", linewidth=0.8)
        if self.ceiling or self.random_draws is not None:
            ax.legend(frameon=False, fontsize=7)
        self.ax_, self.figure_ = ax, ax.figure
        return self
