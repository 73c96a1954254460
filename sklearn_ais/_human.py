"""The human judgments ``y``: read once, checked, aligned, turned into pairs.

scikit-learn slices only the rows of ``y``, so every estimator and scorer of
this package reads ``y`` here, in one pass dispatched once per convention:

1. A pandas DataFrame is a *labelled matrix*: every index label is a column
   label (ids compared as strings, so the integer index and string columns
   that ``pd.read_csv(path, index_col=0)`` gives match; ids such as ``000``
   or ``NA`` stay text with ``dtype={0: str}, keep_default_na=False,
   na_values=[""]``). ``y.loc[:, y.index]``
   is the block of the rows' own items; after a cross-validation split that is
   the train x train (or test x test) block, so train-to-test similarities
   never reach ``fit``.
2. A square array with one row per image: used as is.
3. A condensed upper triangle (length ``n (n - 1) / 2``, scipy's
   ``pdist``/``squareform`` convention), with an explicit ``target``.
4. Target embeddings (one row per image) only with ``target="embedding"``.

``target="auto"`` reads the diagonal: the largest value of every row means
similarities, the smallest (an RDM's zeros) dissimilarities; anything else is
an error that asks for ``target=``. Where ``X`` carries item ids they must be
``y``'s ids in the same order: never realigned silently.

The word *target* is kept for the public ``target=`` option; the human pair
vector this module returns is :class:`HumanPairs`.
"""

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._feature_maps import FeatureMaps
from ._similarity import pair_indices, pair_similarities, upper_triangle
from .exceptions import TargetWarning

TARGETS = ("auto", "similarity", "dissimilarity", "embedding")
MISSING = ("raise", "ignore")
MIN_IMAGES = 3
# Fewest rated pairs a dataset 2OI is computed from (3 images give 3 pairs).
MIN_PAIRS = 3
_IGNORE_HINT = (
    " If they are pairs nobody rated, pass missing='ignore' to compare the "
    "rated pairs only (pairwise-complete)."
)
# How far a diagonal may sit below a row's maximum (or above its minimum),
# relative to the matrix's scale, and still count as the top (or bottom).
_DIAGONAL_TOLERANCE = 1e-8
_SHOWN = 3


@dataclass(frozen=True)
class HumanPairs:
    """The human judgments of every pair of images, as similarities.

    Attributes
    ----------
    pairs : ndarray of shape (n_images * (n_images - 1) // 2,)
        Strict upper triangle, row by row; larger means more alike
        (dissimilarities are negated). NaN marks an unrated pair (only with
        ``missing="ignore"``); the comparisons leave those pairs out.
    target : {"similarity", "dissimilarity", "embedding"}
        How ``y`` was read.
    """

    pairs: np.ndarray
    target: str


def check_n_images(n_images):
    """Raise if there are too few images to correlate pair similarities."""
    if n_images < MIN_IMAGES:
        raise ValueError(
            f"At least {MIN_IMAGES} images are needed to compare similarity "
            f"structures (3 images give 3 pairs); got {n_images}."
        )


def item_ids(X):
    """The item ids ``X`` carries, or None.

    ``X`` carries ids when it is a DataFrame or Series whose index is not a
    ``RangeIndex`` (a default index is row positions), or
    :class:`~sklearn_ais.FeatureMaps` made from a Series of images.
    """
    if isinstance(X, FeatureMaps):
        return X.ids
    if isinstance(X, (pd.DataFrame, pd.Series)):
        return None if isinstance(X.index, pd.RangeIndex) else X.index
    return None


def _show(labels):
    labels = list(labels)
    shown = ", ".join(repr(label) for label in labels[:_SHOWN])
    return shown + (", ..." if len(labels) > _SHOWN else "")


def _as_strings(labels):
    return pd.Index([str(label) for label in labels], dtype=object)


def _row_positions(x_ids, y_ids):
    """Whether ``X``'s integer index holds row positions, not ids.

    Integers cannot be ids that are not integers: such an index is a default
    index that cross-validation sliced.
    """
    return pd.api.types.is_integer_dtype(pd.Index(x_ids)) and not all(
        label.lstrip("-").isdigit() for label in _as_strings(y_ids)
    )


