"""Heatmaps on their images, with known regions outlined."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .common import (
    CYCLE,
    PALETTE,
    _grid,
    _style,
    condition_colour,
)

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
    """An image as shown, ``(H, W, 3)`` float32 in [0, 1], at most ``max_size``,
    and its own ``(height, width)``.

    Decoded at its own size (one image at a time) and scaled down before it
    becomes floats.
    """
    from PIL import Image

    from .._images import decode_image

    pixels = np.moveaxis(decode_image(image).numpy(), 0, -1)
    size = pixels.shape[:2]
    height, width = _shown_size(size, max_size)
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
        return pixels.astype(np.float32) / np.float32(255), size
    return np.clip(pixels, 0, 1).astype(np.float32), size


def _check_outlines(outlines, n):
    """``{label: [bool masks]}``, one 2-D mask per shown image, or ValueError."""
    if not isinstance(outlines, dict):
        raise TypeError(
            "outlines must be a dict mapping a label to one boolean mask per "
            f"image; got {type(outlines).__name__}."
        )
    checked = {}
    for label, masks in outlines.items():
        masks = [np.asarray(m) for m in masks]
        if len(masks) != n:
            raise ValueError(
                f"outlines[{label!r}] has {len(masks)} masks for {n} images shown."
            )
        for k, mask in enumerate(masks):
            if mask.ndim != 2:
                raise ValueError(
                    f"outlines[{label!r}][{k}] has shape {mask.shape}; a mask is "
                    "(height, width)."
                )
        checked[str(label)] = [m.astype(bool) for m in masks]
    return checked


def _outline_styles(labels, contour_kwargs):
    """A contour style per label: the palette's colour, one line style each."""
    spare = iter(c for c in CYCLE if c not in (PALETTE["retained"],))
    styles = {}
    for k, label in enumerate(labels):
        colour = condition_colour(label) or next(spare, "w")
        defaults = {
            "colors": [colour],
            "linewidths": 1.6,
            "linestyles": ("solid", "dashed", "dotted", "dashdot")[k % 4],
        }
        styles[label] = _style(defaults, contour_kwargs)
    return styles


def _draw_outline(axis, mask, shown, style):
    """The mask's edge as a contour, stretched over ``shown`` = (height, width).

    A white halo keeps the line visible over any image and heatmap.
    """
    from matplotlib import patheffects
    from PIL import Image

    mask = mask.astype(np.float32)
    height, width = shown
    if max(mask.shape) > 2 * max(shown):
        # A photo's mask: traced at the size drawn, not its millions of pixels.
        mask = np.asarray(
            Image.fromarray(mask).resize((width, height), Image.Resampling.BILINEAR)
        )
    rows, cols = mask.shape
    # Pixel centres of the mask, in the drawn image's pixel coordinates.
    x = (np.arange(cols) + 0.5) * (width / cols) - 0.5
    y = (np.arange(rows) + 0.5) * (height / rows) - 0.5
    contour = axis.contour(x, y, mask, levels=[0.5], **style)
    halo = [patheffects.withStroke(linewidth=3, foreground="w")]
    # A Collection from matplotlib 3.8; a list of them before.
    for artist in getattr(contour, "collections", None) or [contour]:
        artist.set_path_effects(halo)
    return contour


