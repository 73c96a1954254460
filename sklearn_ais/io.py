"""Reading a study's files: the human matrix, per-subject matrices, images.

These are the readers of ``sklearn-ais run`` (:func:`sklearn_ais.cli.main`),
usable from Python on the files researchers produce:

* :func:`read_similarity`: the human matrix as a labelled DataFrame, from a
  ``.csv``/``.tsv`` written by ``DataFrame.to_csv`` (ids in the first column
  and the header row), or a ``.npy``/``.mat`` array with an ids file.
* :func:`read_subjects`: per-subject matrices for the noise ceiling, a folder
  of labelled ``.csv``/``.tsv`` files or one ``.npy`` of shape
  ``(n_subjects, n, n)``.
* :func:`match_images`: the image files of a folder, matched to the ids by
  file-name stem.

Nothing is matched by position or sorted name: ids are read from the files
and every mismatch is an error that lists what was found. The errors name
the command's options, as the command reports them: ``--similarity`` and
``--ids`` are :func:`read_similarity`'s ``path`` and ``ids_file``,
``--subjects`` is :func:`read_subjects`' ``path``, ``--images`` is
:func:`match_images`' ``directory``.
"""

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ._human import labelled_matrix, read_human_pairs

__all__ = ["match_images", "read_similarity", "read_subjects", "subject_files"]

MATRIX_FORMATS = (".csv", ".tsv", ".npy", ".mat")
LABELLED_FORMATS = (".csv", ".tsv")
# Ids or file names shown in an error, at most.
SHOWN = 10


def _show(names):
    names = [str(n) for n in names]
    shown = ", ".join(names[:SHOWN])
    return shown + (f", ... ({len(names)} in all)" if len(names) > SHOWN else "")


def _square(values, path, how):
    if values.ndim != 2 or values.shape[0] != values.shape[1]:
        raise ValueError(
            f"The matrix {path} is not square: {how} gives shape "
            f"{values.shape}; it must be n x n for n images."
        )


def _read_ids(path, n):
    """Ids from a text file, one a line, in the matrix's order."""
    ids = [line.strip() for line in Path(path).read_text().splitlines()]
    ids = [i for i in ids if i]
    if len(ids) != n:
        raise ValueError(
            f"--ids {path} holds {len(ids)} ids (one a line) but the matrix "
            f"is {n} x {n}."
        )
    duplicated = pd.Index(ids)[pd.Index(ids).duplicated()]
    if len(duplicated):
        raise ValueError(f"--ids {path} has duplicated ids: {_show(duplicated)}.")
    return ids


def _read_array(path, variable):
    if path.suffix.lower() == ".npy":
        if variable is not None:
            raise ValueError("--variable is for .mat files; the matrix is a .npy.")
        return np.load(path, allow_pickle=False), "np.load"
    from scipy.io import loadmat

    contents = {k: v for k, v in loadmat(path).items() if not k.startswith("__")}
    if variable is not None:
        if variable not in contents:
            raise ValueError(
                f"--variable {variable!r} is not in {path}; it holds "
                f"{_show(sorted(contents))}."
            )
        return np.asarray(contents[variable]), f"variable {variable!r}"
    if len(contents) != 1:
        raise ValueError(
            f"{path} holds {len(contents)} variables ({_show(sorted(contents))}): "
            "name the matrix with --variable NAME."
        )
    ((name, value),) = contents.items()
    return np.asarray(value), f"variable {name!r}"


