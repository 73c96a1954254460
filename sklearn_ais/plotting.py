"""Figures in scikit-learn's ``Display`` convention.

Each display is built ``from_estimator`` (or directly from its data) and
drawn by ``plot``, which accepts ``ax=`` and keeps the matplotlib objects it
made on the display (``figure_``, ``ax_`` or ``axes_``, and the artists).
matplotlib is imported only when something is drawn.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

__all__ = [
    "AISDistributionDisplay",
    "ArchitectureComparisonDisplay",
    "DeletionCurveDisplay",
    "HeatmapDisplay",
    "SaliencyComparisonDisplay",
    "SaliencyPrecisionRecallDisplay",
    "SelectionControlsDisplay",
    "SelectionPathDisplay",
]


def _pixels(image):
    """An image as an ``(H, W, 3)`` float array in [0, 1] for ``imshow``."""
    from ._images import decode_image

    pixels = decode_image(image).numpy()
    if pixels.dtype == np.uint8:
        pixels = pixels / 255.0
    return np.moveaxis(pixels, 0, -1)


def _grid(n, ax, n_cols, cell, noun):
    """``(figure, axes)``: ``n`` axes, the user's or a new grid of ``n_cols``.

    ``cell`` is the (width, height) in inches of one axes of a new grid, and
    ``noun`` names what each axes shows (for the error).
    """
    import matplotlib.pyplot as plt

    if ax is not None:
        axes = np.ravel(np.asarray(ax, dtype=object))
        if len(axes) < n:
            raise ValueError(f"{n} {noun} need {n} axes; got {len(axes)}.")
        return axes[0].figure, axes[:n]
    n_cols = min(n_cols, n)
    n_rows = int(np.ceil(n / n_cols))
    figure, axes = plt.subplots(
        n_rows, n_cols, figsize=(cell[0] * n_cols, cell[1] * n_rows), squeeze=False
    )
    axes = axes.ravel()
    for extra in axes[n:]:
        extra.axis("off")
    return figure, axes[:n]


class HeatmapDisplay:
    """A grid of heatmaps, overlaid on their images (warm = important).

    Each heatmap is drawn over its image with one colour scale for the grid
    and a colour bar; titles name the images (their ids by default).

    Parameters
    ----------
    heatmaps : list of ndarray of shape (height, width)
        One heatmap per image, at the image's size when ``images`` are given.
    images : collection of images or None, default=None
        The images under the heatmaps (anything the featurizers read); None
        draws the heatmaps alone.
    titles : list of str or None, default=None
        A title per image (for example its id).

    Attributes
    ----------
    figure_ : matplotlib.figure.Figure
        The figure.
    axes_ : ndarray of matplotlib.axes.Axes
        One axes per image.
    overlays_ : list of matplotlib.image.AxesImage
        The heatmap artists.
    colorbar_ : matplotlib.colorbar.Colorbar
        The colour bar (one scale: heatmaps are normalised per image).

    See Also
    --------
    AISHeatmapExplainer : Computes the heatmaps.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ais.plotting import HeatmapDisplay
    >>> display = HeatmapDisplay(
    ...     heatmaps=[np.eye(4), np.ones((4, 6))], titles=["a", "b"])
    >>> display = display.plot()
    >>> len(display.overlays_)
    2
    """

    def __init__(self, *, heatmaps, images=None, titles=None):
        self.heatmaps = heatmaps
        self.images = images
        self.titles = titles

    @classmethod
    def from_estimator(cls, explainer, images=None, *, indices=None, **plot_params):
        """Plot a fitted :class:`AISHeatmapExplainer`'s heatmaps.

        Parameters
        ----------
        explainer : AISHeatmapExplainer
            Fitted.
        images : collection of images or None, default=None
            The images it was fitted on, to draw under the heatmaps.
        indices : array-like of int or None, default=None
            Which images (default: all, up to 16).
        **plot_params : dict
            Passed to :meth:`plot` (``ax``, ``n_cols``, ``alpha``, ``cmap``).

        Returns
        -------
        HeatmapDisplay
        """
        check_is_fitted(explainer)
        n = len(explainer.map_heatmaps_)
        indices = np.arange(min(n, 16)) if indices is None else np.asarray(indices)
        heatmaps = explainer.heatmaps_
        ids = explainer.ids_
        titles = [str(ids[i]) if ids is not None else f"image {i}" for i in indices]
        chosen = None
        if images is not None:
            from ._images import check_images

            items = check_images(images)
            chosen = [items[i] for i in indices]
        display = cls(
            heatmaps=[heatmaps[i] for i in indices], images=chosen, titles=titles
        )
        return display.plot(**plot_params)

    def plot(self, *, ax=None, n_cols=4, alpha=0.5, cmap="jet"):
        """Draw the grid.

        Parameters
        ----------
        ax : matplotlib Axes, array of Axes or None, default=None
            Axes to draw into, at least one per heatmap; None makes a figure.
        n_cols : int, default=4
            Columns of a new figure.
        alpha : float, default=0.5
            Opacity of the heatmaps over the images.
        cmap : str, default="jet"
            Colour map (warm = important).

        Returns
        -------
        self : HeatmapDisplay
            With ``figure_``, ``axes_``, ``overlays_`` and ``colorbar_`` set.
        """

        n = len(self.heatmaps)
        figure, axes = _grid(n, ax, n_cols, (2.6, 2.6), "heatmaps")
        high = max(float(np.max(h)) for h in self.heatmaps) if n else 1.0
        low = min(float(np.min(h)) for h in self.heatmaps) if n else 0.0
        # Signed heatmaps get a scale symmetric around zero.
        vmin, vmax = (-max(high, -low), max(high, -low)) if low < 0 else (0.0, high)
        vmax = vmax if vmax > vmin else vmin + 1.0
        overlays = []
        for i, heatmap in enumerate(self.heatmaps):
            axis = axes[i]
            if self.images is not None:
                axis.imshow(_pixels(self.images[i]))
            overlays.append(
                axis.imshow(
                    heatmap,
                    cmap=cmap,
                    alpha=alpha if self.images is not None else 1.0,
                    vmin=vmin,
                    vmax=vmax,
                )
            )
            if self.titles is not None:
                axis.set_title(self.titles[i], fontsize=9)
            axis.axis("off")
        self.colorbar_ = figure.colorbar(
            overlays[0], ax=list(axes), shrink=0.8, label="AIS-weighted activation"
        )
        self.figure_, self.axes_, self.overlays_ = figure, axes, overlays
        return self


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
    baseline : float or None, default=None
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
    AISFeatureMapSelector : Computes the path (``scores_path_``).

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

    def __init__(self, *, scores_path, n_selected, baseline=None):
        self.scores_path = scores_path
        self.n_selected = n_selected
        self.baseline = baseline

    @classmethod
    def from_estimator(cls, selector, **plot_params):
        """Plot a fitted :class:`AISFeatureMapSelector`'s path.

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
            baseline=selector.baseline_score_,
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
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 3.5))
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
        if self.baseline is not None:
            ax.axhline(self.baseline, color="0.5", linestyle="--", label="all maps")
        ax.set_xscale("log")
        ax.set_xlabel("maps kept, in decreasing AIS")
        ax.set_ylabel("2OI (training images)")
        ax.legend(frameon=False)
        self.ax_, self.figure_ = ax, ax.figure
        return self


