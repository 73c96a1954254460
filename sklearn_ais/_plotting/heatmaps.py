"""Heatmaps on their images, and against saliency maps."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .common import _grid, _pixels, _single_axes

# The longest side, in pixels, at which a heatmap grid draws each image and
# its heatmap: a panel of a few inches needs no more, and a 24-megapixel
# photo decoded as floats at full size would take hundreds of megabytes.
MAX_SIZE = 512


def _shown_size(size, max_size):
    """``(height, width)`` scaled down so that the longer side is ``max_size``."""
    height, width = (int(v) for v in size)
    if max_size is None or max(height, width) <= max_size:
        return height, width
    scale = max_size / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def _thumbnail(image, max_size):
    """An image as shown, ``(H, W, 3)`` float32 in [0, 1], at most ``max_size``.

    Decoded at its own size (one image at a time) and scaled down before it
    becomes floats.
    """
    from PIL import Image

    from .._images import decode_image

    pixels = np.moveaxis(decode_image(image).numpy(), 0, -1)
    height, width = _shown_size(pixels.shape[:2], max_size)
    if (height, width) != pixels.shape[:2]:
        channels = [pixels] if pixels.dtype == np.uint8 else np.moveaxis(pixels, -1, 0)
        small = [
            np.asarray(
                Image.fromarray(np.ascontiguousarray(c)).resize(
                    (width, height), Image.Resampling.BILINEAR, reducing_gap=3.0
                )
            )
            for c in channels
        ]
        pixels = small[0] if pixels.dtype == np.uint8 else np.stack(small, axis=-1)
    if pixels.dtype == np.uint8:
        return pixels.astype(np.float32) / np.float32(255)
    return np.clip(pixels, 0, 1).astype(np.float32)


class HeatmapDisplay:
    """A grid of heatmaps, overlaid on their images (warm = important).

    Each heatmap is drawn over its image with one colour scale for the grid
    and a colour bar; titles name the images (their ids by default).

    Parameters
    ----------
    heatmaps : list of ndarray of shape (height, width)
        One heatmap per image, at any resolution: over an image it is
        stretched to cover the whole image (map-resolution heatmaps too).
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
    sklearn_ais.AISHeatmapExplainer : Computes the heatmaps.

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
    def from_estimator(
        cls, explainer, images=None, *, indices=None, max_size=MAX_SIZE, **plot_params
    ):
        """Plot a fitted :class:`~sklearn_ais.AISHeatmapExplainer`'s heatmaps.

        Parameters
        ----------
        explainer : AISHeatmapExplainer
            Fitted.
        images : collection of images or None, default=None
            The images it was fitted on, to draw under the heatmaps; the
            heatmaps then cover each image (also with
            ``featurizer="passthrough"``, whose heatmaps are at map
            resolution).
        indices : array-like of int or None, default=None
            Which images (default: all, up to 16). Only their heatmaps are
            computed, upsampled from ``map_heatmaps_`` to the size drawn.
        max_size : int or None, default=512
            The longest side, in pixels, of each image and heatmap drawn (the
            image's shape kept); None draws them at the images' full size.
        **plot_params : dict
            Passed to :meth:`plot` (``ax``, ``n_cols``, ``alpha``, ``cmap``).

        Returns
        -------
        HeatmapDisplay
        """
        check_is_fitted(explainer)
        n = len(explainer.map_heatmaps_)
        indices = np.arange(min(n, 16)) if indices is None else np.asarray(indices)
        ids = explainer.ids_
        titles = [str(ids[i]) if ids is not None else f"image {i}" for i in indices]
        from .._heatmaps import upsample_heatmap

        maps = explainer.map_heatmaps_
        if images is None:
            chosen = None
            sizes = explainer.image_sizes_
            # Map resolution with "passthrough": drawn as they are.
            sizes = [maps[i].shape if sizes is None else sizes[i] for i in indices]
        else:
            from .._images import check_images, image_sizes

            items = check_images(images)
            chosen = [items[i] for i in indices]
            sizes = image_sizes(chosen)
        # Only the heatmaps drawn, at the size drawn (never heatmaps_: every
        # image's heatmap at full size).
        heatmaps = [
            upsample_heatmap(
                maps[i], _shown_size(size, max_size), mode=explainer.upsample
            )
            for i, size in zip(indices, sizes)
        ]
        display = cls(heatmaps=heatmaps, images=chosen, titles=titles)
        return display.plot(max_size=max_size, **plot_params)

    def plot(self, *, ax=None, n_cols=4, alpha=0.5, cmap="jet", max_size=MAX_SIZE):
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
        max_size : int or None, default=512
            The longest side, in pixels, at which each image is drawn (scaled
            down, its shape kept); None draws the images at full size.

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
            extent = None
            if self.images is not None:
                pixels = _thumbnail(self.images[i], max_size)
                axis.imshow(pixels)
                # The heatmap covers the whole image, at whatever resolution.
                height, width = pixels.shape[:2]
                extent = (-0.5, width - 0.5, height - 0.5, -0.5)
            overlays.append(
                axis.imshow(
                    heatmap,
                    cmap=cmap,
                    alpha=alpha if self.images is not None else 1.0,
                    vmin=vmin,
                    vmax=vmax,
                    extent=extent,
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

        from ..analysis import relative_risk, top_region

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
        ax = _single_axes(ax, (4.5, 4))
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
    def from_estimator(cls, explainer, images, y, *, plot_params=None, **curve_params):
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
        from ..analysis import deletion_curves

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
        from ..analysis import deletion_auc

        ax = _single_axes(ax, (5, 3.5))
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
