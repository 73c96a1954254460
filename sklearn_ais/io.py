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
and every mismatch is an error that lists what was found. Ids are text, read
as written (``000`` stays ``000``, ``NA`` is an id) and compared in one
Unicode normal form (NFC), so that a file name a macOS folder stores
decomposed (NFD) matches the id typed in the matrix. Files are read as UTF-8
(a byte-order mark is dropped); what cannot be read without guessing (another
encoding, ``;`` between fields with decimal commas, an empty file, a ``.npy``
that ``np.save`` did not write) is refused with the file's name and the fix.
The errors name the command's options, as the command reports them:
``--similarity`` and ``--ids`` are :func:`read_similarity`'s ``path`` and
``ids_file``, ``--subjects`` is :func:`read_subjects`' ``path``, ``--images``
is :func:`match_images`' ``directory``.
"""

import io
import os
import unicodedata
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


def _nfc(name):
    """An id or file-name stem in one Unicode normal form."""
    return unicodedata.normalize("NFC", str(name))


def _read_text(path, option):
    """The text of a file as UTF-8, a byte-order mark dropped."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{option} {path}: no such file.")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{option} {path} is not UTF-8 text (byte {data[error.start]:#04x} "
            f"at position {error.start} is not UTF-8): it was likely saved in "
            "another encoding, such as Latin-1 or Windows-1252 (the plain "
            "'CSV' of Excel). Re-save it as UTF-8 (in Excel: 'CSV UTF-8')."
        ) from None
    if not text.strip():
        raise ValueError(f"{option} {path} is empty.")
    return text


def _refuse_semicolons(text, path, option):
    """Refuse a CSV of ``;``-separated fields (Excel where ``,`` is the
    decimal separator) rather than guess its separator and decimals."""
    first = next(line for line in text.splitlines() if line.strip())
    if ";" in first and "," not in first:
        raise ValueError(
            f"{option} {path} separates its fields with ';' (its first line has "
            "';' and no ','), as Excel writes a CSV where the decimal separator "
            "is a comma; sklearn-ais reads ',' between fields and '.' decimals "
            "and does not guess. Re-save it so, e.g. in Python: "
            "pd.read_csv(path, sep=';', decimal=',', index_col=0, "
            "dtype={0: str}, keep_default_na=False, na_values=['']).to_csv(path)."
        )


def _refuse_other_values(values, path, option, columns):
    """Refuse a value that is not a number (nor empty, nor NA)."""
    for position, dtype in enumerate(values.dtypes):
        if pd.api.types.is_numeric_dtype(dtype):
            continue
        column = values.iloc[:, position]
        bad = column[pd.to_numeric(column, errors="coerce").isna() & column.notna()]
        value = str(bad.iloc[0])
        hint = ""
        if value.replace(",", "", 1).lstrip("-").isdigit():
            hint = (
                " It looks like a decimal comma: write the numbers with '.' "
                "decimals (in Python: pd.read_csv(..., decimal=',') then to_csv)."
            )
        raise ValueError(
            f"{option} {path}: column {columns[position]!r} holds {value!r}, "
            f"which is not a number (empty cells and NA are unrated pairs).{hint}"
        )


def _read_ids(path, n):
    """Ids from a text file, one a line, in the matrix's order."""
    text = _read_text(path, "--ids")
    ids = [_nfc(line.strip()) for line in text.splitlines()]
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


def _load_npy(path, option):
    """An array that ``np.save`` wrote, or an error that says what the file is."""
    with open(path, "rb") as file:
        start = file.read(64)
    if not start:
        raise ValueError(f"{option} {path} is empty.")
    if not start.startswith(b"\x93NUMPY"):
        if b"\0" in start:
            what = "not an array that np.save wrote"
        else:
            what = f"a text file (it starts {start[:20].decode('utf-8', 'replace')!r})"
        raise ValueError(
            f"{option} {path} is named .npy but is {what}. A .npy is written "
            "by np.save; a matrix with its ids in the first column and header "
            "row is read from a .csv or .tsv file: rename it so."
        )
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as error:
        raise ValueError(
            f"{option} {path} could not be read as a .npy array of numbers: {error}"
        ) from None


def _read_array(path, variable):
    if path.suffix.lower() == ".npy":
        if variable is not None:
            raise ValueError("--variable is for .mat files; the matrix is a .npy.")
        return _load_npy(path, "--similarity"), "np.load"
    from scipy.io import loadmat

    if path.stat().st_size == 0:
        raise ValueError(f"--similarity {path} is empty.")
    try:
        contents = loadmat(path)
    except NotImplementedError as error:
        raise ValueError(
            f"--similarity {path} could not be read ({error}): save it from "
            "MATLAB with save(..., '-v7')."
        ) from None
    except (ValueError, TypeError, OSError) as error:
        raise ValueError(
            f"--similarity {path} could not be read as a MATLAB .mat file: {error}"
        ) from None
    contents = {k: v for k, v in contents.items() if not k.startswith("__")}
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
    header row, as ``DataFrame.to_csv`` writes a labelled matrix; its ids
    are read as text (``000`` stays ``000``, ``NA`` is an id: in Python,
    ``pd.read_csv(path, index_col=0, dtype={0: str}, keep_default_na=False,
    na_values=[""])`` reads such a file alike), its values as numbers (an
    empty cell or ``NA`` is an unrated pair), and it is checked as the
    estimators check ``y``. A
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
        ignored), no duplicates, UTF-8 (a byte-order mark is dropped);
        required for those formats, refused for ``.csv``/``.tsv``.
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
        ids file, or an ambiguous ``.mat`` file; for a file that is empty,
        not UTF-8, a CSV with ``;`` between fields (Excel's with decimal
        commas), a value that is not a number, or a ``.npy`` that
        ``np.save`` did not write. The error names the file.
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
        return _read_labelled(path, "--similarity")
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


