"""Loader for the Mur et al. (2013) similarity judgments of the 92 images.

The files are not shipped with the package: they are read from a local
directory or downloaded once (with pooch) from the public rsatoolbox
repository, pinned to one commit and checked against their SHA-256 digests.
"""

import os
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.io import loadmat
from scipy.spatial.distance import squareform
from sklearn.utils import Bunch
from sklearn.utils._param_validation import validate_params

from ._files import file_sha256

N_IMAGES = 92

_RSATOOLBOX_COMMIT = "f1f83cadb7243492a1aae7460466e0f0140b20ac"
_BASE_URL = (
    "https://raw.githubusercontent.com/rsagroup/rsatoolbox/"
    f"{_RSATOOLBOX_COMMIT}/demos/92imageData/"
)
BEHAVIOUR_FILE = "92_behavRDMs.mat"
STIMULI_FILE = "Kriegeskorte_Neuron2008_supplementalData.mat"
FILES_SHA256 = {
    BEHAVIOUR_FILE: "7a8e118c144c3840adeeeef6ea0706a0be2b3e80df719af15fbb56fc62562f5f",
    STIMULI_FILE: "06f21214399a5d43dc264eed19a7f4b8daf11c8622a59eec3e106064ce5e3504",
}
_ENV_VAR = "SKLEARN_AIS_DATA"
_SUBDIR = "mur92"

_DESCR = """\
Mur et al. (2013) human similarity judgments of 92 object images
----------------------------------------------------------------

The 92 colour photographs of isolated objects on a grey background used by
Kriegeskorte et al. (2008): human and non-human faces and bodies, natural and
artificial inanimate objects (175 x 175 pixels each).

Sixteen people arranged the images on a computer screen by drag and drop, so
that the distance between two images expressed their dissimilarity (the
multi-arrangement method). Each subject's arrangement gives a 92 x 92
dissimilarity matrix (RDM) with a zero diagonal.

:Number of images: 92
:Number of subjects: 16
:Dissimilarity: mean of the 16 subject RDMs (values about 0 to 0.03)
:Similarity: ``1 - dissimilarity / max(dissimilarity)``, in [0, 1], with 1 on
    the diagonal (a monotone transform: rank-based scores do not change)
:Noise ceiling: the mean Spearman correlation between two subjects'
    dissimilarities (upper triangles) is about 0.34
:Source: rsatoolbox repository (MIT licence), ``demos/92imageData/``, commit
    f1f83cadb7243492a1aae7460466e0f0140b20ac

References
----------
- Mur, M., Meys, M., Bodurka, J., Goebel, R., Bandettini, P. A. and
  Kriegeskorte, N. (2013). Human object-similarity judgments reflect and
  transcend the primate-IT object representation. Frontiers in Psychology,
  4, 128.
- Kriegeskorte, N., Mur, M., Ruff, D. A., Kiani, R., Bodurka, J., Esteky, H.,
  Tanaka, K. and Bandettini, P. A. (2008). Matching categorical object
  representations in inferior temporal cortex of man and monkey. Neuron,
  60(6), 1126-1141.
"""


def _candidate_dirs(data_home):
    """Directories searched for the files, in order."""
    if data_home is not None:
        return [Path(data_home).expanduser()]
    candidates = []
    env = os.environ.get(_ENV_VAR)
    if env:
        # The variable names a data root holding ``mur92/``; a directory
        # holding the files themselves is accepted too.
        root = Path(env).expanduser()
        candidates += [root / _SUBDIR, root]
    candidates.append(Path.home() / "sklearn_ais_data" / _SUBDIR)
    return candidates


def _has_files(directory):
    return all((directory / name).is_file() for name in FILES_SHA256)


def _downloader():
    """pooch's HTTP downloader (tests replace this function: no network)."""
    import pooch

    return pooch.HTTPDownloader(progressbar=False, timeout=60)


