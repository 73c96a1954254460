"""What every figure shares: the palette, style merging, axes, images to pixels.

The palette is Okabe and Ito's (2008) colour-blind-safe set, one colour per
condition, so that Retained (say) is the same blue in every figure.
"""

import numpy as np

# One colour per condition, in every Display (Okabe-Ito; the greys are for
# baselines and for what is not the point of the figure).
PALETTE = {
    "full": "#E69F00",  # orange: all maps
    "retained": "#0072B2",  # blue: the retained maps (S*), the AIS heatmaps
    "random": "#999999",  # grey: random same-size subsets, random orders
    "activation": "#009E73",  # bluish green: top mean activation
    "variance": "#CC79A7",  # reddish purple: top variance
    "saliency": "#D55E00",  # vermillion: saliency maps
    "ceiling": "#000000",  # black: the noise ceiling (line styles tell bounds)
    "other": "#BBBBBB",  # light grey: maps not retained
    "relevant object": "#009E73",
    "distractor": "#56B4E9",  # sky blue
}

# The rest of Okabe-Ito, in order, for labels the palette does not name.
CYCLE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
)

# Aliases that condition names take in the tables (``SelectionControls``'s
# columns, ``deletion_curves``' methods).
_ALIASES = {
    "top_activation": "activation",
    "top_mean": "activation",
    "top mean": "activation",
    "top_variance": "variance",
    "top variance": "variance",
    "ais": "retained",
    "not retained": "other",
    "relevant": "relevant object",
}


def condition_colour(name, default=None):
    """The palette's colour of a condition, or ``default``.

    Parameters
    ----------
    name : str
        A condition (``"full"``, ``"retained"``, ``"top_activation"``, ...),
        case and spaces or underscores ignored.
    default : str or None, default=None
        Returned for a name the palette does not know.

    Returns
    -------
    str or None
        A hex colour.
    """
    key = str(name).lower().strip()
    for candidate in (key, key.replace("_", " "), key.replace(" ", "_")):
        candidate = _ALIASES.get(candidate, candidate)
        if candidate in PALETTE:
            return PALETTE[candidate]
    return default


def _colours(names):
    """A colour per name: the palette's, else the next unused of ``CYCLE``."""
    known = [condition_colour(n) for n in names]
    spare = iter(c for c in CYCLE if c not in known)
    return [c if c is not None else next(spare, "0.4") for c in known]