def _read_labelled(path, option):
    """A .csv/.tsv matrix with its ids in the first column and header row.

    The ids are read as text (no number or NA parsing) and the values as
    numbers, empty cells and NA as NaN.
    """
    text = _read_text(path, option)
    sep = "," if path.suffix.lower() == ".csv" else "\t"
    if sep == ",":
        _refuse_semicolons(text, path, option)
    try:
        table = pd.read_csv(
            io.StringIO(text), sep=sep, header=None, dtype=str, na_filter=False
        )
        values = pd.read_csv(io.StringIO(text), sep=sep, header=None, skiprows=1)
    except pd.errors.ParserError as error:
        raise ValueError(
            f"{option} {path} could not be read as a table of "
            f"{'comma' if sep == ',' else 'tab'}-separated fields: {error}"
        ) from None
    values = values.iloc[:, 1:]
    _square(values.to_numpy(), path, "reading the first column as the ids")
    ids = [_nfc(i) for i in table.iloc[1:, 0]]
    columns = [_nfc(c) for c in table.iloc[0, 1:]]
    _refuse_other_values(values, path, option, columns)
    if set(ids) != set(columns) and len(set(ids)) == len(ids):
        raise ValueError(
            f"{option} {path}: the ids of its first column and of its header "
            f"row differ (first column: {_show(ids)}; header row: "
            f"{_show(columns)}); they must be the same ids, in any order."
        )
    values = labelled_matrix(pd.DataFrame(values.to_numpy(), ids, columns))
    return pd.DataFrame(values, index=ids, columns=ids)


def _subject_frame(frame, ids, name):
    """A subject's labelled matrix in the order of ``ids``; its ids must be
    the same set (compared in NFC)."""
    given, ids = ids, [_nfc(i) for i in ids]
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
    frame = frame.loc[ids, ids]
    frame.index, frame.columns = list(given), list(given)
    return frame


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
        frames = [
            _subject_frame(_read_labelled(f, "--subjects"), ids, f.name) for f in files
        ]
        names = [f.name for f in files]
    elif path.suffix.lower() == ".npy" and path.is_file():
        values = _load_npy(path, "--subjects")
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
        stem = _nfc(file.stem)
        if stem in by_stem:
            raise ValueError(
                f"--images {directory}: two images share the name {stem!r} "
                f"({by_stem[stem].name}, {file.name})."
            )
        by_stem[stem] = file
    keys = [_nfc(i) for i in ids]
    known = set(keys)
    no_image = [i for i, key in zip(ids, keys) if key not in by_stem]
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
    return pd.Series([os.fspath(by_stem[k]) for k in keys], index=pd.Index(ids))