class SaliencyComparisonDisplay:
    """Where the AIS heatmap and a saliency map put their top regions.

    The paper's overlay: on each image, the contours of the top 5, 10 and
    15 % of the AIS heatmap (solid) and of the saliency map (dashed), with
    the relative risk of the AIS region inside versus outside the salient
    region at each size in the title.

    Parameters
    ----------
    images : collection of images
        The images (anything the featurizers read).
    ais_heatmaps, saliency : sequence of ndarray of shape (height, width)
        The AIS heatmaps and saliency maps, at the images' sizes.
    tops : tuple of float, default=(5, 10, 15)
        Region sizes, in percent of the pixels.
    titles : list of str or None, default=None
        A title per image, before the relative risks.

    Attributes
    ----------
    figure_ : matplotlib.figure.Figure
        The figure.
    axes_ : ndarray of matplotlib.axes.Axes
        One axes per image.
    relative_risks_ : ndarray of shape (n_images, len(tops))
        The relative risks shown.

    See Also
    --------
    sklearn_ais.analysis.relative_risk : The numbers in the titles.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ais.plotting import SaliencyComparisonDisplay
    >>> image = np.zeros((20, 20, 3), dtype=np.uint8)
    >>> h = np.add.outer(np.arange(20.0), np.arange(20.0))
    >>> display = SaliencyComparisonDisplay(
    ...     images=[image], ais_heatmaps=[h], saliency=[h.T]).plot()
    >>> display.relative_risks_.shape
    (1, 3)
    """

    def __init__(
        self, *, images, ais_heatmaps, saliency, tops=(5, 10, 15), titles=None
    ):
        self.images = images
        self.ais_heatmaps = ais_heatmaps
        self.saliency = saliency
        self.tops = tops
        self.titles = titles

    def plot(self, *, ax=None, n_cols=4):
        """Draw the overlays.

        Parameters
        ----------
        ax : array of matplotlib Axes or None, default=None
            At least one per image; None makes a figure.
        n_cols : int, default=4
            Columns of a new figure.

        Returns
        -------
        self : SaliencyComparisonDisplay
            With ``figure_``, ``axes_`` and ``relative_risks_`` set.
        """
        import matplotlib.pyplot as plt

        from .analysis import relative_risk, top_region

        n = len(self.ais_heatmaps)
        figure, axes = _grid(n, ax, n_cols, (3, 3.2), "images")
        risks = np.column_stack(
            [
                relative_risk(self.ais_heatmaps, self.saliency, top=top)
                for top in self.tops
            ]
        )
        colours = plt.get_cmap("autumn")(np.linspace(0, 0.8, len(self.tops)))
        for i in range(n):
            axis = axes[i]
            axis.imshow(_pixels(self.images[i]))
            for top, colour in zip(self.tops, colours):
                for values, style in (
                    (self.ais_heatmaps[i], "solid"),
                    (self.saliency[i], "dashed"),
                ):
                    region = top_region(values, percent=top).astype(float)
                    axis.contour(
                        region, levels=[0.5], colors=[colour], linestyles=style
                    )
            risk_text = ", ".join(
                f"{top:g}%: {risk:.2g}" for top, risk in zip(self.tops, risks[i])
            )
            title = "" if self.titles is None else f"{self.titles[i]}\n"
            axis.set_title(f"{title}RR {risk_text}", fontsize=8)
            axis.axis("off")
        self.figure_, self.axes_, self.relative_risks_ = figure, axes, risks
        return self


