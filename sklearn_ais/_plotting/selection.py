"""The selection path and the distribution of AIS."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .common import CYCLE, PALETTE, _single_axes, _style, condition_colour


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
    def from_estimator(cls, selector, *, ax=None, **plot_params):
        """Plot a fitted :class:`~sklearn_ais.AISFeatureMapSelector`'s path.

        Parameters
        ----------
        selector : AISFeatureMapSelector
            Fitted.
        ax : matplotlib Axes or None, default=None
            Where to draw; None makes a figure.
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
        return display.plot(ax=ax, **plot_params)

    def plot(self, *, ax=None, line_kwargs=None, marker_kwargs=None, full_kwargs=None):
        """Draw the path.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Where to draw; None makes a figure.
        line_kwargs : dict or None, default=None
            Style of the path (``Axes.plot``).
        marker_kwargs : dict or None, default=None
            Style of the retained set's point (``Axes.plot``).
        full_kwargs : dict or None, default=None
            Style of the line of all maps (``Axes.axhline``).

        Returns
        -------
        self : SelectionPathDisplay
            With ``figure_``, ``ax_``, ``line_``, ``marker_`` and
            ``full_line_`` (None without ``full_score``) set.
        """
        ax = _single_axes(ax, (5, 3.5))
        sizes = np.arange(1, len(self.scores_path) + 1)
        defaults = {"color": "0.2", "linewidth": 1.5, "label": "top-m maps by AIS"}
        (self.line_,) = ax.plot(
            sizes, self.scores_path, **_style(defaults, line_kwargs)
        )
        m = self.n_selected
        defaults = {
            "marker": "o",
            "linestyle": "none",
            "markersize": 7,
            "color": PALETTE["retained"],
            "label": f"retained: {m} maps",
            "zorder": 3,
        }
        (self.marker_,) = ax.plot(
            [m], [self.scores_path[m - 1]], **_style(defaults, marker_kwargs)
        )
        self.full_line_ = None
        if self.full_score is not None:
            defaults = {
                "color": PALETTE["full"],
                "linestyle": "--",
                "label": f"all {len(sizes)} maps",
            }
            self.full_line_ = ax.axhline(
                self.full_score, **_style(defaults, full_kwargs)
            )
        ax.set_xscale("log")
        ax.set_xlabel("maps kept, in decreasing AIS")
        ax.set_ylabel("2OI (training images)")
        ax.legend(frameon=False, fontsize=8)
        self.ax_, self.figure_ = ax, ax.figure
        return self


