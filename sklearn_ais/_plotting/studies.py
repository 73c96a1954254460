"""Studies: Full vs Retained, architectures x data sets, selection's controls."""

import numpy as np

from .._statistics import (
    corrected_ttest,
    fold_sizes,
    naive_ttest,
    paired_standard_error,
)
from .common import _draw_reference_lines, _grid, _single_axes, noise_ceiling_lines

# What the error bars are, for a figure's caption or axis.
ERROR_BARS = {
    "corrected": "error bars: paired SE, corrected for folds sharing images",
    "naive": "error bars: paired SE (Loftus & Masson), folds as if independent",
}


def _method(n_train, n_test):
    return "naive" if n_train is None else "corrected"


def _paired_error(first, second, n_train=None, n_test=None):
    """The paired error bar, corrected when the fold sizes are known; none (0)
    with fewer than two folds."""
    error = paired_standard_error(first, second, n_train=n_train, n_test=n_test)
    return np.nan_to_num(error, nan=0.0)


def _fold_sizes(result):
    """``(n_train, n_test)`` of a result whose folds were recorded, else Nones."""
    return (None, None) if result.splits is None else fold_sizes(result.splits)


def _frame_sizes(rows):
    """The mean fold sizes of a table's rows, where it has the columns."""
    if {"n_train", "n_test"} <= set(rows.columns):
        return float(rows["n_train"].mean()), float(rows["n_test"].mean())
    return None, None


class ArchitectureComparisonDisplay:
    """Full vs Retained test 2OI per architecture, a panel per data set.

    The paper's Figure 6: for each data set, a pair of bars per
    architecture (Full, Retained: mean test 2OI over the folds) with paired
    standard errors (Loftus & Masson 1994, corrected for folds that share
    images when the table has the columns ``n_train`` and ``n_test``, as
    ``compare_architectures`` returns), and the mean number of retained maps
    above the Retained bar.

    Parameters
    ----------
    frame : pandas.DataFrame
        A row per (architecture, data set, fold) with columns
        ``architecture``, ``dataset``, ``full``, ``retained`` and
        ``n_retained``, and optionally ``n_train`` and ``n_test`` (the
        fold's sizes, for the corrected error bars), as
        ``compare_architectures`` returns.

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
    >>> display = ArchitectureComparisonDisplay.from_cv_results(frame)
    >>> len(display.bars_[("d", "retained")])
    2
    """

    def __init__(self, *, frame):
        self.frame = frame

    @classmethod
    def from_cv_results(cls, cv_results, **plot_params):
        """Plot the table of :func:`~sklearn_ais.model_selection.compare_architectures`.

        Parameters
        ----------
        cv_results : pandas.DataFrame
            The table (a row per architecture, data set and fold).
        **plot_params : dict
            Passed to :meth:`plot` (``ax``).

        Returns
        -------
        ArchitectureComparisonDisplay
        """
        return cls(frame=cv_results).plot(**plot_params)

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
            errors = [
                _paired_error(g["full"], g["retained"], *_frame_sizes(g))
                for g in groups
            ]
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
        method = _method(*_frame_sizes(self.frame))
        figure.supxlabel(ERROR_BARS[method], fontsize=7)
        self.figure_, self.axes_ = figure, axes
        return self


