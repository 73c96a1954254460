import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import spearmanr
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_ais._generated_images import (
    COLOURS,
    SHAPES,
    _hue_to_rgb,
    make_comparison_images,
)


@pytest.fixture(scope="module")
def data():
    # The thin bar: the tests of its geometry below; the default object
    # distractor has tests of its own.
    return make_comparison_images(
        n_images=48, image_size=96, distractor="bar", random_state=0
    )


@pytest.fixture(scope="module")
def objects():
    return make_comparison_images(n_images=48, image_size=96, random_state=0)


@pytest.fixture(scope="module")
def clean():
    return make_comparison_images(n_images=48, image_size=64, noise=0, random_state=1)


def _upper(matrix):
    return np.asarray(matrix)[np.triu_indices(len(matrix), k=1)]


def test_shapes_dtypes_and_ids(data):
    n, size = 48, 96
    assert data.images.shape == (n, size, size, 3)
    assert data.images.dtype == np.uint8
    for masks in (data.relevant_masks, data.distractor_masks):
        assert masks.shape == (n, size, size)
        assert masks.dtype == bool
    assert data.ids == [f"img{i:03d}" for i in range(n)]
    for frame in (data.similarity, data.noiseless_similarity):
        assert isinstance(frame, pd.DataFrame)
        assert list(frame.index) == data.ids
        assert list(frame.columns) == data.ids
    assert list(data.attributes.index) == data.ids
    assert set(data.attributes["shape"]) <= set(SHAPES)
    assert set(data.attributes["color"]) <= set(COLOURS)
    assert "similarity" in data.DESCR


def test_deterministic_given_random_state(data):
    again = make_comparison_images(
        n_images=48, image_size=96, distractor="bar", random_state=0
    )
    np.testing.assert_array_equal(again.images, data.images)
    np.testing.assert_array_equal(again.relevant_masks, data.relevant_masks)
    np.testing.assert_array_equal(again.distractor_masks, data.distractor_masks)
    pd.testing.assert_frame_equal(again.similarity, data.similarity)
    pd.testing.assert_frame_equal(again.attributes, data.attributes)

    other = make_comparison_images(n_images=48, image_size=96, random_state=1)
    assert not np.array_equal(other.images, data.images)
    assert not np.allclose(other.similarity, data.similarity)


def test_random_state_instance_is_accepted():
    a = make_comparison_images(n_images=4, random_state=np.random.RandomState(3))
    b = make_comparison_images(n_images=4, random_state=3)
    np.testing.assert_array_equal(a.images, b.images)


def test_masks_are_non_empty_disjoint_and_exact(data):
    assert data.relevant_masks.sum(axis=(1, 2)).min() > 0
    assert data.distractor_masks.sum(axis=(1, 2)).min() > 0
    assert not (data.relevant_masks & data.distractor_masks).any()
    # The relevant object is the larger one.
    assert (
        data.relevant_masks.sum(axis=(1, 2)) > data.distractor_masks.sum(axis=(1, 2))
    ).all()

    for i, row in enumerate(data.attributes.itertuples()):
        image = data.images[i]
        relevant_rgb = _hue_to_rgb(COLOURS[row.color])
        assert (image[data.relevant_masks[i]] == relevant_rgb).all()
        distractor_rgb = _hue_to_rgb(COLOURS[row.distractor_color])
        assert (image[data.distractor_masks[i]] == distractor_rgb).all()
        # The background is grey and the objects are saturated: the masks are
        # exactly the coloured pixels.
        coloured = (image.max(axis=-1) - image.min(axis=-1)) > 0
        np.testing.assert_array_equal(
            coloured, data.relevant_masks[i] | data.distractor_masks[i]
        )


def test_masks_lie_around_recorded_centres(data):
    attrs = data.attributes
    for i, row in enumerate(attrs.itertuples()):
        ys, xs = np.nonzero(data.relevant_masks[i])
        assert np.hypot(xs - row.x, ys - row.y).max() <= row.radius + 1.5
        ys, xs = np.nonzero(data.distractor_masks[i])
        assert (
            np.hypot(xs - row.distractor_x, ys - row.distractor_y).max()
            <= row.distractor_length / 2 + 2.5
        )


def test_similarity_symmetric_with_maximal_diagonal(data):
    sim = data.similarity.to_numpy()
    np.testing.assert_array_equal(sim, sim.T)
    assert np.all(np.diag(sim) == sim.max())
    assert sim.max() >= 1.0


def test_noise_scale(data):
    residual = _upper(data.similarity) - _upper(data.noiseless_similarity)
    assert residual.std() == pytest.approx(0.1, rel=0.15)


def test_noiseless_similarity_is_the_formula_of_relevant_attributes(clean):
    attrs = clean.attributes
    shape = attrs["shape"].to_numpy()
    hue = attrs["hue"].to_numpy()
    size = attrs["size"].to_numpy()
    hue_distance = np.abs(hue[:, None] - hue[None, :]) % 360
    hue_distance = np.minimum(hue_distance, 360 - hue_distance)
    expected = (
        0.45 * (shape[:, None] == shape[None, :])
        + 0.40 * (1 - hue_distance / 180)
        + 0.15 * (1 - np.abs(size[:, None] - size[None, :]))
    )
    np.testing.assert_allclose(clean.similarity, expected, atol=1e-12)
    pd.testing.assert_frame_equal(clean.similarity, clean.noiseless_similarity)
    np.testing.assert_allclose(np.diag(clean.similarity), 1.0)