class SaliencyPrecisionRecallDisplay:
    """Precision-recall curves of saliency maps at finding the AIS region.

    The paper's comparison: the target is each AIS heatmap's region at or
    above a percentile (one curve per percentile, 60, 70, 80 and 90 by
    default); the saliency map is swept over its percentiles 1, 3, ..., 99.
    Pooled curves (counts summed over every image) are drawn bold, per-image
    curves faint when asked.

    Parameters
    ----------
    precision, recall : ndarray of shape (n_targets, n_images + 1, n_thresholds)
        For each AIS percentile, the output of
        :func:`~sklearn_ais.analysis.saliency_precision_recall`: one row per
        image, then the pooled row.
    ais_percentiles : sequence of float
        The AIS percentiles that define the targets.

    Attributes
    ----------
    figure_, ax_ : matplotlib Figure and Axes
        Where it is drawn.
    lines_ : list of matplotlib.lines.Line2D
        The pooled curves, one per AIS percentile.

    See Also
    --------
    sklearn_ais.analysis.saliency_precision_recall : The numbers.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ais.plotting import SaliencyPrecisionRecallDisplay
    >>> rng = np.random.default_rng(0)
    >>> h = [rng.random((10, 10)) for _ in range(3)]
    >>> display = SaliencyPrecisionRecallDisplay.from_maps(h, h)
    >>> len(display.lines_)
    4
    """

    def __init__(self, *, precision, recall, ais_percentiles):
        self.precision = precision
        self.recall = recall
        self.ais_percentiles = ais_percentiles

    @classmethod
    def from_maps(
        cls, ais_heatmaps, saliency, *, ais_percentiles=(60, 70, 80, 90), **plot_params
    ):
        """Compute the curves of heatmaps and saliency maps, and plot them.

        Parameters
        ----------
        ais_heatmaps, saliency : sequence of ndarray of shape (height, width)
            AIS heatmaps and saliency maps of the same images, at one size
            per image.
        ais_percentiles : sequence of float, default=(60, 70, 80, 90)
            Percentiles of the AIS heatmaps that define the targets.
        **plot_params : dict
            Passed to :meth:`plot`.

        Returns
        -------
        SaliencyPrecisionRecallDisplay
        """
        from .analysis import saliency_precision_recall

        curves = [
            saliency_precision_recall(ais_heatmaps, saliency, ais_percentile=p)
            for p in ais_percentiles
        ]
        display = cls(
            precision=np.stack([c[0] for c in curves]),
            recall=np.stack([c[1] for c in curves]),
            ais_percentiles=tuple(ais_percentiles),
        )
        return display.plot(**plot_params)

    def plot(self, *, ax=None, per_image=False):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Where to draw; None makes a figure.
        per_image : bool, default=False
            Also draw each image's curves, faint.

        Returns
        -------
        self : SaliencyPrecisionRecallDisplay
            With ``figure_``, ``ax_`` and ``lines_`` set.
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(4.5, 4))
        self.lines_ = []
        for i, percentile in enumerate(self.ais_percentiles):
            colour = f"C{i}"
            if per_image:
                for p, r in zip(self.precision[i, :-1], self.recall[i, :-1]):
                    ax.plot(r, p, color=colour, alpha=0.15, linewidth=0.7)
            (line,) = ax.plot(
                self.recall[i, -1],
                self.precision[i, -1],
                color=colour,
                linewidth=2,
                label=f"AIS top {100 - percentile:g} %",
            )
            # Chance: a random prediction's precision is the target's share.
            ax.axhline(1 - percentile / 100, color=colour, linestyle=":", linewidth=1)
            self.lines_.append(line)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("recall of the AIS region")
        ax.set_ylabel("precision (saliency above a percentile)")
        ax.legend(frameon=False, title="pooled; dotted: chance")
        self.ax_, self.figure_ = ax, ax.figure
        return self