def check_ids(x_ids, y_ids):
    """Raise unless ``X``'s ids are ``y``'s, in the same order (as strings).

    An integer index of ``X`` against ids of ``y`` that are not integers is
    row positions, not ids (a default index sliced by cross-validation), and
    is not checked.
    """
    if x_ids is None or y_ids is None or _row_positions(x_ids, y_ids):
        return
    x_str, y_str = _as_strings(x_ids), _as_strings(y_ids)
    if len(x_str) == len(y_str) and (x_str == y_str).all():
        return
    if len(x_str) == len(y_str) and set(x_str) == set(y_str):
        differ = np.flatnonzero(x_str != y_str)[:_SHOWN]
        where = "; ".join(
            f"row {i}: X has {x_ids[i]!r}, y has {y_ids[i]!r}" for i in differ
        )
        problem = f"X and y hold the same ids in another order ({where})."
    else:
        in_y, in_x = set(y_str), set(x_str)
        missing = [label for label in x_ids if str(label) not in in_y]
        extra = [label for label in y_ids if str(label) not in in_x]
        problem = "The item ids of X are not those of y:"
        if missing:
            problem += f" ids of X not in y's index: {_show(missing)};"
        if extra:
            problem += f" ids of y not in X: {_show(extra)};"
        problem = problem.rstrip(";") + "."
        if missing and pd.api.types.is_integer_dtype(pd.Index(x_ids)):
            problem += (
                " If X's integer index holds row positions (a DataFrame with a "
                "default index, sliced by cross-validation), pass "
                "X.to_numpy() or set X's index to the item ids."
            )
    raise ValueError(
        f"{problem} Rows of X and rows of y must describe the same items in the "
        "same order; nothing is realigned silently. Reorder y with "
        "y.loc[ids, ids] where ids are X's ids. (scikit-learn's "
        "permutation_test_score shuffles the rows of y and gets here when X "
        "carries ids: for a permutation test of a similarity matrix use "
        "sklearn_ais.model_selection.mantel_test, which permutes its rows and "
        "columns together.)"
    )


def _to_float(values, what="y"):
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"{what} must hold numbers (similarities, dissimilarities or target "
            f"embeddings); could not convert it to float: {error}"
        ) from error


# --- reading each convention ---------------------------------------------------


def _refuse_unnamed_columns(y):
    unnamed = [c for c in y.columns if str(c).startswith("Unnamed:")]
    if unnamed:
        raise ValueError(
            f"The similarity DataFrame y has a column named {unnamed[0]!r}, which "
            "is not an item id: pandas names a header-less first column that "
            "way. It looks like the CSV was read without its first column as "
            "the index: use pd.read_csv(path, index_col=0)."
        )


def labelled_matrix(y):
    """``y.loc[:, y.index]`` as floats, labels matched as strings.

    Refuses, with a message that says what was found, a DataFrame that is not
    a labelled matrix (a column that is not an id, an index label that is not
    a column label, duplicates).
    """
    columns = _as_strings(y.columns)
    _refuse_unnamed_columns(y)
    not_numeric = [
        position
        for position, dtype in enumerate(y.dtypes)
        if not pd.api.types.is_numeric_dtype(dtype)
    ]
    if not_numeric:
        column = y.columns[not_numeric[0]]
        values = y.iloc[:_SHOWN, not_numeric[0]].tolist()
        raise ValueError(
            f"Column {column!r} of the similarity DataFrame y is not numeric "
            f"(values like {_show(values)}), so it is "
            "not an item's similarities. If it holds the item ids, make it the "
            f"index: pd.read_csv(path, index_col=0) or y.set_index({column!r})."
        )
    if not columns.is_unique:
        raise ValueError(
            "The columns of the similarity DataFrame y have duplicates (ids are "
            f"compared as strings): {_show(columns[columns.duplicated()])}."
        )
    index = _as_strings(y.index)
    if not index.is_unique:
        raise ValueError(
            "The index of the similarity DataFrame y has duplicates: "
            f"{_show(y.index[index.duplicated()])}."
        )
    positions = columns.get_indexer(index)
    if (positions < 0).any():
        missing = y.index[positions < 0]
        raise ValueError(
            "A DataFrame y is read as a labelled similarity matrix: every index "
            "label must be a column label (ids compared as strings). Index "
            f"labels {_show(missing)} are not among the columns "
            f"({_show(y.columns)}); the index is a {type(y.index).__name__}. If "
            "the ids are in the first column, read the CSV with "
            "pd.read_csv(path, index_col=0) or use y.set_index(...); if the "
            "rows of y are target embeddings, pass target='embedding'. Ids "
            "such as 000 or NA (read as the numbers 0 and NaN) stay text with "
            "pd.read_csv(path, index_col=0, dtype={0: str}, "
            "keep_default_na=False, na_values=[''])."
        )
    return y.to_numpy(dtype=np.float64)[:, positions]


