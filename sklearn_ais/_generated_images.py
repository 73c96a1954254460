"""Synthetic images with a known answer to "what drives human similarity?".

Each image holds a *relevant* object, whose shape, colour and size alone
determine the generated similarity matrix, and a *distractor* (by default an
object of the same kind and size range, else a thin bar) whose attributes and
position are drawn independently. Pixel masks of both
objects are returned, so an explanation method can be scored on whether it
points at the relevant object.
"""

import colorsys
from numbers import Integral, Real

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

SHAPES = ("circle", "square", "triangle", "star")
# Six hues 60 degrees apart: hue distance between two colours is graded
# (0, 60, 120 or 180 degrees), which gives graded colour similarity.
COLOURS = {
    "red": 0.0,
    "yellow": 60.0,
    "green": 120.0,
    "cyan": 180.0,
    "blue": 240.0,
    "magenta": 300.0,
}
# Weights of the relevant attributes in the generated similarity; they sum
# to one so the noiseless similarity lies in [0, 1].
SHAPE_WEIGHT = 0.45
COLOUR_WEIGHT = 0.40
SIZE_WEIGHT = 0.15

# Object geometry, as fractions of the image side.
_RADIUS_RANGE = (0.12, 0.19)  # relevant object's circumradius
_BAR_HALF_LENGTH_RANGE = (0.10, 0.15)
_BAR_HALF_WIDTH = 0.02
_GAP = 0.04  # minimum empty space between the objects' bounding circles
_MAX_PLACEMENT_TRIES = 1000

_DESCR = """\
Generated comparison images
---------------------------

Each RGB image shows two objects on a light grey, lightly textured background:

- a *relevant* object: a {shapes} in one of six fully saturated hues
  ({colours}) with a random size;
- a *distractor*, independent of the relevant object: with
  ``distractor="object"`` (the default) another shape from the same four, in
  one of the same six hues, with a size from the same range, so that only
  the similarity, not salience, tells the two apart; with
  ``distractor="bar"`` a thin bar of random length, orientation and hue.

The objects never overlap and their positions are random. The generated
similarity of images i and j depends only on the relevant objects::

    s_ij = {w_shape} * [same shape]
         + {w_colour} * (1 - hue distance / 180 degrees)
         + {w_size} * (1 - |size_i - size_j|)
         + noise * e_ij

where ``size`` is the object's relative size in [0, 1] and ``e_ij = e_ji``
are standard normal draws. The diagonal holds the largest value of the matrix
(1 when noise is 0). Shape/colour combinations are balanced: each appears
``n_images / 24`` times (rounded). ``relevant_masks`` and ``distractor_masks``
give the exact pixels of each object, the ground truth for heatmaps.
"""


def _regular_polygon(n_vertices, radius, rotation=-90.0):
    angles = np.deg2rad(rotation + 360.0 * np.arange(n_vertices) / n_vertices)
    return np.column_stack([radius * np.cos(angles), radius * np.sin(angles)])


def _shape_vertices(shape, radius):
    """Vertices of ``shape`` centred at the origin, or None for a circle."""
    if shape == "square":
        # Axis-aligned and, like every shape, inside the circle of ``radius``
        # (placement relies on that).
        return _regular_polygon(4, radius, rotation=45.0)
    if shape == "triangle":
        return _regular_polygon(3, radius)
    if shape == "star":
        outer = _regular_polygon(5, radius)
        inner = _regular_polygon(5, 0.45 * radius, rotation=-90.0 + 36.0)
        return np.stack([outer, inner], axis=1).reshape(-1, 2)
    return None


def _object_mask(size, draw_fn):
    canvas = Image.new("L", (size, size), 0)
    draw_fn(ImageDraw.Draw(canvas))
    return np.asarray(canvas) > 0


def _relevant_mask(image_size, shape, centre, radius):
    vertices = _shape_vertices(shape, radius)
    if vertices is None:
        box = [*(np.asarray(centre) - radius), *(np.asarray(centre) + radius)]
        return _object_mask(image_size, lambda d: d.ellipse(box, fill=1))
    points = [tuple(p) for p in vertices + np.asarray(centre)]
    return _object_mask(image_size, lambda d: d.polygon(points, fill=1))


def _bar_mask(image_size, centre, half_length, half_width, orientation):
    theta = np.deg2rad(orientation)
    along = np.array([np.cos(theta), -np.sin(theta)])  # y grows downwards
    across = np.array([-along[1], along[0]])
    corners = [
        np.asarray(centre) + sa * half_length * along + sb * half_width * across
        for sa, sb in ((1, 1), (1, -1), (-1, -1), (-1, 1))
    ]
    points = [tuple(c) for c in corners]
    return _object_mask(image_size, lambda d: d.polygon(points, fill=1))


def _hue_to_rgb(hue):
    rgb = colorsys.hsv_to_rgb(hue / 360.0, 0.85, 0.9)
    return np.round(np.array(rgb) * 255).astype(np.uint8)