class DeletionCurveDisplay:
    """Faithfulness curves: the test 2OI as pixels are deleted (or kept).

    One line per method (AIS heatmaps, saliency, random), the mean over folds
    with a band of one standard deviation; the legend gives each method's
    area under the curve (mean and spread over folds).

    Parameters
    ----------
    curves : pandas.DataFrame
        The output of :func:`~sklearn_ais.analysis.deletion_curves`.
    keep : bool, default=False
        Whether the curves keep the top pixels (labels the x axis).
    label : str, default="cross-fitted"
        How the heatmaps were obtained, in the title (say "in-sample" for
        heatmaps of the images they are judged on).

    Attributes
    ----------
    figure_, ax_ : matplotlib Figure and Axes
        Where it is drawn.
    lines_ : dict of str to matplotlib.lines.Line2D
        The mean curve of each method.
    auc_ : pandas.DataFrame
        The areas (rows folds, columns methods).

    See Also
    --------
    sklearn_ais.analysis.deletion_curves : The curves.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_ais.plotting import DeletionCurveDisplay
    >>> curves = pd.DataFrame({"fold": [0, 0, 1, 1], "method": "ais",
    ...                        "percent": [0.0, 50.0] * 2,
    ...                        "score": [0.4, 0.2, 0.5, 0.1]})
    >>> sorted(DeletionCurveDisplay(curves=curves).plot().lines_)
    ['ais']
    """

    def __init__(self, *, curves, keep=False, label="cross-fitted"):
        self.curves = curves
        self.keep = keep
        self.label = label

    @classmethod
    def from_explainer(cls, explainer, images, y, *, plot_params=None, **curve_params):
        """Compute :func:`~sklearn_ais.analysis.deletion_curves` and plot them.

        Parameters
        ----------
        explainer : AISHeatmapExplainer
            Unfitted.
        images : collection of images
            The images.
        y : DataFrame of shape (n_images, n_images)
            Human similarities labelled by item ids.
        plot_params : dict or None, default=None
            Passed to :meth:`plot`.
        **curve_params : dict
            Passed to ``deletion_curves`` (``keep`` labels the figure too).

        Returns
        -------
        DeletionCurveDisplay
        """
        from .analysis import deletion_curves

        curves = deletion_curves(explainer, images, y, **curve_params)
        display = cls(curves=curves, keep=curve_params.get("keep", False))
        return display.plot(**(plot_params or {}))

    def plot(self, *, ax=None):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Where to draw; None makes a figure.

        Returns
        -------
        self : DeletionCurveDisplay
            With ``figure_``, ``ax_``, ``lines_`` and ``auc_`` set.
        """
        import matplotlib.pyplot as plt

        from .analysis import deletion_auc

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 3.5))
        self.auc_ = deletion_auc(self.curves)
        summary = self.curves.groupby(["method", "percent"])["score"].agg(
            ["mean", "std"]
        )
        self.lines_ = {}
        for i, method in enumerate(self.auc_.columns):
            rows = summary.loc[method].fillna({"std": 0.0})
            area = self.auc_[method]
            (line,) = ax.plot(
                rows.index,
                rows["mean"],
                "o-",
                color=f"C{i}",
                label=f"{method}: AUC {area.mean():.3f} ± {area.std():.3f}",
            )
            ax.fill_between(
                rows.index,
                rows["mean"] - rows["std"],
                rows["mean"] + rows["std"],
                color=f"C{i}",
                alpha=0.15,
            )
            self.lines_[method] = line
        action = "kept" if self.keep else "deleted"
        ax.set_xlabel(f"% of pixels {action}, in each method's order")
        ax.set_ylabel("2OI of the test images")
        n_folds = self.curves["fold"].nunique()
        ax.set_title(f"{self.label}, {n_folds} folds (mean ± sd)", fontsize=9)
        ax.legend(frameon=False, fontsize=8)
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
    def from_estimator(cls, estimator, *, per_image=False, label=None, **plot_params):
        """Plot a fitted selector's or explainer's AIS.

        Parameters
        ----------
        estimator : AISFeatureMapSelector or AISHeatmapExplainer
            Fitted.
        per_image : bool, default=False
            The explainer's per-image AIS (all images and maps) instead of
            the dataset AIS.
        label : str or None, default=None
            Legend label; None is the estimator's class name.
        **plot_params : dict
            Passed to :meth:`plot`.

        Returns
        -------
        AISDistributionDisplay
        """
        check_is_fitted(estimator)
        values = estimator.ais_per_image_ if per_image else estimator.ais_
        label = type(estimator).__name__ if label is None else label
        return cls(ais={label: np.ravel(values)}).plot(**plot_params)

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
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 3.5))
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


def _paired_error(first, second):
    """Loftus & Masson's (1994) error of two paired conditions' means.

    With two conditions the fold x condition mean square is
    ``var(second - first) / 2``, so the error is ``sqrt(var(d) / (2 n))``.
    """
    difference = np.asarray(second, float) - np.asarray(first, float)
    if len(difference) < 2:
        return 0.0
    return float(np.sqrt(difference.var(ddof=1) / (2 * len(difference))))


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
