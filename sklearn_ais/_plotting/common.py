"""What every figure shares: images to pixels, axes, the noise ceiling's lines."""

import numpy as np

# The noise ceiling's lines, by column of ``NoiseCeiling.to_frame()``: every
# figure that draws them labels them so.
NOISE_CEILING_LINES = {
    "lower": "ceiling: subject vs others (lower)",
    "upper": "ceiling: subject vs all (upper)",
    "attenuation_bound": "sqrt(split-half reliability)",
}


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

        _, ax = plt.subplots(figsize=figsize)
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

        figure = plt.figure(figsize=size)
    else:
        figure.set_size_inches(size)
    axes = figure.subplots(n_rows, n_cols, squeeze=False).ravel()
    for extra in axes[n:]:
        extra.axis("off")
    return figure, axes[:n]


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
    if ceiling is None:
        return None
    means = ceiling.to_frame().mean()
    return {
        label: float(means[column]) for column, label in NOISE_CEILING_LINES.items()
    }


def _draw_reference_lines(ax, lines):
    """Dashed horizontal lines by label; colours skip C0 and C3 (the bars')."""
    colours = ("C1", "C2", "C4", "C5", "C6", "C7", "C8", "C9")
    return [
        ax.axhline(value, color=colours[k % len(colours)], linestyle="--", label=label)
        for k, (label, value) in enumerate((lines or {}).items())
    ]
