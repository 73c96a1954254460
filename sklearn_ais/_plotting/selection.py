"""The selection path and the distribution of AIS."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .common import _single_axes


class SelectionPathDisplay:
    """The selection path: 2OI of the top-``m`` maps by AIS, with S* marked.

    The path adds maps in decreasing AIS; the retained set (the best prefix,
    the paper's S*, or a fixed size) is marked, and the 2OI of all maps drawn
    as a reference line.

    Parameters
    ----------
    scores_path : ndarray of shape (n_maps,)
        ``scores_path[m - 1]`` is the 2OI of the ``m`` maps of highest AIS.
    n_selected : int
        Size of the retained set.
    full_score : float or None, default=None
        2OI of all maps, drawn as a horizontal line.

    Attributes
    ----------
    figure_, ax_ : matplotlib Figure and Axes
        Where it is drawn.
    line_ : matplotlib.lines.Line2D
        The path.
    marker_ : matplotlib.lines.Line2D
        The retained set's point.

    See Also
    --------
    sklearn_ais.AISFeatureMapSelector : Computes the path (``scores_path_``).

    Examples
    --------
    >>> from sklearn_ais import AISFeatureMapSelector
    >>> from sklearn_ais.datasets import make_alignment_problem
    >>> from sklearn_ais.plotting import SelectionPathDisplay
    >>> X, H, _ = make_alignment_problem(40, 20, 4, random_state=0)
    >>> selector = AISFeatureMapSelector().fit(X, H)
    >>> display = SelectionPathDisplay.from_estimator(selector)
    >>> display.line_.get_xdata().shape
    (20,)
    """

    def __init__(self, *, scores_path, n_selected, full_score=None):
        self.scores_path = scores_path
        self.n_selected = n_selected
        self.full_score = full_score

    @classmethod
    def from_estimator(cls, selector, **plot_params):
        """Plot a fitted :class:`~sklearn_ais.AISFeatureMapSelector`'s path.

        Parameters
        ----------
        selector : AISFeatureMapSelector
            Fitted.
        **plot_params : dict
            Passed to :meth:`plot`.

        Returns
        -------
        SelectionPathDisplay
        """
        check_is_fitted(selector)
        display = cls(
            scores_path=selector.scores_path_,
            n_selected=selector.n_features_,
            full_score=selector.full_score_,
        )
        return display.plot(**plot_params)

    def plot(self, *, ax=None):
        """Draw the path.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Where to draw; None makes a figure.

        Returns
        -------
        self : SelectionPathDisplay
            With ``figure_``, ``ax_``, ``line_`` and ``marker_`` set.
        """
        ax = _single_axes(ax, (5, 3.5))
        sizes = np.arange(1, len(self.scores_path) + 1)
        (self.line_,) = ax.plot(sizes, self.scores_path, color="C0", label="top-m maps")
        m = self.n_selected
        (self.marker_,) = ax.plot(
            [m],
            [self.scores_path[m - 1]],
            "o",
            color="C3",
            label=f"retained: {m} maps",
        )
        if self.full_score is not None:
            ax.axhline(self.full_score, color="0.5", linestyle="--", label="all maps")
        ax.set_xscale("log")
        ax.set_xlabel("maps kept, in decreasing AIS")
        ax.set_ylabel("2OI (training images)")
        ax.legend(frameon=False)
        self.ax_, self.figure_ = ax, ax.figure
        return self


class AISDistributionDisplay:
    """Histograms of AIS, one per model or data set (the paper's Figures 3-4).

    Shared bins, so that several networks' or data sets' AIS can be compared
    by eye; most maps sit near 0, the few that matter in the tails.

    Parameters
    ----------
    ais : dict of str to array-like
        AIS per label (dataset AIS of several models, or per-image AIS
        flattened); NaN dropped.
    bins : int, default=50
        Bins shared by every histogram.

    Attributes
    ----------
    figure_, ax_ : matplotlib Figure and Axes
        Where it is drawn.
    bars_ : dict of str to matplotlib BarContainer
        One histogram per label.

    See Also
    --------
    sklearn_ais.analysis.compare_ais : Tests the difference of two of them.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ais.plotting import AISDistributionDisplay
    >>> rng = np.random.default_rng(0)
    >>> display = AISDistributionDisplay(
    ...     ais={"a": rng.normal(size=100), "b": rng.normal(1, size=100)}).plot()
    >>> sorted(display.bars_)
    ['a', 'b']
    """

    def __init__(self, *, ais, bins=50):
        self.ais = ais
        self.bins = bins

    @classmethod
    def from_estimator(
        cls,
        estimator,
        *,
        per_image=False,
        by_support=False,
        label=None,
        bins=50,
        **plot_params,
    ):
        """Plot a fitted selector's or explainer's AIS.

        Parameters
        ----------
        estimator : AISFeatureMapSelector or AISHeatmapExplainer
            Fitted.
        per_image : bool, default=False
            The explainer's per-image AIS (all images and maps) instead of
            the dataset AIS.
        by_support : bool, default=False
            A selector's maps in two histograms, ``"not retained"`` and
            ``"retained"`` (its ``get_support()``); ``label`` is then unused.
        label : str or None, default=None
            Legend label; None is the estimator's class name.
        bins : int, default=50
            Bins shared by the histograms.
        **plot_params : dict
            Passed to :meth:`plot`.

        Returns
        -------
        AISDistributionDisplay
        """
        check_is_fitted(estimator)
        values = np.ravel(estimator.ais_per_image_ if per_image else estimator.ais_)
        if by_support:
            support = estimator.get_support()
            ais = {"not retained": values[~support], "retained": values[support]}
        else:
            ais = {type(estimator).__name__ if label is None else label: values}
        return cls(ais=ais, bins=bins).plot(**plot_params)

    def plot(self, *, ax=None):
        """Draw the histograms.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Where to draw; None makes a figure.

        Returns
        -------
        self : AISDistributionDisplay
            With ``figure_``, ``ax_`` and ``bars_`` set.
        """
        ax = _single_axes(ax, (5, 3.5))
        values = {k: np.ravel(np.asarray(v, float)) for k, v in self.ais.items()}
        values = {k: v[np.isfinite(v)] for k, v in values.items()}
        edges = np.histogram_bin_edges(np.concatenate(list(values.values())), self.bins)
        self.bars_ = {}
        for label, v in values.items():
            _, _, bars = ax.hist(v, bins=edges, alpha=0.6, label=label)
            self.bars_[label] = bars
        ax.axvline(0.0, color="0.3", linewidth=0.8)
        ax.set_xlabel("AIS (drop of the 2OI when the map is zeroed)")
        ax.set_ylabel("count")
        ax.legend(frameon=False)
        self.ax_, self.figure_ = ax, ax.figure
        return self
