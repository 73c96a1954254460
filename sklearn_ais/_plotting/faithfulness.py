"""Faithfulness: AIS regions against saliency maps, and deletion curves."""

import numpy as np

from .common import PALETTE, _colours, _grid, _pixels, _single_axes, _style
from .heatmaps import _outline_legend


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

    @classmethod
    def from_predictions(
        cls,
        images,
        ais_heatmaps,
        saliency,
        *,
        tops=(5, 10, 15),
        titles=None,
        ax=None,
        **plot_params,
    ):
        """Plot the top regions of heatmaps and saliency maps on their images.

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
        ax : array of matplotlib Axes or None, default=None
            At least one per image; None makes a figure.
        **plot_params : dict
            Passed to :meth:`plot` (``n_cols``, style dicts).

        Returns
        -------
        SaliencyComparisonDisplay
        """
        display = cls(
            images=images,
            ais_heatmaps=ais_heatmaps,
            saliency=saliency,
            tops=tops,
            titles=titles,
        )
        return display.plot(ax=ax, **plot_params)

    def plot(self, *, ax=None, n_cols=4, contour_kwargs=None):
        """Draw the overlays.

        Parameters
        ----------
        ax : array of matplotlib Axes or None, default=None
            At least one per image; None makes a figure.
        n_cols : int, default=4
            Columns of a new figure.
        contour_kwargs : dict or None, default=None
            Style of every contour (``Axes.contour``); by default the AIS
            region solid in the palette's Retained colour, the salient
            region dashed in its saliency colour, thicker for larger regions.

        Returns
        -------
        self : SaliencyComparisonDisplay
            With ``figure_``, ``axes_``, ``relative_risks_`` and ``legend_``
            set.
        """
        from ..analysis import relative_risk, top_region

        n = len(self.ais_heatmaps)
        figure, axes = _grid(n, ax, n_cols, (3, 3.2), "images")
        risks = np.column_stack(
            [
                relative_risk(self.ais_heatmaps, self.saliency, top=top)
                for top in self.tops
            ]
        )
        methods = (
            ("AIS heatmap", PALETTE["retained"], "solid"),
            ("saliency", PALETTE["saliency"], "dashed"),
        )
        widths = np.linspace(0.8, 2.0, len(self.tops))
        for i in range(n):
            axis = axes[i]
            axis.imshow(_pixels(self.images[i]), rasterized=True)
            for top, width in zip(self.tops, widths):
                for values, (_, colour, style) in zip(
                    (self.ais_heatmaps[i], self.saliency[i]), methods
                ):
                    region = top_region(values, percent=top).astype(float)
                    defaults = {
                        "levels": [0.5],
                        "colors": [colour],
                        "linestyles": style,
                        "linewidths": width,
                    }
                    axis.contour(region, **_style(defaults, contour_kwargs))
            risk_text = ", ".join(
                f"{top:g}%: {risk:.2g}" for top, risk in zip(self.tops, risks[i])
            )
            title = "" if self.titles is None else f"{self.titles[i]}\n"
            axis.set_title(f"{title}RR {risk_text}", fontsize=8)
            axis.axis("off")
        styles = {
            f"{name} (top {', '.join(f'{t:g}' for t in self.tops)} %)": {
                "colors": colour,
                "linestyles": style,
                "linewidths": 1.4,
            }
            for name, colour, style in methods
        }
        self.legend_ = _outline_legend(axes[n - 1], styles)
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
    >>> display = SaliencyPrecisionRecallDisplay.from_predictions(h, h)
    >>> len(display.lines_)
    4
    """

    def __init__(self, *, precision, recall, ais_percentiles):
        self.precision = precision
        self.recall = recall
        self.ais_percentiles = ais_percentiles

    @classmethod
    def from_predictions(
        cls,
        ais_heatmaps,
        saliency,
        *,
        ais_percentiles=(60, 70, 80, 90),
        ax=None,
        **plot_params,
    ):
        """Compute the curves of heatmaps and saliency maps, and plot them.

        Parameters
        ----------
        ais_heatmaps, saliency : sequence of ndarray of shape (height, width)
            AIS heatmaps and saliency maps of the same images, at one size
            per image.
        ais_percentiles : sequence of float, default=(60, 70, 80, 90)
            Percentiles of the AIS heatmaps that define the targets.
        ax : matplotlib Axes or None, default=None
            Where to draw; None makes a figure.
        **plot_params : dict
            Passed to :meth:`plot` (``per_image``, style dicts).

        Returns
        -------
        SaliencyPrecisionRecallDisplay
        """
        from ..analysis import saliency_precision_recall

        curves = [
            saliency_precision_recall(ais_heatmaps, saliency, ais_percentile=p)
            for p in ais_percentiles
        ]
        display = cls(
            precision=np.stack([c[0] for c in curves]),
            recall=np.stack([c[1] for c in curves]),
            ais_percentiles=tuple(ais_percentiles),
        )
        return display.plot(ax=ax, **plot_params)

    def plot(
        self, *, ax=None, per_image=False, line_kwargs=None, chance_level_kwargs=None
    ):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Where to draw; None makes a figure.
        per_image : bool, default=False
            Also draw each image's curves, faint.
        line_kwargs : dict or None, default=None
            Style of the pooled curves (``Axes.plot``); by default one colour
            per AIS percentile, from a colour-blind-safe sequential map.
        chance_level_kwargs : dict or None, default=None
            Style of the chance levels (``Axes.axhline``).

        Returns
        -------
        self : SaliencyPrecisionRecallDisplay
            With ``figure_``, ``ax_`` and ``lines_`` set.
        """
        import matplotlib.pyplot as plt

        ax = _single_axes(ax, (4.5, 4))
        self.lines_ = []
        # Ordered targets, ordered colours (viridis: uniform, colour-blind safe).
        colours = plt.get_cmap("viridis")(
            np.linspace(0.0, 0.8, len(self.ais_percentiles))
        )
        for i, percentile in enumerate(self.ais_percentiles):
            colour = colours[i]
            if per_image:
                for p, r in zip(self.precision[i, :-1], self.recall[i, :-1]):
                    ax.plot(r, p, color=colour, alpha=0.15, linewidth=0.7)
            defaults = {
                "color": colour,
                "linewidth": 2,
                "label": f"AIS top {100 - percentile:g} %",
            }
            (line,) = ax.plot(
                self.recall[i, -1],
                self.precision[i, -1],
                **_style(defaults, line_kwargs),
            )
            # Chance: a random prediction's precision is the target's share.
            defaults = {"color": colour, "linestyle": ":", "linewidth": 1}
            ax.axhline(1 - percentile / 100, **_style(defaults, chance_level_kwargs))
            self.lines_.append(line)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("recall of the AIS region")
        ax.set_ylabel("precision (saliency above a percentile)")
        ax.legend(frameon=False, title="pooled; dotted: chance", fontsize=8)
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
    def from_estimator(
        cls, explainer, images, y, *, ax=None, plot_params=None, **curve_params
    ):
        """Compute :func:`~sklearn_ais.analysis.deletion_curves` and plot them.

        Parameters
        ----------
        explainer : AISHeatmapExplainer
            Unfitted.
        images : collection of images
            The images.
        y : DataFrame of shape (n_images, n_images)
            Human similarities labelled by item ids.
        ax : matplotlib Axes or None, default=None
            Where to draw; None makes a figure.
        plot_params : dict or None, default=None
            Passed to :meth:`plot` (style dicts).
        **curve_params : dict
            Passed to ``deletion_curves`` (``keep`` labels the figure too).

        Returns
        -------
        DeletionCurveDisplay
        """
        from ..analysis import deletion_curves

        curves = deletion_curves(explainer, images, y, **curve_params)
        display = cls(curves=curves, keep=curve_params.get("keep", False))
        return display.plot(ax=ax, **(plot_params or {}))

    def plot(self, *, ax=None, line_kwargs=None, fill_kwargs=None):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Where to draw; None makes a figure.
        line_kwargs : dict or None, default=None
            Style of the mean curves (``Axes.plot``); by default each
            method in its palette colour (AIS as Retained, saliency, random).
        fill_kwargs : dict or None, default=None
            Style of the bands of one standard deviation
            (``Axes.fill_between``).

        Returns
        -------
        self : DeletionCurveDisplay
            With ``figure_``, ``ax_``, ``lines_`` and ``auc_`` set.
        """
        from ..analysis import deletion_auc

        ax = _single_axes(ax, (5, 3.5))
        self.auc_ = deletion_auc(self.curves)
        summary = self.curves.groupby(["method", "percent"])["score"].agg(
            ["mean", "std"]
        )
        self.lines_ = {}
        colours = _colours(list(self.auc_.columns))
        for method, colour in zip(self.auc_.columns, colours):
            rows = summary.loc[method].fillna({"std": 0.0})
            area = self.auc_[method]
            defaults = {
                "marker": "o",
                "markersize": 4,
                "color": colour,
                "label": f"{method}: AUC {area.mean():.3f} ± {area.std():.3f}",
            }
            (line,) = ax.plot(rows.index, rows["mean"], **_style(defaults, line_kwargs))
            ax.fill_between(
                rows.index,
                rows["mean"] - rows["std"],
                rows["mean"] + rows["std"],
                **_style({"color": colour, "alpha": 0.15, "linewidth": 0}, fill_kwargs),
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
