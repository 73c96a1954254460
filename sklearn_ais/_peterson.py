"""Loader for the Peterson et al. (2018) layout read by the authors' code.

The images and the human similarities of Peterson, Abbott & Griffiths (2018)
are not redistributable here: this reads a local copy laid out as the AIS
authors' code reads it (github tlmnhut/ais_heatmap).
"""

import os
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch
from sklearn.utils._param_validation import validate_params

SIMILARITY_FILE = "hsim_peterson.npz"
IMAGES_DIR = "original"

_DESCR = """\
Peterson et al. (2018) human similarity judgments, six categories
-----------------------------------------------------------------

Six sets of 120 photographs (animals, automobiles, fruits, furniture,
various, vegetables); in each, people rated the similarity of every pair of
images. Read from a local folder laid out as the AIS authors' code reads it:

    root/original/{category}/images/*     the images of each category
    root/hsim_peterson.npz                one n x n matrix per category

The rows of a category's matrix are its images in file-name order (Python's
sorted order of the names, as the authors' ``sorted(Path.glob("*"))``:
"img10" comes before "img2"); the loader checks that each category has as
many images as its matrix has rows, and labels the matrix with the file-name
stems.

References
----------
- Peterson, J. C., Abbott, J. T. and Griffiths, T. L. (2018). Evaluating
  (and improving) the correspondence between deep neural networks and human
  representations. Cognitive Science, 42(8), 2648-2669.
"""


def _image_files(directory):
    """Files of a category's image folder, in sorted name order (no hidden)."""
    return sorted(
        (p for p in directory.iterdir() if p.is_file() and not p.name.startswith(".")),
        key=lambda p: p.name,
    )


@validate_params(
    {"root": [str, os.PathLike], "categories": [list, None]},
    prefer_skip_nested_validation=True,
)
def load_peterson2018(root, *, categories=None):
    """Load the Peterson et al. (2018) images and similarity matrices.

    Reads the layout of the AIS authors' code: ``root/original/{category}/
    images/*`` and one ``root/hsim_peterson.npz`` with one key per category.
    The rows of each matrix are the category's images in file-name order
    (sorted names, hidden files ignored); the number of images must equal
    the matrix's size, else a ``ValueError`` gives both.

    Parameters
    ----------
    root : str or path-like
        The folder holding ``original/`` and ``hsim_peterson.npz``.
    categories : list of str or None, default=None
        Categories to load; None loads every key of the ``.npz``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        categories : list of str
            The categories loaded.
        images : dict of str to pandas.Series
            Per category, the image paths (str) in the matrix's order,
            indexed by their ids (file-name stems).
        similarity : dict of str to pandas.DataFrame
            Per category, the human similarity matrix, index and columns the
            ids.
        DESCR : str
            Description of the dataset and of the layout.

    Raises
    ------
    FileNotFoundError
        When ``hsim_peterson.npz`` or a category's image folder is missing.
    ValueError
        When a category is not in the ``.npz``, a matrix is not square, or a
        category's number of images differs from its matrix's size.

    See Also
    --------
    load_mur92 : Another set of human similarity judgments.

    Examples
    --------
    >>> from sklearn_ais.datasets import load_peterson2018
    >>> data = load_peterson2018("data/peterson")  # doctest: +SKIP
    >>> data.similarity["animals"].shape  # doctest: +SKIP
    (120, 120)
    """
    root = Path(root)
    matrices_file = root / SIMILARITY_FILE
    if not matrices_file.is_file():
        raise FileNotFoundError(f"{matrices_file} not found (the human matrices).")
    with np.load(matrices_file, allow_pickle=False) as archive:
        matrices = {key: np.asarray(archive[key], dtype=np.float64) for key in archive}
    if categories is None:
        categories = sorted(matrices)
    unknown = [c for c in categories if c not in matrices]
    if unknown:
        raise ValueError(
            f"Categories {unknown} are not keys of {matrices_file} (it holds "
            f"{sorted(matrices)})."
        )
    images, similarity = {}, {}
    for category in categories:
        matrix = matrices[category]
        if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
            raise ValueError(
                f"{matrices_file}[{category!r}] has shape {matrix.shape}; a "
                "square similarity matrix is expected."
            )
        directory = root / IMAGES_DIR / category / "images"
        if not directory.is_dir():
            raise FileNotFoundError(f"{directory} not found (the {category} images).")
        files = _image_files(directory)
        if len(files) != len(matrix):
            raise ValueError(
                f"{directory} holds {len(files)} images but the {category!r} "
                f"matrix of {matrices_file} is {len(matrix)} x {len(matrix)}: "
                "its rows are the images in file-name order, so the numbers "
                "must be equal."
            )
        ids = pd.Index([p.stem for p in files])
        if not ids.is_unique:
            raise ValueError(
                f"{directory}: several images share the file-name stem "
                f"{ids[ids.duplicated()][0]!r}, which is their id."
            )
        images[category] = pd.Series([os.fspath(p) for p in files], index=ids)
        similarity[category] = pd.DataFrame(matrix, index=ids, columns=ids)
    return Bunch(
        categories=list(categories),
        images=images,
        similarity=similarity,
        DESCR=_DESCR,
    )
