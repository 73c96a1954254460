"""A synthetic feature matrix whose relevant maps are known."""

from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, validate_params

from ._similarity import similarity_matrix


@validate_params(
    {
        "n_images": [Interval(Integral, 4, None, closed="left")],
        "n_maps": [Interval(Integral, 2, None, closed="left")],
        "n_relevant": [Interval(Integral, 1, None, closed="left")],
        "n_factors": [Interval(Integral, 1, None, closed="left")],
        "noise": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_alignment_problem(
    n_images=100,
    n_maps=200,
    n_relevant=10,
    *,
    n_factors=3,
    noise=0.5,
    random_state=None,
):
    """Pooled feature maps and human similarities with a known relevant subset.

    People compare the images by ``n_factors`` hidden attributes. Only
    ``n_relevant`` maps respond to those attributes (each a random mix of
    them); the other maps respond to unrelated attributes of the images with
    the same variance, so they dominate the full model's similarities. The
    human similarity of two images is the cosine similarity of their hidden
    attributes plus symmetric Gaussian noise of standard deviation ``noise``.
    AIS should rank the relevant maps on top, and keeping only them should
    predict the human similarities of new images better than all maps.

    Parameters
    ----------
    n_images : int, default=100
        Number of images (rows).
    n_maps : int, default=200
        Number of feature maps (columns).
    n_relevant : int, default=10
        Number of maps that carry the attributes people use.
    n_factors : int, default=3
        Number of hidden attributes people use.
    noise : float, default=0.5
        Standard deviation of the noise in the human similarities (their
        noise-free part lies in [-1, 1]).
    random_state : int, RandomState instance or None, default=None
        Seed, for reproducible problems.

    Returns
    -------
    X : ndarray of shape (n_images, n_maps)
        The feature matrix.
    H : DataFrame of shape (n_images, n_images)
        Human similarities, index and columns the image ids ``"img0000"``, ...
        The diagonal holds the matrix's largest value.
    relevant : ndarray of shape (n_relevant,)
        Column indices of the relevant maps, sorted.

    See Also
    --------
    make_comparison_images : Generated images with a known relevant object.

    Examples
    --------
    >>> from sklearn_ais.datasets import make_alignment_problem
    >>> X, H, relevant = make_alignment_problem(50, 20, 4, random_state=0)
    >>> X.shape, H.shape, relevant.shape
    ((50, 20), (50, 50), (4,))
    """
    if n_relevant > n_maps:
        raise ValueError(f"n_relevant={n_relevant} cannot exceed n_maps={n_maps}.")
    rng = check_random_state(random_state)
    attributes = rng.standard_normal((n_images, n_factors))
    X = rng.standard_normal((n_images, n_maps))
    relevant = np.sort(rng.choice(n_maps, size=n_relevant, replace=False))
    mixing = rng.standard_normal((n_factors, n_relevant)) / np.sqrt(n_factors)
    X[:, relevant] = attributes @ mixing

    human = similarity_matrix(attributes, "cosine")
    jitter = rng.standard_normal((n_images, n_images)) * noise
    human += np.triu(jitter, 1) + np.triu(jitter, 1).T
    # Self-similarity is the largest value of each row, as in human ratings
    # (and what target="auto" reads); only the off-diagonal pairs are used.
    np.fill_diagonal(human, -np.inf)
    np.fill_diagonal(human, max(1.0, human.max()))
    ids = [f"img{i:04d}" for i in range(n_images)]
    return X, pd.DataFrame(human, index=ids, columns=ids), relevant