def test_same_shape_and_colour_beats_different_both(clean):
    attrs = clean.attributes
    same_shape = _upper(attrs["shape"].to_numpy()[:, None] == attrs["shape"].to_numpy())
    same_colour = _upper(
        attrs["color"].to_numpy()[:, None] == attrs["color"].to_numpy()
    )
    sim = _upper(clean.similarity)
    both, neither = same_shape & same_colour, ~same_shape & ~same_colour
    assert both.sum() >= 10 and neither.sum() >= 10
    assert sim[both].min() > sim[neither].max()
    # Each attribute matters on its own.
    assert sim[same_shape & ~same_colour].mean() > sim[neither].mean()
    assert sim[~same_shape & same_colour].mean() > sim[neither].mean()


@pytest.mark.parametrize("random_state", [0, 1, 2])
def test_distractor_does_not_drive_similarity(random_state):
    data = make_comparison_images(
        n_images=48, noise=0, distractor="bar", random_state=random_state
    )
    attrs = data.attributes
    sim = _upper(data.similarity)
    hue = attrs["distractor_hue"].to_numpy()
    hue_distance = np.abs(hue[:, None] - hue[None, :]) % 360
    hue_distance = np.minimum(hue_distance, 360 - hue_distance)
    angle = attrs["distractor_orientation"].to_numpy()
    angle_distance = np.abs(angle[:, None] - angle[None, :]) % 180
    angle_distance = np.minimum(angle_distance, 180 - angle_distance)
    for distractor_distance in (hue_distance, angle_distance):
        rho = spearmanr(sim, _upper(distractor_distance)).statistic
        assert abs(rho) < 0.15
    # The relevant object's colour, in contrast, explains a lot.
    relevant_hue = attrs["hue"].to_numpy()
    relevant_distance = np.abs(relevant_hue[:, None] - relevant_hue[None, :]) % 360
    relevant_distance = np.minimum(relevant_distance, 360 - relevant_distance)
    assert spearmanr(sim, _upper(relevant_distance)).statistic < -0.5


def test_shape_colour_combinations_are_balanced(data):
    counts = data.attributes.groupby(["shape", "color"]).size()
    assert len(counts) == len(SHAPES) * len(COLOURS)
    assert counts.max() - counts.min() <= 1


@settings(max_examples=15, deadline=None)
@given(
    n_images=st.integers(4, 12),
    image_size=st.integers(32, 80),
    random_state=st.integers(0, 2**31 - 1),
)
def test_properties_hold_for_any_size_and_seed(n_images, image_size, random_state):
    data = make_comparison_images(
        n_images=n_images, image_size=image_size, random_state=random_state
    )
    assert data.images.shape == (n_images, image_size, image_size, 3)
    assert data.relevant_masks.any(axis=(1, 2)).all()
    assert data.distractor_masks.any(axis=(1, 2)).all()
    assert not (data.relevant_masks & data.distractor_masks).any()
    sim = data.similarity.to_numpy()
    np.testing.assert_array_equal(sim, sim.T)
    assert np.isfinite(sim).all()


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"n_images": 3}, "n_images"),
        ({"n_images": 4.0}, "n_images"),
        ({"n_images": True}, "n_images"),
        ({"image_size": 31}, "image_size"),
        ({"image_size": "96"}, "image_size"),
        ({"noise": -0.1}, "noise"),
        ({"noise": float("nan")}, "noise"),
        ({"noise": float("inf")}, "noise"),
        ({"noise": "0.1"}, "noise"),
        ({"random_state": "seed"}, "random_state"),
        ({"distractor": "blob"}, "distractor"),
    ],
)
def test_argument_errors(kwargs, name):
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
        make_comparison_images(**kwargs)


# --- the default distractor: an object of the same kind and size ---------------


def test_object_distractor_is_as_large_and_salient(objects):
    relevant = objects.relevant_masks.sum(axis=(1, 2))
    other = objects.distractor_masks.sum(axis=(1, 2))
    assert not (objects.relevant_masks & objects.distractor_masks).any()
    # Same size range: neither is systematically larger (the bar is ~5x
    # smaller than the relevant object).
    assert 0.7 < other.mean() / relevant.mean() < 1.4
    attrs = objects.attributes
    assert set(attrs["distractor_shape"]) == set(SHAPES)
    for i, row in enumerate(attrs.itertuples()):
        distractor_rgb = _hue_to_rgb(COLOURS[row.distractor_color])
        assert (objects.images[i][objects.distractor_masks[i]] == distractor_rgb).all()
        ys, xs = np.nonzero(objects.distractor_masks[i])
        radius = np.hypot(xs - row.distractor_x, ys - row.distractor_y).max()
        assert radius <= row.distractor_radius + 2.5


@pytest.mark.parametrize("random_state", [0, 1, 2])
def test_object_distractor_does_not_drive_similarity(random_state):
    data = make_comparison_images(n_images=48, noise=0, random_state=random_state)
    attrs = data.attributes
    sim = _upper(data.similarity)
    shape = attrs["distractor_shape"].to_numpy()
    same_shape = _upper(shape[:, None] == shape[None, :]).astype(float)
    hue = attrs["distractor_hue"].to_numpy()
    hue_distance = np.abs(hue[:, None] - hue[None, :]) % 360
    hue_distance = np.minimum(hue_distance, 360 - hue_distance)
    for distractor_term in (same_shape, _upper(hue_distance)):
        assert abs(spearmanr(sim, distractor_term).statistic) < 0.15
    relevant = attrs["shape"].to_numpy()
    relevant_same = _upper(relevant[:, None] == relevant[None, :]).astype(float)
    assert spearmanr(sim, relevant_same).statistic > 0.3