class HeatmapDisplay:
    """A grid of heatmaps, overlaid on their images (bright = important).

    Each heatmap is drawn over its image with one colour scale for the grid
    (a perceptually uniform colour map, ``"inferno"`` by default) and a
    colour bar; titles name the images (their ids by default). Known regions
    (a relevant object, a distractor) can be outlined, a legend entry each.
    The image layers are rasterized, so that SVG and PDF files stay small.

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
    outlines_ : dict of str to list of matplotlib.contour.ContourSet
        The outlines drawn, per label, one per image; empty without.
    legend_ : matplotlib.legend.Legend or None
        The outlines' legend, below the last image; None without outlines.

    See Also
    --------
    sklearn_ais.AISHeatmapExplainer : Computes the heatmaps.
    sklearn_ais.datasets.make_comparison_images : Images with known masks.

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
        cls,
        explainer,
        images=None,
        *,
        indices=None,
        max_size=MAX_SIZE,
        outlines=None,
        ax=None,
        **plot_params,
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
        outlines : dict of str to sequence of ndarray, or None, default=None
            Regions to outline, ``{label: masks}`` with one boolean mask per
            image shown (in the order of ``indices``) at that image's size,
            for example ``{"relevant object": ..., "distractor": ...}`` from
            :func:`~sklearn_ais.datasets.make_comparison_images`.
        ax : matplotlib Axes, array of Axes or None, default=None
            Axes to draw into, at least one per image; None makes a figure.
        **plot_params : dict
            Passed to :meth:`plot` (``n_cols``, ``alpha``, ``cmap``, style
            dicts).

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
        return display.plot(ax=ax, max_size=max_size, outlines=outlines, **plot_params)

    def plot(
        self,
        *,
        ax=None,
        n_cols=4,
        alpha=0.5,
        cmap="inferno",
        max_size=MAX_SIZE,
        outlines=None,
        imshow_kwargs=None,
        contour_kwargs=None,
    ):
        """Draw the grid.

        Parameters
        ----------
        ax : matplotlib Axes, array of Axes or None, default=None
            Axes to draw into, at least one per heatmap; None makes a figure.
        n_cols : int, default=4
            Columns of a new figure.
        alpha : float, default=0.5
            Opacity of the heatmaps over the images.
        cmap : str or Colormap, default="inferno"
            Colour map, bright = important; perceptually uniform by default
            (``"viridis"``, ``"magma"`` alike; ``"jet"`` if you must).
        max_size : int or None, default=512
            The longest side, in pixels, at which each image is drawn (scaled
            down, its shape kept); None draws the images at full size.
        outlines : dict of str to sequence of ndarray, or None, default=None
            Regions to outline, ``{label: masks}`` with one boolean mask per
            heatmap at its image's size (stretched over the heatmap without
            images); drawn as contour lines in the palette's colours (one
            line style per label), with a legend.
        imshow_kwargs : dict or None, default=None
            Style of the heatmap layers (``Axes.imshow``).
        contour_kwargs : dict or None, default=None
            Style of every outline (``Axes.contour``: ``colors``,
            ``linewidths``, ``linestyles``).

        Returns
        -------
        self : HeatmapDisplay
            With ``figure_``, ``axes_``, ``overlays_``, ``colorbar_``,
            ``outlines_`` and ``legend_`` set.
        """
        n = len(self.heatmaps)
        outlines = {} if outlines is None else _check_outlines(outlines, n)
        figure, axes = _grid(n, ax, n_cols, (2.6, 2.6), "heatmaps")
        high = max(float(np.max(h)) for h in self.heatmaps) if n else 1.0
        low = min(float(np.min(h)) for h in self.heatmaps) if n else 0.0
        # Signed heatmaps get a scale symmetric around zero.
        vmin, vmax = (-max(high, -low), max(high, -low)) if low < 0 else (0.0, high)
        vmax = vmax if vmax > vmin else vmin + 1.0
        styles = _outline_styles(list(outlines), contour_kwargs)
        overlays, drawn = [], {label: [] for label in outlines}
        for i, heatmap in enumerate(self.heatmaps):
            axis = axes[i]
            extent, shown = None, np.shape(heatmap)
            if self.images is not None:
                pixels, size = _thumbnail(self.images[i], max_size)
                axis.imshow(pixels, rasterized=True)
                # The heatmap covers the whole image, at whatever resolution.
                shown = pixels.shape[:2]
                extent = (-0.5, shown[1] - 0.5, shown[0] - 0.5, -0.5)
            defaults = {
                "cmap": cmap,
                "alpha": alpha if self.images is not None else 1.0,
                "vmin": vmin,
                "vmax": vmax,
                "extent": extent,
                "rasterized": True,
            }
            overlays.append(axis.imshow(heatmap, **_style(defaults, imshow_kwargs)))
            for label, masks in outlines.items():
                if self.images is not None and masks[i].shape != tuple(size):
                    raise ValueError(
                        f"outlines[{label!r}][{i}] has shape {masks[i].shape}; "
                        f"its image is {tuple(size)}."
                    )
                drawn[label].append(_draw_outline(axis, masks[i], shown, styles[label]))
            if self.titles is not None:
                axis.set_title(self.titles[i], fontsize=9)
            axis.axis("off")
        self.colorbar_ = figure.colorbar(
            overlays[0], ax=list(axes), shrink=0.8, label="AIS-weighted activation"
        )
        self.legend_ = _outline_legend(axes[n - 1], styles) if outlines else None
        self.figure_, self.axes_, self.overlays_ = figure, axes, overlays
        self.outlines_ = drawn
        return self


def _outline_legend(axis, styles):
    """A legend entry per outlined label, below the last image."""
    from matplotlib.lines import Line2D

    def first(colors):
        return colors if isinstance(colors, str) else colors[0]

    handles = [
        Line2D(
            [],
            [],
            color=first(style["colors"]),
            linewidth=style.get("linewidths", 1.6),
            linestyle=style.get("linestyles", "solid"),
            label=label,
        )
        for label, style in styles.items()
    ]
    return axis.legend(
        handles=handles,
        loc="upper right",
        bbox_to_anchor=(1.0, 0.0),
        frameon=False,
        fontsize=8,
        handlelength=2.5,
    )