def _diagonal_reading(matrix):
    """``"similarity"``, ``"dissimilarity"`` or the reason it is neither."""
    diagonal = np.diag(matrix).copy()
    if not np.isfinite(diagonal).all():
        row = int(np.flatnonzero(~np.isfinite(diagonal))[0])
        return None, (
            f"its diagonal holds NaN or infinite values (row {row}: "
            f"{diagonal[row]}); missing='ignore' leaves out unrated pairs, not "
            "the diagonal that target='auto' reads"
        )
    off = matrix.copy()
    np.fill_diagonal(off, np.nan)
    tolerance = _DIAGONAL_TOLERANCE * max(np.nanmax(np.abs(off)), 1.0)
    # A row with no rated pair (scoring a sparse block) tells nothing: its
    # bounds are -inf and inf, so it is both top and bottom.
    unrated = np.isnan(off)
    top = diagonal >= np.where(unrated, -np.inf, off).max(axis=1) - tolerance
    bottom = diagonal <= np.where(unrated, np.inf, off).min(axis=1) + tolerance
    if top.all() and not bottom.all():
        return "similarity", None
    if bottom.all() and not top.all():
        return "dissimilarity", None
    row = int(np.flatnonzero(~top & ~bottom)[0]) if (~top & ~bottom).any() else 0
    return None, (
        "its diagonal is neither the largest value of every row nor the "
        f"smallest (row {row}: diagonal {diagonal[row]:.4g}, other values "
        f"{np.nanmin(off[row]):.4g} to {np.nanmax(off[row]):.4g})"
    )


def _resolve_target(target, matrix):
    """The target a square matrix is read as, from ``target`` and its diagonal."""
    reading, reason = _diagonal_reading(matrix)
    if target == "auto":
        if reading is None:
            raise ValueError(
                "target='auto' tells similarities from dissimilarities by y's "
                f"diagonal, but {reason}. Say what y holds: "
                "target='similarity' (larger means more alike) or "
                "target='dissimilarity' (larger means more different, as in an "
                "RDM)."
            )
        return reading
    if reading is not None and reading != target:
        where = "largest" if reading == "similarity" else "smallest"
        warnings.warn(
            f"target={target!r}, but y's diagonal holds the {where} value of "
            f"every row, as {reading} matrices do. Check that y holds "
            f"{target} values; target='auto' would read it as {reading}.",
            TargetWarning,
            stacklevel=4,
        )
    return target


def _check_matrix(matrix, missing):
    off_diagonal = matrix.copy()
    np.fill_diagonal(off_diagonal, 0.0)
    if np.isinf(off_diagonal).any():
        raise ValueError(
            "The human similarity matrix y contains infinite values off its "
            "diagonal in the block used here."
        )
    unrated = np.isnan(off_diagonal)
    if unrated.any():
        if missing == "raise":
            raise ValueError(
                "The human similarity matrix y contains NaN values off its "
                "diagonal in the block used here." + _IGNORE_HINT
            )
        asymmetric = np.argwhere(unrated != unrated.T)
        if len(asymmetric):
            i, j = asymmetric[0]
            raise ValueError(
                "An unrated pair must be NaN on both sides of the diagonal: "
                f"y[{i}, {j}] is {matrix[i, j]} but y[{j}, {i}] is "
                f"{matrix[j, i]}."
            )
        off_diagonal[unrated] = 0.0
    asymmetry = np.abs(off_diagonal - off_diagonal.T).max()
    scale = max(np.abs(off_diagonal).max(), 1.0)
    if asymmetry > 1e-8 * scale:
        raise ValueError(
            "The human similarity matrix y must be symmetric; the largest "
            f"difference between y[i, j] and y[j, i] is {asymmetry:.3g}. If y "
            "holds target embeddings (one row per image), pass target='embedding'."
        )


