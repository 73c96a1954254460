"""Feature maps that carry the network head that turns them into embeddings."""

import numpy as np


class FeatureMaps(np.ndarray):
    """Feature maps of a convolutional layer, ``(n_images, n_maps, height, width)``.

    A plain ``float32`` array with one extra attribute, :attr:`head`: the torch
    module that turns the maps of a batch of images into embeddings (for
    example ``GAPHead`` or ``VGGHead``). Featurizers return this type so that
    :class:`~sklearn_ais.AISFeatureMapSelector` can mask maps and re-run the
    right head without the user wiring the network twice. Indexing and slicing
    (as cross-validation does) keep the head; ``np.asarray`` drops it.

    The head is held by reference, never copied, and should live on the CPU.

    Parameters
    ----------
    maps : array-like of shape (n_images, n_maps, height, width)
        The feature maps.
    head : torch.nn.Module or None
        The head. ``None`` means global average pooling.

    Attributes
    ----------
    head : torch.nn.Module or None
        The head, shared by every slice of the array.

    See Also
    --------
    sklearn_ais.VGGFeaturizer : Returns maps carrying the fc6/fc7 head.
    sklearn_ais.AISFeatureMapSelector : Masks the maps and re-runs the head.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ais import FeatureMaps
    >>> maps = FeatureMaps(np.ones((4, 8, 2, 2)))
    >>> maps[:2].shape, maps[:2].head is None, maps.dtype
    ((2, 8, 2, 2), True, dtype('float32'))
    """

    def __new__(cls, maps, head=None):
        obj = np.asarray(maps, dtype=np.float32).view(cls)
        obj.head = head
        return obj

    def __array_finalize__(self, obj):
        self.head = getattr(obj, "head", None)

    def __reduce__(self):
        constructor, args, state = super().__reduce__()
        return constructor, args, (state, self.head)

    def __setstate__(self, state):
        array_state, self.head = state
        super().__setstate__(array_state)


def head_of(X):
    """The head ``X`` carries, or None (plain arrays, DataFrames...)."""
    return X.head if isinstance(X, FeatureMaps) else None
