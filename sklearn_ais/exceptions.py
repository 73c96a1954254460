"""Warnings and errors specific to sklearn_ais."""

__all__ = ["DeviceFallbackWarning", "TargetWarning"]


class DeviceFallbackWarning(UserWarning):
    """The requested torch device is not available; the CPU is used instead.

    Raised in ``fit`` by the featurizers and by
    :class:`~sklearn_ais.AISFeatureMapSelector` when their ``device``
    parameter names an accelerator that this machine lacks (``"cuda"`` without
    a GPU, ``"cuda:1"`` with one GPU, ``"mps"`` off Apple silicon), and when a
    featurizer fitted on a GPU is unpickled where there is none. The results
    are the same on the CPU, only slower. It is a ``UserWarning``, so
    ``warnings.filterwarnings("error", category=DeviceFallbackWarning)`` makes
    the fallback an error and ``"ignore"`` silences it.

    See Also
    --------
    sklearn_ais.AISFeatureMapSelector : Its ``device_`` says where it ran.

    Examples
    --------
    >>> import warnings
    >>> from sklearn_ais.exceptions import DeviceFallbackWarning
    >>> issubclass(DeviceFallbackWarning, UserWarning)
    True
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error", DeviceFallbackWarning)
    ...     # featurizer.fit(images) now raises where there is no such device
    """


class TargetWarning(UserWarning):
    """``y``'s diagonal contradicts an explicit ``target``.

    For example ``target="similarity"`` with a matrix whose diagonal holds
    the smallest value of every row, as a dissimilarity matrix (RDM) does.

    See Also
    --------
    AISFeatureMapSelector : Its ``target`` parameter says what ``y`` holds.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from sklearn_ais import AISFeatureMapSelector, TargetWarning
    >>> rdm = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 1.5], [2.0, 1.5, 0.0]])
    >>> X = np.random.default_rng(0).uniform(size=(3, 4))
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = AISFeatureMapSelector(target="similarity").fit(X, rdm)
    >>> caught[0].category is TargetWarning
    True
    """