def rated_per_image(pairs, n_images):
    """Number of rated (non-NaN) pairs of each image, shape ``(n_images,)``."""
    rated = ~np.isnan(pairs)
    rows, cols = pair_indices(n_images)
    return np.bincount(rows[rated], minlength=n_images) + np.bincount(
        cols[rated], minlength=n_images
    )


def _check_rated(pairs):
    """Raise unless enough pairs are rated."""
    n_rated = np.count_nonzero(~np.isnan(pairs))
    if n_rated < MIN_PAIRS:
        raise ValueError(
            f"y rates only {n_rated} pair(s) of images (the others are NaN); at "
            f"least {MIN_PAIRS} rated pairs are needed to compare similarity "
            "structures."
        )


def check_every_image_rated(pairs, n_images):
    """Raise if an image has no rated pair (its row of ``y`` is all NaN).

    Fitting refuses such an image: it would be carried along without any
    influence, which is more likely a mistake (a wrong id) than intended.
    Scoring accepts it (pairwise-complete: it has no pair to compare), as
    a cross-validation's test block of sparse ratings may hold one.
    """
    unrated = np.flatnonzero(rated_per_image(pairs, n_images) == 0)
    if len(unrated):
        raise ValueError(
            f"{len(unrated)} image(s) have no rated pair (their row of y is all "
            f"NaN): positions {_show(unrated.tolist())}. They would take no part "
            "in any comparison: drop them from X and y."
        )


def _check_not_constant(pairs):
    if np.ptp(pairs[~np.isnan(pairs)]) == 0:
        raise ValueError(
            "The human similarities are constant across all pairs of images: "
            "there is no structure to compare with."
        )


def _from_matrix(matrix, target, missing):
    _check_matrix(matrix, missing)
    pairs = upper_triangle(matrix)
    _check_rated(pairs)
    _check_not_constant(pairs)
    target = _resolve_target(target, matrix)
    return HumanPairs(-pairs if target == "dissimilarity" else pairs, target)


def _from_vector(values, n_images, target, missing):
    n_pairs = n_images * (n_images - 1) // 2
    if len(values) == n_pairs:
        if target == "auto":
            raise ValueError(
                f"y is a vector of {n_pairs} values, the condensed upper triangle "
                f"of a matrix of {n_images} items (scipy's pdist/squareform "
                "convention). It has no diagonal, so target='auto' cannot tell "
                "similarities from dissimilarities: pass target='similarity' or "
                "target='dissimilarity' (pdist gives distances)."
            )
        if np.isinf(values).any():
            raise ValueError("The condensed human similarities y contain inf.")
        if missing == "raise" and np.isnan(values).any():
            raise ValueError(
                "The condensed human similarities y contain NaN." + _IGNORE_HINT
            )
        _check_rated(values)
        _check_not_constant(values)
        return HumanPairs(-values if target == "dissimilarity" else values, target)
    if len(values) == n_images:
        raise ValueError(
            f"y is a vector of {n_images} values, one per image, but AIS compares "
            "pairs of images. Pass the human similarity matrix (a DataFrame "
            "labelled by item ids) or its condensed upper triangle (length "
            f"{n_pairs}); to compare images by the distance of one rating each, "
            "pass target='embedding'."
        )
    raise ValueError(
        f"y is a vector of {len(values)} values, but X has {n_images} images: a "
        f"condensed upper triangle would have {n_pairs} values. (The condensed "
        "form does not survive cross-validation, which slices its values as "
        "rows: use a DataFrame labelled by item ids.)"
    )


def _from_embeddings(y, n_images, similarity):
    values = _to_float(y)
    if values.ndim not in (1, 2):
        raise ValueError(f"Target embeddings y must be 1-D or 2-D; got {values.shape}.")
    if values.shape[0] != n_images:
        raise ValueError(
            f"y holds {values.shape[0]} target embeddings but X has {n_images} images."
        )
    if not np.isfinite(values).all():
        raise ValueError(
            "The target embeddings y contain NaN or infinite values "
            "(missing='ignore' leaves out unrated pairs of a similarity matrix; "
            "an embedding has no pairs to leave out)."
        )
    # Cosine or correlation of single numbers is only ever +-1 or 0, so 1-D
    # targets (one rating per image) are compared by distance.
    if values.ndim == 1 or values.shape[1] == 1:
        values, similarity = values.reshape(-1, 1), "euclidean"
    pairs = pair_similarities(values, similarity)
    _check_not_constant(pairs)
    return HumanPairs(pairs, "embedding")


