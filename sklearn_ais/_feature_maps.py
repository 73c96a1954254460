"""Feature maps that carry the network head that turns them into embeddings."""

import numpy as np
import pandas as pd


def _row_key(key):
    """The part of an index ``key`` that selects rows, or None if unknown.

    ``Ellipsis`` (and a full slice) keep every row; ``None`` (a new axis)
    or a key numpy reads otherwise makes the rows unknown.
    """
    if isinstance(key, tuple):
        key = key[0] if key else slice(None)
    if key is Ellipsis:
        return slice(None)
    if key is None:
        return None
    return key


class FeatureMaps(np.ndarray):
    """Feature maps of a convolutional layer, ``(n_images, n_maps, height, width)``.

    A plain ``float32`` array with two extra attributes. ``head`` is the
    torch module that turns the maps of a batch of images into embeddings (for
    example ``GAPHead`` or ``VGGHead``). Featurizers return this type so that
    :class:`~sklearn_ais.AISFeatureMapSelector` can mask maps and re-run the
    right head without the user wiring the network twice. ``ids`` are the
    item ids of the rows (the index of a pandas Series of images), or None;
    estimators check them against the ids of the human similarity matrix.

    Indexing and slicing (as cross-validation does) keep the head and slice
    the ids with the rows; ``np.asarray`` drops both.

    The head is held by reference, never copied, and should live on the CPU.

    Parameters
    ----------
    maps : array-like of shape (n_images, n_maps, height, width)
        The feature maps.
    head : torch.nn.Module or None
        The head. ``None`` means global average pooling.
    ids : array-like of shape (n_images,) or None, default=None
        Item ids of the images, in the order of the rows.

    Attributes
    ----------
    head : torch.nn.Module or None
        The head, shared by every slice of the array.
    ids : pandas.Index or None
        The item ids of the rows, sliced with them.

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

    def __new__(cls, maps, *, head=None, ids=None):
        obj = np.asarray(maps, dtype=np.float32).view(cls)
        obj.head = head
        if ids is not None:
            ids = pd.Index(ids)
            if obj.ndim == 0 or len(ids) != len(obj):
                raise ValueError(
                    f"{len(ids)} ids were given for {len(obj)} rows of feature maps."
                )
        obj.ids = ids
        return obj

    def __array_finalize__(self, obj):
        self.head = getattr(obj, "head", None)
        ids = getattr(obj, "ids", None)
        # Views of another shape (a reshape, a transpose) lose the ids unless
        # __getitem__ sets them; a view with as many rows keeps them.
        same_rows = ids is not None and self.ndim > 0 and len(self) == len(ids)
        self.ids = ids if same_rows else None

    def __getitem__(self, key):
        result = super().__getitem__(key)
        if not isinstance(result, FeatureMaps) or self.ids is None:
            return result
        rows = _row_key(key)
        if rows is None or np.ndim(rows) == 0 and not isinstance(rows, slice):
            # A new axis or a single image: the rows are no longer images.
            result.ids = None
            return result
        if isinstance(rows, list):
            rows = np.asarray(rows)
        result.ids = self.ids[rows]
        return result

    def __reduce__(self):
        constructor, args, state = super().__reduce__()
        return constructor, args, (state, self.head, self.ids)

    def __setstate__(self, state):
        array_state, self.head, self.ids = state
        super().__setstate__(array_state)


def head_of(X):
    """The head ``X`` carries, or None (plain arrays, DataFrames...)."""
    return X.head if isinstance(X, FeatureMaps) else None