def _place(rng, image_size, radius, other_radius):
    """Centres of the two objects, far enough apart not to overlap.

    ``other_radius`` bounds the distractor: a bar's half length, or an
    object's circumradius.
    """
    for _ in range(_MAX_PLACEMENT_TRIES):
        centre = rng.uniform(radius + 1, image_size - radius - 1, size=2)
        other = rng.uniform(other_radius + 1, image_size - other_radius - 1, size=2)
        if np.hypot(*(centre - other)) > radius + other_radius + _GAP * image_size:
            return centre, other
    raise RuntimeError("Could not place the two objects without overlap.")


def _hue_similarity(hues):
    distance = np.abs(hues[:, None] - hues[None, :]) % 360.0
    distance = np.minimum(distance, 360.0 - distance)
    return 1.0 - distance / 180.0


@validate_params(
    {
        "n_images": [Interval(Integral, 4, None, closed="left")],
        "image_size": [Interval(Integral, 32, None, closed="left")],
        "noise": [Interval(Real, 0, None, closed="left")],
        "distractor": [StrOptions({"object", "bar"})],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_comparison_images(
    n_images=48, image_size=96, *, noise=0.1, distractor="object", random_state=0
):
    """Generate images whose human-like similarity depends on one object only.

    Every image shows a *relevant* object (a circle, square, triangle or
    star in one of six hues, with a random size) and a *distractor* at
    random, non-overlapping positions on a lightly textured grey background.
    The distractor is another such object (random shape, hue and size, the
    default: as large and salient as the relevant one, so that heatmaps are
    scored on what matters for the comparison, not on what stands out) or a
    thin bar with random hue, length and orientation (about a fifth of the
    relevant object's area). The similarity matrix
    is a function of the relevant objects' shape, colour and size only, plus
    symmetric Gaussian noise, so a model whose feature maps respond to the
    relevant object should explain it and the distractor should not matter.

    Parameters
    ----------
    n_images : int, default=48
        Number of images, at least 4. The 24 shape/colour combinations are
        used in turn, so with 48 images each appears twice.
    image_size : int, default=96
        Side of the square images in pixels, at least 32.
    noise : float, default=0.1
        Standard deviation of the symmetric Gaussian noise added to the
        off-diagonal similarities. 0 gives the noiseless similarity.
    distractor : {"object", "bar"}, default="object"
        The distractor's kind.
    random_state : int, RandomState instance or None, default=0
        Controls attributes, positions, background texture and noise. Pass an
        int for reproducible output.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        images : ndarray of shape (n_images, image_size, image_size, 3), \
dtype uint8
            The RGB images.
        similarity : pandas.DataFrame of shape (n_images, n_images)
            Symmetric generated similarity; index and columns are ``ids``.
            The diagonal holds the matrix's maximum (1 when ``noise=0``).
        noiseless_similarity : pandas.DataFrame of shape (n_images, n_images)
            The same without noise, in [0, 1] with 1 on the diagonal.
        relevant_masks : ndarray of shape (n_images, image_size, image_size), \
dtype bool
            The relevant object's pixels.
        distractor_masks : ndarray of shape (n_images, image_size, \
image_size), dtype bool
            The distractor's pixels; disjoint from ``relevant_masks``.
        attributes : pandas.DataFrame of shape (n_images, 13)
            Per image (index ``ids``): ``shape``, ``color``, ``hue``
            (degrees), ``size`` (relative, in [0, 1]), ``radius`` (pixels),
            ``x``, ``y`` (centre, pixels) of the relevant object, and
            ``distractor_color``, ``distractor_hue``, ``distractor_x``,
            ``distractor_y`` of the distractor, with ``distractor_shape``
            and ``distractor_radius`` (pixels) for an object, or
            ``distractor_orientation`` (degrees) and ``distractor_length``
            (pixels) for a bar.
        ids : list of str
            Item ids ``"img000"``, ``"img001"``, ...
        DESCR : str
            Description of the dataset and of the similarity formula.

    See Also
    --------
    make_alignment_problem : Pooled features with known relevant maps.
    load_mur92 : Real human similarity judgments of 92 images.

    Examples
    --------
    >>> from sklearn_ais.datasets import make_comparison_images
    >>> data = make_comparison_images(n_images=8, image_size=64, random_state=0)
    >>> data.images.shape
    (8, 64, 64, 3)
    >>> data.similarity.shape
    (8, 8)
    """
    rng = check_random_state(random_state)

    # Balanced shape/colour combinations in random order.
    colour_names = list(COLOURS)
    n_combos = len(SHAPES) * len(colour_names)
    combos = rng.permutation(np.resize(np.arange(n_combos), n_images))
    shape_idx, colour_idx = np.divmod(combos, len(colour_names))
    sizes = rng.uniform(0.0, 1.0, size=n_images)
    distractor_colour_idx = rng.randint(len(colour_names), size=n_images)
    orientations = rng.uniform(0.0, 180.0, size=n_images)
    half_lengths = image_size * rng.uniform(*_BAR_HALF_LENGTH_RANGE, size=n_images)
    half_width = max(1.0, _BAR_HALF_WIDTH * image_size)
    radii = image_size * (
        _RADIUS_RANGE[0] + sizes * (_RADIUS_RANGE[1] - _RADIUS_RANGE[0])
    )
    # Drawn after everything the bar option draws, so that option's images
    # are those of earlier versions for the same seed.
    if distractor == "object":
        distractor_shapes = rng.randint(len(SHAPES), size=n_images)
        distractor_radii = image_size * rng.uniform(*_RADIUS_RANGE, size=n_images)
        extents = distractor_radii
    else:
        extents = half_lengths

    images = np.empty((n_images, image_size, image_size, 3), dtype=np.uint8)
    relevant_masks = np.empty((n_images, image_size, image_size), dtype=bool)
    distractor_masks = np.empty_like(relevant_masks)
    centres = np.empty((n_images, 2))
    bar_centres = np.empty((n_images, 2))
    for i in range(n_images):
        centres[i], bar_centres[i] = _place(rng, image_size, radii[i], extents[i])
        relevant = _relevant_mask(
            image_size, SHAPES[shape_idx[i]], centres[i], radii[i]
        )
        if distractor == "object":
            other = _relevant_mask(
                image_size,
                SHAPES[distractor_shapes[i]],
                bar_centres[i],
                distractor_radii[i],
            )
        else:
            other = _bar_mask(
                image_size, bar_centres[i], half_lengths[i], half_width, orientations[i]
            )
        # Placement keeps the objects apart; this guards against rasterisation
        # touching so that the masks stay exactly disjoint.
        other &= ~relevant
        # Light texture: a random grey level plus faint pixel noise.
        grey = rng.uniform(195.0, 225.0)
        background = grey + rng.normal(0.0, 5.0, size=(image_size, image_size, 1))
        image = np.clip(np.round(background), 0, 255).astype(np.uint8).repeat(3, -1)
        image[relevant] = _hue_to_rgb(COLOURS[colour_names[colour_idx[i]]])
        image[other] = _hue_to_rgb(COLOURS[colour_names[distractor_colour_idx[i]]])
        images[i], relevant_masks[i], distractor_masks[i] = image, relevant, other

    hues = np.array([COLOURS[colour_names[c]] for c in colour_idx])
    clean = (
        SHAPE_WEIGHT * (shape_idx[:, None] == shape_idx[None, :])
        + COLOUR_WEIGHT * _hue_similarity(hues)
        + SIZE_WEIGHT * (1.0 - np.abs(sizes[:, None] - sizes[None, :]))
    )
    # Symmetric noise: draw the upper triangle and mirror it.
    upper = np.triu(rng.normal(0.0, 1.0, size=(n_images, n_images)), k=1)
    noisy = clean + noise * (upper + upper.T)
    # Self-similarity is the largest value: max of 1 and the off-diagonal.
    np.fill_diagonal(noisy, -np.inf)
    np.fill_diagonal(noisy, max(1.0, noisy.max()))

    ids = [f"img{i:03d}" for i in range(n_images)]
    attributes = pd.DataFrame(
        {
            "shape": [SHAPES[s] for s in shape_idx],
            "color": [colour_names[c] for c in colour_idx],
            "hue": hues,
            "size": sizes,
            "radius": radii,
            "x": centres[:, 0],
            "y": centres[:, 1],
            "distractor_color": [colour_names[c] for c in distractor_colour_idx],
            "distractor_hue": [COLOURS[colour_names[c]] for c in distractor_colour_idx],
            "distractor_x": bar_centres[:, 0],
            "distractor_y": bar_centres[:, 1],
        },
        index=ids,
    )
    if distractor == "object":
        attributes["distractor_shape"] = [SHAPES[s] for s in distractor_shapes]
        attributes["distractor_radius"] = distractor_radii
    else:
        attributes["distractor_orientation"] = orientations
        attributes["distractor_length"] = 2 * half_lengths
    descr = _DESCR.format(
        shapes=", ".join(SHAPES[:-1]) + " or " + SHAPES[-1],
        colours=", ".join(colour_names),
        w_shape=SHAPE_WEIGHT,
        w_colour=COLOUR_WEIGHT,
        w_size=SIZE_WEIGHT,
    )
    return Bunch(
        images=images,
        similarity=pd.DataFrame(noisy, index=ids, columns=ids),
        noiseless_similarity=pd.DataFrame(clean, index=ids, columns=ids),
        relevant_masks=relevant_masks,
        distractor_masks=distractor_masks,
        attributes=attributes,
        ids=ids,
        DESCR=descr,
    )