def read_human_pairs(
    y, n_images, *, target="auto", similarity="cosine", ids=None, missing="raise"
):
    """The human pair similarities of ``n_images`` images, read from ``y``.

    Parameters
    ----------
    y : DataFrame, array-like or Series
        The human judgments, following the conventions of this module.
    n_images : int
        Number of images (rows of ``X``) they must describe.
    target : {"auto", "similarity", "dissimilarity", "embedding"}, default="auto"
        What ``y`` holds. ``"auto"`` reads a matrix's diagonal.
    similarity : str, default="cosine"
        Similarity that compares target embeddings (``target="embedding"``).
    ids : pandas.Index or None, default=None
        The item ids ``X`` carries (see :func:`item_ids`), checked against the
        ids of ``y`` where it has them.
    missing : {"raise", "ignore"}, default="raise"
        What a NaN pair of a matrix or condensed ``y`` means: an error, or an
        unrated pair (NaN on both sides of the diagonal), kept as NaN in the
        result. At least 3 pairs must be rated.

    Returns
    -------
    HumanPairs
    """
    if y is None:
        raise ValueError(
            "This estimator requires y to be passed, but the target y is None: "
            "pass the human similarity matrix, ideally as a pandas DataFrame "
            "whose index and columns are the item ids."
        )
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}; got {target!r}.")
    if missing not in MISSING:
        raise ValueError(f"missing must be one of {MISSING}; got {missing!r}.")
    check_n_images(n_images)
    if target == "embedding":
        check_ids(ids, item_ids(y))
        return _from_embeddings(y, n_images, similarity)
    if isinstance(y, pd.DataFrame):
        check_ids(ids, y.index)
        matrix = labelled_matrix(y)
        if len(matrix) != n_images:
            raise ValueError(
                f"y describes {len(matrix)} items but X has {n_images} images."
            )
        return _from_matrix(matrix, target, missing)
    values = _to_float(y)
    if values.ndim == 1:
        return _from_vector(values, n_images, target, missing)
    if values.ndim != 2:
        raise ValueError(f"y must be 1-D or 2-D; got shape {values.shape}.")
    rows, columns = values.shape
    if rows < columns:
        raise ValueError(
            f"y has shape {values.shape}: fewer rows than columns. This looks "
            "like a square similarity matrix whose rows were sliced "
            "(cross-validation slices only the rows of y). Pass y as a pandas "
            "DataFrame whose index and columns are the item ids, so that each "
            "split can take its own block, e.g. pd.DataFrame(H, index=ids, "
            "columns=ids). If y really holds target embeddings, pass "
            "target='embedding'."
        )
    if rows > columns:
        raise ValueError(
            f"y has shape {values.shape}, which is not a square similarity "
            "matrix. If its rows are target embeddings (one per image), pass "
            "target='embedding'."
        )
    if rows != n_images:
        raise ValueError(f"y describes {rows} items but X has {n_images} images.")
    return _from_matrix(values, target, missing)