# The noise ceiling's lines, by column of ``NoiseCeiling.to_frame()``: every
# figure that draws them labels them so, in the ceiling's colour, told apart
# by their line styles.
# Short, so that the legend beside the axes leaves the axes room: lower is
# each subject against the others' mean, upper against everyone's mean.
NOISE_CEILING_LINES = {
    "lower": "ceiling, lower",
    "upper": "ceiling, upper",
    "attenuation_bound": "\u221a(split-half rel.)",
}
_LINE_STYLES = ("--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)))

# matplotlib's short names, merged onto the long ones so that a user's
# ``{"c": "k"}`` replaces a default ``{"color": ...}`` (as scikit-learn does).
_STYLE_ALIASES = {
    "c": "color",
    "ls": "linestyle",
    "lw": "linewidth",
    "ec": "edgecolor",
    "fc": "facecolor",
    "ms": "markersize",
    "mec": "markeredgecolor",
    "mfc": "markerfacecolor",
    "mew": "markeredgewidth",
}


def _style(defaults, user):
    """``defaults`` updated by the user's style dict, aliases resolved.

    Raises
    ------
    TypeError
        If ``user`` is not a dict or None, or names a keyword twice (``c``
        and ``color``).
    """
    if user is None:
        return dict(defaults)
    if not isinstance(user, dict):
        raise TypeError(
            f"A style argument must be a dict of matplotlib keywords or None; "
            f"got {type(user).__name__}."
        )
    merged = dict(defaults)
    for key, value in user.items():
        full = _STYLE_ALIASES.get(key, key)
        if full != key and full in user:
            raise TypeError(f"Got both {key!r} and {full!r}, which are aliases.")
        merged[full] = value
    return merged


def _pixels(image):
    """An image as an ``(H, W, 3)`` float array in [0, 1] for ``imshow``."""
    from .._images import decode_image

    pixels = decode_image(image).numpy()
    if pixels.dtype == np.uint8:
        pixels = pixels / 255.0
    return np.moveaxis(pixels, 0, -1)


def _single_axes(ax, figsize):
    """``ax``, or the axes of a new pyplot figure of ``figsize`` inches."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _grid(n, ax, n_cols, cell, noun, figure=None):
    """``(figure, axes)``: ``n`` axes, the user's or a new grid of ``n_cols``.

    ``cell`` is the (width, height) in inches of one axes of a new grid, and
    ``noun`` names what each axes shows (for the error). A new grid is drawn
    on ``figure`` (resized to fit), else on a new pyplot figure.
    """
    if ax is not None:
        axes = np.ravel(np.asarray(ax, dtype=object))
        if len(axes) < n:
            raise ValueError(f"{n} {noun} need {n} axes; got {len(axes)}.")
        return axes[0].figure, axes[:n]
    n_cols = min(n_cols, n)
    n_rows = int(np.ceil(n / n_cols))
    size = (cell[0] * n_cols, cell[1] * n_rows)
    if figure is None:
        import matplotlib.pyplot as plt

        figure = plt.figure(figsize=size, layout="constrained")
    else:
        figure.set_size_inches(size)
    axes = figure.subplots(n_rows, n_cols, squeeze=False).ravel()
    for extra in axes[n:]:
        extra.axis("off")
    return figure, axes[:n]


def ceiling_means(ceiling):
    """The noise ceiling's bounds, mean over folds, by column; None without."""
    if ceiling is None:
        return None
    means = ceiling.to_frame().mean()
    return {column: float(means[column]) for column in NOISE_CEILING_LINES}


def noise_ceiling_lines(ceiling):
    """The noise ceiling's means over folds, as horizontal lines by label.

    Parameters
    ----------
    ceiling : NoiseCeiling or None
        A :func:`~sklearn_ais.model_selection.noise_ceiling` result.

    Returns
    -------
    dict of str to float or None
        Its lower and upper bounds and its attenuation bound, labelled; None
        without a ceiling.
    """
    means = ceiling_means(ceiling)
    if means is None:
        return None
    return {label: means[column] for column, label in NOISE_CEILING_LINES.items()}


def _draw_reference_lines(ax, lines, line_kwargs=None):
    """Horizontal lines by label, in the ceiling's colour, one style each."""
    drawn = []
    for k, (label, value) in enumerate((lines or {}).items()):
        defaults = {
            "color": PALETTE["ceiling"],
            "linestyle": _LINE_STYLES[k % len(_LINE_STYLES)],
            "linewidth": 1.0,
            "label": f"{label}: {value:.3f}",
        }
        drawn.append(ax.axhline(value, **_style(defaults, line_kwargs)))
    return drawn


def _legend_outside(ax, handles=None, **kwargs):
    """A legend to the right of ``ax``, clear of whatever it draws."""
    options = {
        "loc": "upper left",
        "bbox_to_anchor": (1.02, 1.0),
        "borderaxespad": 0.0,
        "frameon": False,
        "fontsize": 7,
        "title_fontsize": 7,
        "alignment": "left",
    }
    options.update(kwargs)
    if handles is None:
        return ax.legend(**options)
    return ax.legend(handles=handles, **options)


def save_figure(figure, path, *, formats=("png", "svg"), dpi=110, savefig_kwargs=None):
    """Save a figure in several formats side by side, for the web and for print.

    A vector format (SVG or PDF) keeps lines and text sharp at any size; the
    Displays rasterize their image layers, so the files stay small.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
        The figure, for example a Display's ``figure_``.
    path : str or path-like
        The file's path; its suffix is replaced by each format's.
    formats : sequence of str, default=("png", "svg")
        Formats matplotlib writes (``"png"``, ``"svg"``, ``"pdf"``, ...).
    dpi : float, default=110
        Resolution of raster formats and of rasterized layers in vector ones
        (300 for print).
    savefig_kwargs : dict or None, default=None
        Passed to ``figure.savefig`` (``bbox_inches="tight"`` by default).

    Returns
    -------
    list of pathlib.Path
        The files written, one per format.

    See Also
    --------
    matplotlib.figure.Figure.savefig : Writes one file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn_ais.plotting import FullVsRetainedDisplay, save_figure
    >>> display = FullVsRetainedDisplay(full=[0.2, 0.3], retained=[0.3, 0.4]).plot()
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> [p.name for p in save_figure(display.figure_, folder / "figure1.png",
    ...                              formats=("png", "pdf"))]
    ['figure1.png', 'figure1.pdf']
    """
    from pathlib import Path

    path = Path(path)
    options = {"bbox_inches": "tight", **(savefig_kwargs or {})}
    written = []
    for fmt in formats:
        target = path.with_suffix(f".{fmt.lstrip('.')}")
        figure.savefig(target, dpi=dpi, **options)
        written.append(target)
    return written
