"""What every figure shares: images to pixels, grids of axes."""

import numpy as np


def _pixels(image):
    """An image as an ``(H, W, 3)`` float array in [0, 1] for ``imshow``."""
    from .._images import decode_image

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