def _download(name, directory):
    """Download one file into ``directory`` with pooch, checked by SHA-256.

    pooch writes to a temporary file that becomes ``name`` only once its
    digest is right, so an interrupted or corrupted download never looks
    complete.
    """
    import pooch

    try:
        pooch.retrieve(
            url=_BASE_URL + name,
            known_hash=f"sha256:{FILES_SHA256[name]}",
            fname=name,
            path=directory,
            downloader=_downloader(),
            progressbar=False,
        )
    except ValueError as error:  # pooch's digest mismatch
        raise OSError(
            f"The downloaded file {name} does not have the published SHA-256 "
            f"{FILES_SHA256[name]}; it was removed. Try again, or place the "
            f"file in {directory} by hand. ({error})"
        ) from error


def _check_digests(directory):
    for name, expected in FILES_SHA256.items():
        actual = file_sha256(directory / name)
        if actual != expected:
            raise OSError(
                f"{directory / name} has SHA-256 {actual}, expected {expected}. "
                "The file is corrupted or is not the published one: delete it "
                "and call load_mur92(download=True), or copy it again from the "
                "rsatoolbox repository."
            )


def _resolve_dir(data_home, download):
    candidates = _candidate_dirs(data_home)
    for directory in candidates:
        if _has_files(directory):
            return directory
    if not download:
        searched = "\n".join(f"  - {d}" for d in candidates)
        raise FileNotFoundError(
            f"The Mur92 files {BEHAVIOUR_FILE} and {STIMULI_FILE} were not "
            f"found. Searched:\n{searched}\nCall load_mur92(download=True) to "
            "download them (about 4.6 MB) from the rsatoolbox repository "
            f"(demos/92imageData/, commit {_RSATOOLBOX_COMMIT}), or put the "
            f"two files in one of these directories (or set {_ENV_VAR}, or "
            "pass data_home=...)."
        )
    directory = candidates[0]
    for name in FILES_SHA256:
        if not (directory / name).is_file():
            _download(name, directory)
    return directory


def _scalar(value):
    """Unwrap a MATLAB scalar or string loaded as a nested array."""
    return np.asarray(value).ravel()[0]