class AISDistributionDisplay:
    """AIS of every map, by rank or as histograms, retained maps marked.

    The paper's Figures 3-4. Most maps' AIS sit near 0 and a few set the
    range, so by default each label's AIS are drawn sorted (rank 1 = highest
    AIS) on a symmetric-log axis: linear near 0, logarithmic in the tails.
    Retained maps are marked on their ranks. ``kind="hist"`` draws
    histograms with shared bins and a log count axis instead.

    Parameters
    ----------
    ais : dict of str to array-like, or array-like
        AIS per label (dataset AIS of several models, or per-image AIS
        flattened); an array is labelled ``"maps"``. NaN dropped.
    retained : dict of str to array-like of bool, or array-like of bool, \
default=None
        Per label (or for the single label), which maps are retained (a
        selector's ``get_support()``), marked on the figure.
    bins : int, default=50
        Bins shared by the histograms of ``kind="hist"``.

    Attributes
    ----------
    figure_, ax_ : matplotlib Figure and Axes
        Where it is drawn.
    lines_ : dict of str to matplotlib.lines.Line2D
        ``kind="rank"``: the sorted AIS per label.
    bars_ : dict of str to matplotlib BarContainer
        ``kind="hist"``: one histogram per label (and per label's retained
        maps, keyed ``"<label>: retained"``).
    retained_ : dict of str to matplotlib artist
        The retained maps' marks per label (a ``PathCollection`` of points
        for ``kind="rank"``, bars for ``kind="hist"``).

    See Also
    --------
    sklearn_ais.analysis.compare_ais : Tests the difference of two of them.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ais.plotting import AISDistributionDisplay
    >>> rng = np.random.default_rng(0)
    >>> ais = rng.standard_t(2, size=200)
    >>> display = AISDistributionDisplay(ais=ais, retained=ais > 2).plot()
    >>> sorted(display.lines_), len(display.retained_["maps"].get_offsets()) > 0
    (['maps'], True)
    """

    def __init__(self, *, ais, retained=None, bins=50):
        self.ais = ais
        self.retained = retained
        self.bins = bins

    @classmethod
    def from_estimator(
        cls,
        estimator,
        *,
        per_image=False,
        by_support=True,
        label=None,
        bins=50,
        ax=None,
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
        by_support : bool, default=True
            Mark a selector's retained maps (its ``get_support()``; with
            ``per_image``, every image's AIS of those maps).
        label : str or None, default=None
            Legend label; None is ``"per-image AIS"`` or ``"maps"``.
        bins : int, default=50
            Bins shared by the histograms of ``kind="hist"``.
        ax : matplotlib Axes or None, default=None
            Where to draw; None makes a figure.
        **plot_params : dict
            Passed to :meth:`plot` (``kind``, style dicts).

        Returns
        -------
        AISDistributionDisplay
        """
        check_is_fitted(estimator)
        if per_image and not hasattr(estimator, "ais_per_image_"):
            raise ValueError(
                f"per_image=True needs per-image AIS (an AISHeatmapExplainer); "
                f"{type(estimator).__name__} has only the dataset AIS."
            )
        values = np.asarray(estimator.ais_per_image_ if per_image else estimator.ais_)
        if label is None:
            label = "per-image AIS" if per_image else "maps"
        retained = None
        if by_support and hasattr(estimator, "get_support"):
            retained = np.broadcast_to(estimator.get_support(), values.shape)
            retained = {label: np.ravel(retained)}
        display = cls(ais={label: np.ravel(values)}, retained=retained, bins=bins)
        return display.plot(ax=ax, **plot_params)

    def _data(self):
        """``{label: (values, retained mask or None)}``, finite values only."""
        ais = self.ais if isinstance(self.ais, dict) else {"maps": self.ais}
        retained = self.retained
        if retained is not None and not isinstance(retained, dict):
            if len(ais) != 1:
                raise ValueError(
                    "With several labels, pass retained as a dict by label."
                )
            retained = {next(iter(ais)): retained}
        data = {}
        for label, values in ais.items():
            values = np.ravel(np.asarray(values, dtype=float))
            mask = None if retained is None else retained.get(label)
            if mask is not None:
                mask = np.ravel(np.asarray(mask, dtype=bool))
                if mask.shape != values.shape:
                    raise ValueError(
                        f"retained[{label!r}] has {mask.size} entries for "
                        f"{values.size} AIS."
                    )
            finite = np.isfinite(values)
            data[label] = (values[finite], None if mask is None else mask[finite])
        return data

    def plot(
        self,
        *,
        ax=None,
        kind="rank",
        linthresh=None,
        line_kwargs=None,
        scatter_kwargs=None,
        hist_kwargs=None,
    ):
        """Draw the AIS by rank (default) or as histograms.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Where to draw; None makes a figure.
        kind : {"rank", "hist"}, default="rank"
            Sorted AIS on a symmetric-log axis, or histograms on a log
            count axis.
        linthresh : float or None, default=None
            ``kind="rank"``: the symmetric-log axis is linear within
            ``±linthresh``; None takes the 90th percentile of ``|AIS|``, so
            that the bulk is linear and the tails logarithmic.
        line_kwargs : dict or None, default=None
            Style of the sorted AIS lines (``Axes.plot``).
        scatter_kwargs : dict or None, default=None
            Style of the retained maps' points (``Axes.scatter``).
        hist_kwargs : dict or None, default=None
            Style of the histograms (``Axes.hist``).

        Returns
        -------
        self : AISDistributionDisplay
            With ``figure_``, ``ax_``, ``lines_`` or ``bars_``, and
            ``retained_`` set.
        """
        if kind not in ("rank", "hist"):
            raise ValueError(f"kind must be 'rank' or 'hist'; got {kind!r}.")
        data = self._data()
        ax = _single_axes(ax, (5.5, 3.8))
        colours = _label_colours(data)
        self.lines_, self.bars_, self.retained_ = {}, {}, {}
        if kind == "rank":
            self._plot_rank(ax, data, colours, linthresh, line_kwargs, scatter_kwargs)
        else:
            self._plot_hist(ax, data, colours, hist_kwargs)
        ax.legend(frameon=False, fontsize=8)
        self.ax_, self.figure_ = ax, ax.figure
        return self

    def _plot_rank(self, ax, data, colours, linthresh, line_kwargs, scatter_kwargs):
        everything = np.concatenate([v for v, _ in data.values()])
        if linthresh is None:
            nonzero = np.abs(everything[everything != 0])
            linthresh = float(np.percentile(nonzero, 90)) if nonzero.size else 1.0
        for label, (values, mask) in data.items():
            order = np.argsort(-values, kind="stable")
            ranks = np.arange(1, len(values) + 1)
            shown = _thin(len(values))
            defaults = {
                "color": colours[label],
                "linewidth": 1.5,
                "label": f"{label} ({len(values)})",
            }
            (self.lines_[label],) = ax.plot(
                ranks[shown], values[order][shown], **_style(defaults, line_kwargs)
            )
            if mask is not None:
                kept = mask[order]
                defaults = {
                    "color": PALETTE["retained"],
                    "s": 9,
                    "zorder": 3,
                    "linewidths": 0,
                    "label": f"retained ({int(kept.sum())})",
                }
                self.retained_[label] = ax.scatter(
                    ranks[kept],
                    values[order][kept],
                    **_style(defaults, scatter_kwargs),
                )
        ax.set_yscale("symlog", linthresh=linthresh, linscale=1.0)
        _symlog_ticks(ax, linthresh, np.max(np.abs(everything), initial=0.0))
        ax.axhline(0.0, color="0.3", linewidth=0.8)
        ax.axhspan(-linthresh, linthresh, color="0.93", zorder=0, linewidth=0)
        ax.set_xlabel("map rank by AIS (1 = highest)")
        ax.set_ylabel(f"AIS (symlog; linear within ±{linthresh:.1e})")
        ax.set_xlim(0, max(len(v) for v, _ in data.values()) + 1)

    def _plot_hist(self, ax, data, colours, hist_kwargs):
        everything = np.concatenate([v for v, _ in data.values()])
        edges = np.histogram_bin_edges(everything, self.bins)
        for label, (values, mask) in data.items():
            parts = [(label, values, colours[label])]
            if mask is not None:
                name = "retained" if len(data) == 1 else f"{label}: retained"
                parts.append((name, values[mask], PALETTE["retained"]))
            for name, part, colour in parts:
                defaults = {
                    "alpha": 0.7,
                    "color": colour,
                    "label": f"{name} ({len(part)})",
                }
                _, _, bars = ax.hist(part, bins=edges, **_style(defaults, hist_kwargs))
                self.bars_[name] = bars
            if mask is not None:
                self.retained_[label] = self.bars_[parts[-1][0]]
        ax.set_yscale("log")
        ax.axvline(0.0, color="0.3", linewidth=0.8)
        ax.set_xlabel("AIS (drop of the 2OI when the map is zeroed)")
        ax.set_ylabel("maps (log scale)")
        # Few ticks: AIS are small numbers with long labels.
        ax.xaxis.set_major_locator(_max_n_locator(5))


def _label_colours(data):
    """A line colour per label; the retained marks keep the palette's blue."""
    if len(data) == 1:
        return {next(iter(data)): PALETTE["other"] if _any_mask(data) else "0.2"}
    # Not Retained's blue nor Full's orange: labels here are models or data sets.
    spare = [c for c in CYCLE if c not in (PALETTE["retained"], PALETTE["full"])]
    colours = {}
    for k, label in enumerate(data):
        colour = condition_colour(label)
        colours[label] = colour if colour is not None else spare[k % len(spare)]
    return colours


def _any_mask(data):
    return any(mask is not None for _, mask in data.values())


def _thin(n, at_most=4000):
    """Indices of at most ``at_most`` evenly spaced ranks of ``n``, ends kept.

    A sorted curve loses nothing visible, and a vector file stays small.
    """
    if n <= at_most:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, at_most).round().astype(int))


def _symlog_ticks(ax, linthresh, largest):
    """Ticks at 0 and at the decades outside the linear band, none crowding 0."""
    low = int(np.ceil(np.log10(linthresh)))
    high = int(np.ceil(np.log10(max(largest, linthresh))))
    decades = [10.0**k for k in range(low, high + 1)]
    ax.set_yticks([-d for d in decades[::-1]] + [0.0] + decades)
    ax.yaxis.set_minor_locator(_null_locator())


def _null_locator():
    from matplotlib.ticker import NullLocator

    return NullLocator()


def _max_n_locator(n):
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(n)