class FullVsRetainedDisplay:
    """Full vs Retained on held-out images (the paper's Figure 1).

    Bars of the mean test 2OI of all maps and of the retained maps, with
    paired standard errors, a line per fold, the test in the title and,
    when given, the noise ceiling's lines. With the folds' sizes the test
    and the error bars are corrected for folds that share images (the
    corrected resampled t-test of ``FullVsRetained.ttest``); without them
    they are the naive ones, and the title says so.

    Parameters
    ----------
    full, retained : array-like of shape (n_folds,)
        Test-set 2OI of all maps and of the retained maps, per fold.
    reference_lines : dict of str to float or None, default=None
        Horizontal dashed lines by label (for example the noise ceiling's).
    n_train, n_test : float or None, default=None
        Mean numbers of training and test images per fold (pairs for a
        pair-level split); None for the naive test and error bars.

    Attributes
    ----------
    figure_, ax_ : matplotlib Figure and Axes
        Where it is drawn.
    bars_ : matplotlib BarContainer
        The two bars.
    fold_lines_ : list of matplotlib.lines.Line2D
        One line per fold, from Full to Retained.

    See Also
    --------
    sklearn_ais.model_selection.compare_full_vs_retained : The scores.
    sklearn_ais.model_selection.noise_ceiling : The ceiling.

    Examples
    --------
    >>> from sklearn_ais.plotting import FullVsRetainedDisplay
    >>> display = FullVsRetainedDisplay(
    ...     full=[0.2, 0.3, 0.25], retained=[0.3, 0.4, 0.3]).plot()
    >>> len(display.fold_lines_)
    3
    """

    def __init__(
        self, *, full, retained, reference_lines=None, n_train=None, n_test=None
    ):
        self.full = full
        self.retained = retained
        self.reference_lines = reference_lines
        self.n_train = n_train
        self.n_test = n_test

    @classmethod
    def from_cv_results(cls, cv_results, *, ceiling=None, **plot_params):
        """Plot a ``FullVsRetained`` result of cross-validation.

        Parameters
        ----------
        cv_results : FullVsRetained
            From ``compare_full_vs_retained`` (or ``compare_selection_controls``).
        ceiling : NoiseCeiling or None, default=None
            A ``noise_ceiling`` result on the same folds: its means are drawn
            as lines.
        **plot_params : dict
            Passed to :meth:`plot` (``ax``).

        Returns
        -------
        FullVsRetainedDisplay
        """
        n_train, n_test = _fold_sizes(cv_results)
        display = cls(
            full=cv_results.full,
            retained=cv_results.retained,
            reference_lines=noise_ceiling_lines(ceiling),
            n_train=n_train,
            n_test=n_test,
        )
        return display.plot(**plot_params)

    def plot(self, *, ax=None):
        """Draw the bars and the folds.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Where to draw; None makes a figure.

        Returns
        -------
        self : FullVsRetainedDisplay
            With ``figure_``, ``ax_``, ``bars_`` and ``fold_lines_`` set.
        """
        ax = _single_axes(ax, (4.2, 4.0))
        full = np.asarray(self.full, float)
        retained = np.asarray(self.retained, float)
        if self.n_train is None:
            test = naive_ttest(full, retained)
        else:
            test = corrected_ttest(
                full, retained, n_train=self.n_train, n_test=self.n_test
            )
        error = test.standard_error
        self.bars_ = ax.bar(
            [0, 1],
            [full.mean(), retained.mean()],
            width=0.6,
            color=["0.7", "C0"],
            yerr=[error, error],
            capsize=8,
            zorder=1,
        )
        self.fold_lines_ = [
            ax.plot(
                [0, 1],
                pair,
                color="0.3",
                alpha=0.35,
                linewidth=0.8,
                marker="o",
                markersize=3,
                zorder=2,
            )[0]
            for pair in zip(full, retained)
        ]
        ax.set_xticks([0, 1], ["Full", "Retained"])
        ax.set_ylabel("test 2OI (held-out images)")
        ax.set_title(
            f"{len(full)} folds; {test.method} t({test.df}) = "
            f"{test.statistic:.2f}, p = {test.pvalue:.2g}\n"
            f"{ERROR_BARS[test.method]}",
            fontsize=8,
        )
        ax.axhline(0, color="0.2", linewidth=0.6)
        if _draw_reference_lines(ax, self.reference_lines):
            ax.legend(frameon=False, fontsize=7)
        self.ax_, self.figure_ = ax, ax.figure
        return self


class SelectionControlsDisplay:
    """Retained maps against same-size controls, with the noise ceiling.

    Bars of the mean test 2OI of each condition (Full, Retained, random
    same-size subsets, top mean activation, top variance) with paired
    standard errors against Retained (corrected for folds that share images
    when the folds' sizes are given), the random draws' own means as
    points, and the noise ceiling's bounds as horizontal lines.

    Parameters
    ----------
    conditions : pandas.DataFrame
        Per-fold 2OI, a column per condition (``SelectionControls.conditions()``).
    random_draws : array-like or None, default=None
        Mean 2OI of each random draw, drawn as points on the random bar.
    reference_lines : dict of str to float or None, default=None
        Horizontal dashed lines by label (for example the noise ceiling's).
    n_train, n_test : float or None, default=None
        Mean numbers of training and test images per fold; None for the
        naive error bars.

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
    ...     conditions=conditions, reference_lines={"upper bound": 0.6}).plot()
    >>> len(display.bars_)
    3
    """

    def __init__(
        self,
        *,
        conditions,
        random_draws=None,
        reference_lines=None,
        n_train=None,
        n_test=None,
    ):
        self.conditions = conditions
        self.random_draws = random_draws
        self.reference_lines = reference_lines
        self.n_train = n_train
        self.n_test = n_test

    @classmethod
    def from_cv_results(cls, cv_results, *, ceiling=None, **plot_params):
        """Plot a ``SelectionControls`` result of cross-validation.

        Parameters
        ----------
        cv_results : SelectionControls
            From ``compare_selection_controls``.
        ceiling : NoiseCeiling or None, default=None
            A ``noise_ceiling`` result on the same folds: its means are drawn
            as lines.
        **plot_params : dict
            Passed to :meth:`plot` (``ax``).

        Returns
        -------
        SelectionControlsDisplay
        """
        conditions = cv_results.conditions()
        n_train, n_test = _fold_sizes(cv_results)
        display = cls(
            conditions=conditions,
            random_draws=cv_results.random_draws if "random" in conditions else None,
            reference_lines=noise_ceiling_lines(ceiling),
            n_train=n_train,
            n_test=n_test,
        )
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
        ax = _single_axes(ax, (6, 3.8))
        names = list(self.conditions.columns)
        reference = self.conditions.get("retained")
        means = [self.conditions[n].mean() for n in names]
        errors = [
            0.0
            if reference is None
            else _paired_error(reference, self.conditions[n], self.n_train, self.n_test)
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
        lines = _draw_reference_lines(ax, self.reference_lines)
        ax.set_xticks(x, [n.replace("_", " ") for n in names], rotation=20)
        ax.set_ylabel("test 2OI (mean over folds)")
        ax.set_title(ERROR_BARS[_method(self.n_train, self.n_test)], fontsize=8)
        ax.axhline(0.0, color="0.3", linewidth=0.8)
        if lines or self.random_draws is not None:
            ax.legend(frameon=False, fontsize=7)
        self.ax_, self.figure_ = ax, ax.figure
        return self