@validate_params(
    {"data_home": [str, os.PathLike, None], "download": ["boolean"]},
    prefer_skip_nested_validation=True,
)
def load_mur92(*, data_home=None, download=False):
    """Load the Mur et al. (2013) similarity judgments of the 92 images.

    Sixteen people arranged the 92 object images of Kriegeskorte et al.
    (2008) by similarity. This returns the images, the subjects'
    dissimilarity matrices, their mean, and the images' category labels.
    Both files are checked against their published SHA-256 digests.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Directory holding ``92_behavRDMs.mat`` and
        ``Kriegeskorte_Neuron2008_supplementalData.mat`` (and where they are
        downloaded to). When None, the directories searched are
        ``$SKLEARN_AIS_DATA/mur92``, then ``$SKLEARN_AIS_DATA`` itself (when
        the environment variable is set), then ``~/sklearn_ais_data/mur92``;
        a download goes to the first of them.
    download : bool, default=False
        Whether to download missing files from the public rsatoolbox
        repository (``demos/92imageData/``, pinned commit). When False and a
        file is missing, a ``FileNotFoundError`` says where it was looked for.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        images : ndarray of shape (92, 175, 175, 3), dtype uint8
            The stimuli, in the order of the matrices.
        dissimilarity : pandas.DataFrame of shape (92, 92)
            Mean over the 16 subjects of their dissimilarity matrices
            (values about 0 to 0.03, zero diagonal, symmetric). Index and
            columns are ``ids``.
        similarity : pandas.DataFrame of shape (92, 92)
            ``1 - dissimilarity / dissimilarity.max()``: in [0, 1] with 1 on
            the diagonal. It is a decreasing monotone transform, so Spearman
            based scores equal those computed on ``-dissimilarity``.
        subject_dissimilarities : ndarray of shape (16, 92, 92)
            The dissimilarity matrix of each subject.
        subject_dissimilarity_frames : list of pandas.DataFrame
            The same 16 matrices, each 92 x 92 with index and columns
            ``ids`` (ready to pass as ``y``).
        categories : pandas.DataFrame of shape (92, 5)
            Per image: ``category`` (one of "human bodypart", "human face",
            "nonhuman bodypart", "nonhuman face", "natural inanimate",
            "artificial inanimate") and the boolean flags ``human``, ``face``,
            ``animal`` (animate) and ``natural``. Index is ``ids``.
        category_vectors : pandas.DataFrame of shape (92, 12)
            The boolean category and subset memberships published with the
            stimuli (columns such as "animate", "inanim", "face", "natObj",
            "rand24", "monkeyape"). Index is ``ids``.
        neural_dissimilarities : dict of str to pandas.DataFrame
            The inferior temporal cortex dissimilarities of Kriegeskorte et
            al. (2008): ``"mIT_674neurons"`` (monkey) and
            ``"hITvisStim_316vx"`` (human fMRI), each 92 x 92.
        ids : list of str
            Item ids ``"mur00"`` to ``"mur91"``.
        DESCR : str
            Description of the dataset.

    Raises
    ------
    FileNotFoundError
        When a file is missing and ``download`` is False.
    OSError
        When a file's SHA-256 digest is not the published one (a downloaded
        file with a wrong digest is removed), or the download fails.

    See Also
    --------
    make_comparison_images : Generated images with generated similarities.

    Examples
    --------
    >>> from sklearn_ais.datasets import load_mur92
    >>> data = load_mur92(download=True)  # doctest: +SKIP
    >>> data.images.shape  # doctest: +SKIP
    (92, 175, 175, 3)
    """
    directory = _resolve_dir(data_home, download)
    _check_digests(directory)

    ids = [f"mur{i:02d}" for i in range(N_IMAGES)]

    behaviour = loadmat(directory / BEHAVIOUR_FILE)["rdms_behav_92"].ravel()
    subject_rdms = np.stack([np.asarray(s["RDM"], dtype=np.float64) for s in behaviour])
    mean_rdm = subject_rdms.mean(axis=0)
    # The subject matrices are symmetric with an exact zero diagonal; enforce
    # it on the mean so float noise cannot break downstream checks.
    mean_rdm = (mean_rdm + mean_rdm.T) / 2
    np.fill_diagonal(mean_rdm, 0.0)
    dissimilarity = pd.DataFrame(mean_rdm, index=ids, columns=ids)
    similarity = 1.0 - dissimilarity / mean_rdm.max()

    supplement = loadmat(directory / STIMULI_FILE)
    stimuli = supplement["stimuli_92objs"].ravel()
    images = np.stack([np.asarray(s["image"], dtype=np.uint8) for s in stimuli])
    categories = pd.DataFrame(
        {
            "category": [str(_scalar(s["category"])) for s in stimuli],
            **{
                flag: [bool(_scalar(s[flag])) for s in stimuli]
                for flag in ("human", "face", "animal", "natural")
            },
        },
        index=ids,
    )
    category_vectors = pd.DataFrame(
        supplement["categoryVectors"].astype(bool),
        index=ids,
        columns=[str(_scalar(label)) for label in supplement["categoryLabels"].ravel()],
    )
    # The IT matrices are stored as condensed upper triangles (MATLAB pdist
    # order, the same as scipy's squareform).
    neural = {
        str(_scalar(entry["name"])): pd.DataFrame(
            squareform(np.asarray(entry["RDM"], dtype=np.float64).ravel()),
            index=ids,
            columns=ids,
        )
        for entry in supplement["RDMs_mIT_hIT_fig1"].ravel()
    }

    return Bunch(
        images=images,
        dissimilarity=dissimilarity,
        similarity=similarity,
        subject_dissimilarities=subject_rdms,
        subject_dissimilarity_frames=[
            pd.DataFrame(rdm, index=ids, columns=ids) for rdm in subject_rdms
        ],
        categories=categories,
        category_vectors=category_vectors,
        neural_dissimilarities=neural,
        ids=ids,
        DESCR=_DESCR,
    )