def read_cross_judgments(
    y, n_new, *, target, new_ids=None, fitted_ids=None, missing="raise"
):
    """Human similarities of ``n_new`` new images to the fitted images.

    The rectangular block ``(n_new, n_fitted)`` of a similarity matrix, rows
    the new images and columns the fitted ones, read in the orientation of
    similarities (a dissimilarity block is negated, as in
    :func:`read_human_pairs`).

    Parameters
    ----------
    y : DataFrame or array-like of shape (n_new, n_fitted)
        The block. A DataFrame's index is checked against ``new_ids`` and its
        columns against ``fitted_ids``, in order, where those are known.
    n_new : int
        Number of new images (rows of ``X``).
    target : {"similarity", "dissimilarity"}
        How the fitted matrix was read (a rectangular block has no diagonal
        to read).
    new_ids, fitted_ids : pandas.Index or None, default=None
        Item ids of the new and of the fitted images.
    missing : {"raise", "ignore"}, default="raise"
        Whether a NaN (an unrated pair, kept as NaN) is an error.

    Returns
    -------
    ndarray of shape (n_new, n_fitted)
    """
    if target not in ("similarity", "dissimilarity"):
        raise ValueError(
            f"The explainer was fitted with target={target!r}; judgments of new "
            "images against the fitted ones must be a (n_new, n_fitted) block of "
            "a similarity or dissimilarity matrix. Fit with target='similarity' "
            "or 'dissimilarity' and a matrix y."
        )
    if y is None:
        raise ValueError(
            "y is None: pass the human similarities of the new images (rows) to "
            "the fitted images (columns)."
        )
    if isinstance(y, pd.DataFrame):
        _refuse_unnamed_columns(y)
        if new_ids is not None and not _row_positions(new_ids, y.index):
            _check_block_ids(new_ids, y.index, "index (rows)", "X")
        if fitted_ids is not None:
            _check_block_ids(fitted_ids, y.columns, "columns", "the fitted images")
        values = _to_float(y.select_dtypes(include="number"))
        if values.shape[1] != y.shape[1]:
            raise ValueError(
                "Every column of y must hold numbers (similarities to a fitted "
                "image); read a CSV with pd.read_csv(path, index_col=0)."
            )
    else:
        values = _to_float(y)
    if values.ndim != 2 or values.shape[0] != n_new:
        raise ValueError(
            f"y must have one row per new image ({n_new}) and one column per "
            f"fitted image; got shape {values.shape}."
        )
    if np.isinf(values).any():
        raise ValueError("y contains infinite values.")
    if missing == "raise" and np.isnan(values).any():
        raise ValueError("y contains NaN values." + _IGNORE_HINT)
    return -values if target == "dissimilarity" else values


def _check_block_ids(expected, labels, where, whose):
    """Raise unless ``labels`` are the ids ``expected``, in order (as strings)."""
    if (
        len(labels) == len(expected)
        and (_as_strings(labels) == _as_strings(expected)).all()
    ):
        return
    raise ValueError(
        f"The {where} of y must be the ids of {whose}, in the same order; got "
        f"{_show(labels)}, expected {_show(expected)}. Select the block with "
        "y.loc[new_ids, fitted_ids]; nothing is realigned silently."
    )


def reading_reason(target, target_, *, zero_diagonal=None, cli=False):
    """Why ``y`` was read as ``target_``, in one line, with the way to say otherwise.

    Parameters
    ----------
    target : str
        The ``target`` that was asked for (``"auto"`` reads the diagonal).
    target_ : str
        How ``y`` was read.
    zero_diagonal : bool or None, default=None
        Whether the diagonal is all zeros, where known.
    cli : bool, default=False
        Give the other reading as a command-line option (``--target``).

    Returns
    -------
    str
    """
    if target != "auto":
        option = f"--target {target}" if cli else f"target={target!r}"
        return f"{option} was given: read as {target_} values"
    other = "dissimilarity" if target_ == "similarity" else "similarity"
    option = f"--target {other}" if cli else f"target={other!r}"
    if target_ == "similarity":
        seen = "largest value of every row on the diagonal"
    elif zero_diagonal:
        seen = "zero diagonal"
    else:
        seen = "smallest value of every row on the diagonal"
    plural = {"similarity": "similarities", "dissimilarity": "dissimilarities"}
    return (
        f"{seen}: read as {plural[target_]}; say {option} if it holds {plural[other]}"
    )


def read_target(y, *, target="auto", cli=False):
    """How a square human matrix ``y`` is read, and why, before any work.

    Parameters
    ----------
    y : DataFrame or array-like of shape (n_images, n_images)
        The human matrix (a DataFrame labelled by item ids).
    target : {"auto", "similarity", "dissimilarity"}, default="auto"
        What ``y`` holds, as passed to the estimators.
    cli : bool, default=False
        Give the other reading as a command-line option (``--target``).

    Returns
    -------
    target_ : str
        ``"similarity"`` or ``"dissimilarity"``, as the estimators read it.
    reason : str
        Why, with how to say otherwise.
    """
    matrix = labelled_matrix(y) if isinstance(y, pd.DataFrame) else _to_float(y)
    target_ = _resolve_target(target, matrix)
    zero = bool(np.all(np.diag(matrix) == 0))
    return target_, reading_reason(target, target_, zero_diagonal=zero, cli=cli)
