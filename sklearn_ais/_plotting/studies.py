"""Studies: Full vs Retained, architectures x data sets, selection's controls."""

import numpy as np

from .._statistics import (
    corrected_ttest,
    fold_sizes,
    naive_ttest,
    paired_standard_error,
)
from .common import (
    PALETTE,
    _colours,
    _draw_reference_lines,
    _grid,
    _legend_outside,
    _single_axes,
    _style,
    ceiling_means,
    noise_ceiling_lines,
)

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
    def from_cv_results(cls, cv_results, *, ax=None, **plot_params):
        """Plot the table of :func:`~sklearn_ais.model_selection.compare_architectures`.

        Parameters
        ----------
        cv_results : pandas.DataFrame
            The table (a row per architecture, data set and fold).
        ax : matplotlib Axes, array of Axes or None, default=None
            One axes per data set; None makes a figure.
        **plot_params : dict
            Passed to :meth:`plot` (style dicts).

        Returns
        -------
        ArchitectureComparisonDisplay
        """
        return cls(frame=cv_results).plot(ax=ax, **plot_params)

    def plot(self, *, ax=None, bar_kwargs=None, text_kwargs=None):
        """Draw the bars.

        Parameters
        ----------
        ax : matplotlib Axes, array of Axes or None, default=None
            One axes per data set; None makes a figure.
        bar_kwargs : dict or None, default=None
            Style of both conditions' bars (``Axes.bar``); by default Full
            and Retained in the palette's colours.
        text_kwargs : dict or None, default=None
            Style of the numbers of retained maps (``Axes.annotate``).

        Returns
        -------
        self : ArchitectureComparisonDisplay
            With ``figure_``, ``axes_``, ``bars_`` and ``legend_`` set.
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
            for shift, column, label in (
                (-width / 2, "full", "Full"),
                (width / 2, "retained", "Retained"),
            ):
                means = [g[column].mean() for g in groups]
                defaults = {"color": PALETTE[column], "label": label, "capsize": 3}
                self.bars_[(dataset, column)] = axis.bar(
                    x + shift,
                    means,
                    width,
                    yerr=errors,
                    **_style(defaults, bar_kwargs),
                )
            for i, g in enumerate(groups):
                # Above the error bar's cap, not on it.
                top = g["retained"].mean() + max(errors[i], 0.0)
                defaults = {
                    "xytext": (0, 3),
                    "textcoords": "offset points",
                    "ha": "center",
                    "fontsize": 7,
                }
                axis.annotate(
                    f"{g['n_retained'].mean():.0f}",
                    (x[i] + width / 2, top),
                    **_style(defaults, text_kwargs),
                )
            axis.set_xticks(x, names, rotation=30, ha="right")
            axis.set_title(str(dataset))
            axis.axhline(0.0, color="0.3", linewidth=0.8)
            # Room for the numbers above the highest bar.
            axis.margins(y=0.1)
        axes[0].set_ylabel("test 2OI (mean over folds)")
        # Outside the last panel: bars and their numbers fill the axes.
        self.legend_ = _legend_outside(
            axes[-1], title="above the bars:\nmaps retained (mean)"
        )
        method = _method(*_frame_sizes(self.frame))
        figure.supxlabel(ERROR_BARS[method], fontsize=7)
        self.figure_, self.axes_ = figure, axes
        return self


def _reference(ceiling, reference_lines):
    """The lines to draw: the ceiling's, then the user's, by label."""
    lines = dict(noise_ceiling_lines(ceiling) or {})
    lines.update(reference_lines or {})
    return lines


class FullVsRetainedDisplay:
    """Full vs Retained on held-out images (the paper's Figure 1).

    Bars of the mean test 2OI of all maps and of the retained maps, with
    paired standard errors, a line per fold, the test in the title and,
    when given, the noise ceiling's bounds as lines whose legend (with their
    values) sits outside the axes. With the folds' sizes the test and the
    error bars are corrected for folds that share images (the corrected
    resampled t-test of ``FullVsRetained.ttest``); without them they are the
    naive ones, and the title says so.

    Parameters
    ----------
    full, retained : array-like of shape (n_folds,)
        Test-set 2OI of all maps and of the retained maps, per fold.
    reference_lines : dict of str to float or None, default=None
        More horizontal lines by label, drawn after the ceiling's.
    ceiling : NoiseCeiling or None, default=None
        A :func:`~sklearn_ais.model_selection.noise_ceiling` result on the
        same folds: its mean bounds are drawn as lines.
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
    reference_lines_ : list of matplotlib.lines.Line2D
        The ceiling's and the other horizontal lines.
    legend_ : matplotlib.legend.Legend or None
        The lines' legend, outside the axes; None without lines.
    ceiling_ : dict of str to float or None
        The ceiling's ``lower``, ``upper`` and ``attenuation_bound``, means
        over folds (the numbers drawn); None without a ceiling.
    test_ : TTestResult
        The test in the title.

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
        self,
        *,
        full,
        retained,
        reference_lines=None,
        ceiling=None,
        n_train=None,
        n_test=None,
    ):
        self.full = full
        self.retained = retained
        self.reference_lines = reference_lines
        self.ceiling = ceiling
        self.n_train = n_train
        self.n_test = n_test

    @classmethod
    def from_cv_results(cls, cv_results, *, ceiling=None, ax=None, **plot_params):
        """Plot a ``FullVsRetained`` result of cross-validation.

        Parameters
        ----------
        cv_results : FullVsRetained
            From ``compare_full_vs_retained`` (or ``compare_selection_controls``).
        ceiling : NoiseCeiling or None, default=None
            A ``noise_ceiling`` result on the same folds: its means are drawn
            as lines.
        ax : matplotlib Axes or None, default=None
            Where to draw; None makes a figure.
        **plot_params : dict
            Passed to :meth:`plot` (style dicts).

        Returns
        -------
        FullVsRetainedDisplay
        """
        n_train, n_test = _fold_sizes(cv_results)
        display = cls(
            full=cv_results.full,
            retained=cv_results.retained,
            ceiling=ceiling,
            n_train=n_train,
            n_test=n_test,
        )
        return display.plot(ax=ax, **plot_params)

    def plot(self, *, ax=None, bar_kwargs=None, fold_kwargs=None, line_kwargs=None):
        """Draw the bars, the folds and the ceiling.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Where to draw; None makes a figure.
        bar_kwargs : dict or None, default=None
            Style of the two bars (``Axes.bar``; by default the palette's
            Full and Retained colours).
        fold_kwargs : dict or None, default=None
            Style of the per-fold lines (``Axes.plot``).
        line_kwargs : dict or None, default=None
            Style of the ceiling's and other horizontal lines
            (``Axes.axhline``).

        Returns
        -------
        self : FullVsRetainedDisplay
            With ``figure_``, ``ax_``, ``bars_``, ``fold_lines_``,
            ``reference_lines_``, ``legend_``, ``ceiling_`` and ``test_`` set.
        """
        ax = _single_axes(ax, (5.2, 4.0))
        full = np.asarray(self.full, float)
        retained = np.asarray(self.retained, float)
        if self.n_train is None:
            test = naive_ttest(full, retained)
        else:
            test = corrected_ttest(
                full, retained, n_train=self.n_train, n_test=self.n_test
            )
        error = test.standard_error
        defaults = {
            "width": 0.6,
            "color": [PALETTE["full"], PALETTE["retained"]],
            "capsize": 8,
            "zorder": 1,
        }
        self.bars_ = ax.bar(
            [0, 1],
            [full.mean(), retained.mean()],
            yerr=[error, error],
            **_style(defaults, bar_kwargs),
        )
        defaults = {
            "color": "0.25",
            "alpha": 0.5,
            "linewidth": 0.8,
            "marker": "o",
            "markersize": 3,
            "zorder": 2,
        }
        fold_style = _style(defaults, fold_kwargs)
        self.fold_lines_ = [
            ax.plot([0, 1], pair, **fold_style)[0] for pair in zip(full, retained)
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
        lines = _reference(self.ceiling, self.reference_lines)
        self.reference_lines_ = _draw_reference_lines(ax, lines, line_kwargs)
        # Outside the axes: the ceiling's lines cross the whole plot.
        self.legend_ = _legend_outside(ax) if self.reference_lines_ else None
        self.ceiling_ = ceiling_means(self.ceiling)
        self.test_ = test
        self.ax_, self.figure_ = ax, ax.figure
        return self


class SelectionControlsDisplay:
    """Retained maps against same-size controls, with the noise ceiling.

    Bars of the mean test 2OI of each condition (Full, Retained, random
    same-size subsets, top mean activation, top variance), each in its
    palette colour, with paired standard errors against Retained (corrected
    for folds that share images when the folds' sizes are given), the
    random draws' own means as points, and the noise ceiling's bounds as
    horizontal lines whose legend (with their values) sits outside the axes.

    Parameters
    ----------
    conditions : pandas.DataFrame
        Per-fold 2OI, a column per condition (``SelectionControls.conditions()``).
    random_draws : array-like or None, default=None
        Mean 2OI of each random draw, drawn as points on the random bar.
    reference_lines : dict of str to float or None, default=None
        More horizontal lines by label, drawn after the ceiling's.
    ceiling : NoiseCeiling or None, default=None
        A :func:`~sklearn_ais.model_selection.noise_ceiling` result on the
        same folds: its mean bounds are drawn as lines.
    n_train, n_test : float or None, default=None
        Mean numbers of training and test images per fold; None for the
        naive error bars.

    Attributes
    ----------
    figure_, ax_ : matplotlib Figure and Axes
        Where it is drawn.
    bars_ : matplotlib BarContainer
        The bars.
    draws_ : matplotlib.collections.PathCollection or None
        The random draws' points.
    reference_lines_ : list of matplotlib.lines.Line2D
        The ceiling's and the other horizontal lines.
    legend_ : matplotlib.legend.Legend or None
        The legend, outside the axes; None with nothing to explain.
    ceiling_ : dict of str to float or None
        The ceiling's ``lower``, ``upper`` and ``attenuation_bound``, means
        over folds (the numbers drawn); None without a ceiling.

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
        ceiling=None,
        n_train=None,
        n_test=None,
    ):
        self.conditions = conditions
        self.random_draws = random_draws
        self.reference_lines = reference_lines
        self.ceiling = ceiling
        self.n_train = n_train
        self.n_test = n_test

    @classmethod
    def from_cv_results(cls, cv_results, *, ceiling=None, ax=None, **plot_params):
        """Plot a ``SelectionControls`` result of cross-validation.

        Parameters
        ----------
        cv_results : SelectionControls
            From ``compare_selection_controls``.
        ceiling : NoiseCeiling or None, default=None
            A ``noise_ceiling`` result on the same folds: its means are drawn
            as lines.
        ax : matplotlib Axes or None, default=None
            Where to draw; None makes a figure.
        **plot_params : dict
            Passed to :meth:`plot` (style dicts).

        Returns
        -------
        SelectionControlsDisplay
        """
        conditions = cv_results.conditions()
        n_train, n_test = _fold_sizes(cv_results)
        display = cls(
            conditions=conditions,
            random_draws=cv_results.random_draws if "random" in conditions else None,
            ceiling=ceiling,
            n_train=n_train,
            n_test=n_test,
        )
        return display.plot(ax=ax, **plot_params)

    def plot(self, *, ax=None, bar_kwargs=None, scatter_kwargs=None, line_kwargs=None):
        """Draw the bars, the random draws and the ceiling.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Where to draw; None makes a figure.
        bar_kwargs : dict or None, default=None
            Style of the bars (``Axes.bar``; by default a palette colour per
            condition).
        scatter_kwargs : dict or None, default=None
            Style of the random draws' points (``Axes.scatter``).
        line_kwargs : dict or None, default=None
            Style of the ceiling's and other horizontal lines
            (``Axes.axhline``).

        Returns
        -------
        self : SelectionControlsDisplay
            With ``figure_``, ``ax_``, ``bars_``, ``draws_``,
            ``reference_lines_``, ``legend_`` and ``ceiling_`` set.
        """
        ax = _single_axes(ax, (6.8, 3.8))
        names = list(self.conditions.columns)
        reference = self.conditions.get("retained")
        means = [self.conditions[n].mean() for n in names]
        errors = [
            0.0
            if reference is None
            else _paired_error(reference, self.conditions[n], self.n_train, self.n_test)
            for n in names
        ]
        x = np.arange(len(names))
        defaults = {"width": 0.6, "color": _colours(names), "capsize": 3}
        self.bars_ = ax.bar(x, means, yerr=errors, **_style(defaults, bar_kwargs))
        self.draws_ = None
        if self.random_draws is not None and "random" in names:
            draws = np.asarray(self.random_draws, float)
            defaults = {
                "color": "k",
                "s": 9,
                "alpha": 0.7,
                "zorder": 3,
                "linewidths": 0,
                "label": "random draws (means)",
            }
            # Beside the bar's centre, clear of its error bar.
            self.draws_ = ax.scatter(
                np.full(len(draws), names.index("random") + 0.15),
                draws,
                **_style(defaults, scatter_kwargs),
            )
        lines = _reference(self.ceiling, self.reference_lines)
        self.reference_lines_ = _draw_reference_lines(ax, lines, line_kwargs)
        ax.set_xticks(x, [n.replace("_", " ") for n in names], rotation=20)
        ax.set_ylabel("test 2OI (mean over folds)")
        ax.set_title(ERROR_BARS[_method(self.n_train, self.n_test)], fontsize=8)
        ax.axhline(0.0, color="0.3", linewidth=0.8)
        explained = self.reference_lines_ or self.draws_ is not None
        # Outside the axes: the ceiling's lines cross the whole plot.
        self.legend_ = _legend_outside(ax) if explained else None
        self.ceiling_ = ceiling_means(self.ceiling)
        self.ax_, self.figure_ = ax, ax.figure
        return self