def read_similarity(path, *, ids_file=None, variable=None):
    """Read a human similarity (or dissimilarity) matrix as a labelled DataFrame.

    A ``.csv`` or ``.tsv`` file carries its ids in its first column and its
    header row, as ``DataFrame.to_csv`` writes a labelled matrix; it is read
    with ``index_col=0`` and checked as the estimators check ``y``. A
    ``.npy`` or ``.mat`` array carries no ids: ``ids_file`` names a text file
    of the ids, one a line, in the order of the matrix's rows. The values are
    not changed: what the matrix holds is read later from its diagonal (the
    estimators' ``target="auto"``).

    Parameters
    ----------
    path : str or path-like
        The matrix: ``.csv``, ``.tsv``, ``.npy`` or ``.mat``, square.
    ids_file : str or path-like, default=None
        The ids of a ``.npy`` or ``.mat`` matrix, one per line (blank lines
        ignored), no duplicates; required for those formats, refused for
        ``.csv``/``.tsv``.
    variable : str, default=None
        The matrix's variable in a ``.mat`` file holding several.

    Returns
    -------
    y : DataFrame of shape (n_images, n_images)
        The matrix, float, with the ids as strings for its index and, in the
        same order, its columns.

    Raises
    ------
    ValueError
        For an unknown format, a matrix that is not square, ids that are not
        the matrix's (a CSV written without its index), a missing or wrong
        ids file, or an ambiguous ``.mat`` file.
    FileNotFoundError
        When ``path`` is not a file.

    See Also
    --------
    read_subjects : Per-subject matrices over the same ids.
    match_images : The image files of the ids.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn_ais.io import read_similarity
    >>> folder = Path(tempfile.mkdtemp())
    >>> ids = ["cat", "dog", "car"]
    >>> H = pd.DataFrame(
    ...     [[1.0, 0.8, 0.1], [0.8, 1.0, 0.2], [0.1, 0.2, 1.0]], index=ids, columns=ids
    ... )
    >>> H.to_csv(folder / "similarity.csv")
    >>> read_similarity(folder / "similarity.csv")
         cat  dog  car
    cat  1.0  0.8  0.1
    dog  0.8  1.0  0.2
    car  0.1  0.2  1.0

    An array carries no ids: give them in a text file, in the array's order.

    >>> np.save(folder / "similarity.npy", H.to_numpy())
    >>> _ = (folder / "ids.txt").write_text("cat\\ndog\\ncar\\n")
    >>> y = read_similarity(folder / "similarity.npy", ids_file=folder / "ids.txt")
    >>> y.equals(read_similarity(folder / "similarity.csv"))
    True
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in MATRIX_FORMATS:
        raise ValueError(
            f"--similarity {path}: unknown format {suffix!r}; expected one of "
            f"{', '.join(MATRIX_FORMATS)}."
        )
    if not path.is_file():
        raise FileNotFoundError(f"--similarity {path}: no such file.")
    if suffix in LABELLED_FORMATS:
        if ids_file is not None or variable is not None:
            raise ValueError(
                f"{path} carries its ids (first column and header row): "
                "--ids and --variable are for .npy and .mat matrices."
            )
        return _read_labelled(path)
    values, how = _read_array(path, variable)
    _square(values, path, how)
    if ids_file is None:
        raise ValueError(
            f"{path} carries no ids: give --ids FILE, one id per line in the "
            "matrix's order (ids are matched to the image file names' stems)."
        )
    ids = _read_ids(ids_file, len(values))
    values = labelled_matrix(pd.DataFrame(values, index=ids, columns=ids))
    return pd.DataFrame(values, index=ids, columns=ids)


def _read_labelled(path):
    """A .csv/.tsv matrix with its ids in the first column and header row."""
    sep = "," if path.suffix.lower() == ".csv" else "\t"
    frame = pd.read_csv(path, index_col=0, sep=sep)
    _square(frame.to_numpy(), path, "reading the first column as the ids")
    values = labelled_matrix(frame)
    ids = [str(i) for i in frame.index]
    return pd.DataFrame(values, index=ids, columns=ids)


def _subject_frame(frame, ids, name):
    """A subject's labelled matrix in the order of ``ids``; its ids must be
    the same set."""
    known, own = set(ids), set(frame.index)
    if known != own:
        problems = []
        if known - own:
            problems.append(f"ids missing: {_show([i for i in ids if i not in own])}")
        if own - known:
            extra = [i for i in frame.index if i not in known]
            problems.append(f"ids not in the similarity matrix: {_show(extra)}")
        raise ValueError(
            f"--subjects {name}: its ids differ from the similarity matrix's "
            f"({'; '.join(problems)})."
        )
    return frame.loc[ids, ids]


def subject_files(directory):
    """List the per-subject matrix files of a folder, by file name.

    Every ``.csv`` or ``.tsv`` file of the folder counts (the extension in
    any case); hidden files (a name starting with ``.``) and sub-folders are
    ignored. These are the files :func:`read_subjects` reads, in its order.

    Parameters
    ----------
    directory : str or path-like
        The folder.

    Returns
    -------
    list of pathlib.Path
        The files, sorted by path.

    See Also
    --------
    read_subjects : Reads these files.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_ais.io import subject_files
    >>> folder = Path(tempfile.mkdtemp())
    >>> for name in ["s2.csv", "s1.tsv", ".s0.csv", "notes.txt"]:
    ...     _ = (folder / name).write_text("")
    >>> [path.name for path in subject_files(folder)]
    ['s1.tsv', 's2.csv']
    """
    return sorted(
        p
        for p in Path(directory).iterdir()
        if p.is_file()
        and not p.name.startswith(".")
        and p.suffix.lower() in LABELLED_FORMATS
    )


def read_subjects(path, ids):
    """Read per-subject matrices over the images of the main matrix.

    The matrices of the noise ceiling
    (:func:`~sklearn_ais.model_selection.noise_ceiling`). A folder: every
    ``.csv``/``.tsv`` file in it (:func:`subject_files`) is one subject's
    matrix, labelled like the main matrix (ids in the first column and the
    header row, as ``DataFrame.to_csv`` writes them; the same ids in any
    order), read in file-name order. A ``.npy`` file: an array of shape
    ``(n_subjects, n, n)`` (``np.save`` of the stacked matrices) whose rows
    and columns follow ``ids``. At least 2 subjects, and each must rate every
    pair (no NaN off the diagonal).

    Parameters
    ----------
    path : str or path-like
        A folder of ``.csv``/``.tsv`` files or a ``.npy`` file.
    ids : list of str
        The ids of the main matrix (``read_similarity(...).index``), in its
        order.

    Returns
    -------
    frames : list of DataFrame of shape (n_images, n_images)
        Each subject's matrix, rows and columns in the order of ``ids``.
    names : list of str
        Each subject's name: its file name, or ``"subject k"`` for the
        ``k``-th matrix of a ``.npy``.

    Raises
    ------
    ValueError
        For ids that differ from ``ids``, a ``.npy`` of another shape, fewer
        than 2 subjects, an unrated pair, or another kind of path.
    FileNotFoundError
        For a ``.npy`` path that is not a file.

    See Also
    --------
    read_similarity : The main matrix, whose ids these follow.

    Examples
    --------
    Each subject's dissimilarities (an RDM of their ratings' features),
    saved as labelled CSV files:

    >>> from pathlib import Path
    >>> from tempfile import mkdtemp
    >>> import numpy as np
    >>> import pandas as pd
    >>> from scipy.spatial.distance import pdist, squareform
    >>> from sklearn_ais.io import read_subjects
    >>> ids, folder = ["cat", "dog", "car"], Path(mkdtemp())
    >>> rng = np.random.default_rng(0)
    >>> for k in range(3):
    ...     rdm = squareform(pdist(rng.random((3, 5))))
    ...     pd.DataFrame(rdm, index=ids, columns=ids).to_csv(folder / f"s{k}.csv")
    >>> frames, names = read_subjects(folder, ids)
    >>> names
    ['s0.csv', 's1.csv', 's2.csv']
    >>> list(frames[0].index)
    ['cat', 'dog', 'car']

    The same matrices stacked in one array, in the order of ``ids``:

    >>> np.save(folder / "subjects.npy", np.stack([f.to_numpy() for f in frames]))
    >>> frames, names = read_subjects(folder / "subjects.npy", ids)
    >>> names
    ['subject 0', 'subject 1', 'subject 2']
    """
    path = Path(path)
    if path.is_dir():
        files = subject_files(path)
        frames = [_subject_frame(_read_labelled(f), ids, f.name) for f in files]
        names = [f.name for f in files]
    elif path.suffix.lower() == ".npy" and path.is_file():
        values = np.load(path, allow_pickle=False)
        n = len(ids)
        if values.ndim != 3 or values.shape[1:] != (n, n):
            raise ValueError(
                f"--subjects {path}: shape {values.shape}; expected "
                f"(n_subjects, {n}, {n}), one matrix per subject with rows and "
                "columns in the order of the similarity matrix's ids."
            )
        frames = [pd.DataFrame(v, index=ids, columns=ids) for v in values]
        names = [f"subject {k}" for k in range(len(frames))]
    elif path.suffix.lower() == ".npy":
        raise FileNotFoundError(f"--subjects {path}: no such file.")
    else:
        raise ValueError(
            f"--subjects {path}: expected a folder of .csv/.tsv matrices (one "
            "per subject) or a .npy array of shape (n_subjects, n, n)."
        )
    if len(frames) < 2:
        raise ValueError(
            f"--subjects {path}: a noise ceiling needs at least 2 subjects; "
            f"found {len(frames)}."
        )
    off_diagonal = ~np.eye(len(ids), dtype=bool)
    for name, frame in zip(names, frames):
        if np.isnan(frame.to_numpy(dtype=float)[off_diagonal]).any():
            raise ValueError(
                f"--subjects: {name} has unrated (empty) pairs; the noise "
                "ceiling needs every subject to rate every pair."
            )
    return frames, names


def _subjects_target(frames, names, target):
    """What every subject's matrix holds, read before any work is done.

    With ``auto``, each matrix's diagonal is read: largest of every row for
    similarities, smallest for dissimilarities (then also so in every test
    block). Every subject must hold the same kind, so that their mean
    matrices mean something.
    """
    kinds = {
        name: read_human_pairs(frame, len(frame), target=target).target
        for name, frame in zip(names, frames)
    }
    if len(set(kinds.values())) > 1:
        listed = "; ".join(f"{name}: {kind}" for name, kind in kinds.items())
        raise ValueError(
            "--subjects: the matrices do not all hold the same kind of values "
            f"(read by their diagonals: {listed[:300]}); give "
            "--subjects-target similarity or dissimilarity."
        )
    return next(iter(kinds.values()))


def match_images(directory, ids):
    """Find the image file of each id in a folder, by file-name stem.

    The image of id ``cat7`` is the file ``cat7.png`` (or ``.jpg``, or any
    extension PIL reads). Hidden files and files of other extensions are
    ignored. Every id must have exactly one image and every image an id;
    both lists are in the error otherwise. Nothing is matched by sorted
    order.

    Parameters
    ----------
    directory : str or path-like
        The folder of the images.
    ids : list of str
        The ids (``read_similarity(...).index``), in the matrix's order.

    Returns
    -------
    images : Series of str
        The path of each id's image, indexed by the ids in their order: the
        ``X`` of a featurizer, whose feature maps then carry the ids.

    Raises
    ------
    ValueError
        When ids and images do not match, or two images share a stem.
    FileNotFoundError
        When ``directory`` is not a folder.

    See Also
    --------
    read_similarity : The matrix whose ids these match.

    Examples
    --------
    >>> from sklearn_ais.io import match_images
    >>> import numpy as np
    >>> from PIL import Image
    >>> from pathlib import Path
    >>> from tempfile import mkdtemp
    >>> folder = Path(mkdtemp())
    >>> pixels = np.zeros((8, 8, 3), np.uint8)
    >>> for name in ["car", "cat", "dog"]:
    ...     Image.fromarray(pixels).save(folder / f"{name}.png")
    >>> images = match_images(folder, ["cat", "dog", "car"])
    >>> [Path(path).name for path in images]
    ['cat.png', 'dog.png', 'car.png']
    >>> list(images.index)
    ['cat', 'dog', 'car']
    """
    from PIL import Image

    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"--images {directory}: no such directory.")
    extensions = {e.lower() for e in Image.registered_extensions()}
    files = sorted(
        p
        for p in directory.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in extensions
    )
    by_stem = {}
    for file in files:
        if file.stem in by_stem:
            raise ValueError(
                f"--images {directory}: two images share the name {file.stem!r} "
                f"({by_stem[file.stem].name}, {file.name})."
            )
        by_stem[file.stem] = file
    known = set(ids)
    no_image = [i for i in ids if i not in by_stem]
    no_id = [by_stem[s].name for s in by_stem if s not in known]
    if no_image or no_id:
        problems = []
        if no_image:
            problems.append(f"ids without an image: {_show(no_image)}")
        if no_id:
            problems.append(f"images without an id: {_show(no_id)}")
        raise ValueError(
            f"The images of {directory} do not match the matrix's ids (matched "
            f"by file-name stem): {'; '.join(problems)}."
        )
    return pd.Series([os.fspath(by_stem[i]) for i in ids], index=pd.Index(ids))
