import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from sklearn_ais import _mur92
from sklearn_ais._files import file_sha256
from sklearn_ais._mur92 import FILES_SHA256, load_mur92

# The repository is cloned beside ``shared/`` (here and in CI): its data root
# is the default of SKLEARN_AIS_DATA, as in scripts/replicate_mur92.py.
PROJECT_DATA = Path(__file__).parents[2] / "shared" / "data"
EXAMPLE = Path(__file__).parents[1] / "scripts" / "replicate_mur92.py"


def _data_root():
    return os.environ.get("SKLEARN_AIS_DATA", str(PROJECT_DATA))


@pytest.fixture(scope="module")
def mur92_dir():
    """The files, found as load_mur92() and the example find them."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SKLEARN_AIS_DATA", _data_root())
        try:
            return _mur92._resolve_dir(None, download=False)
        except FileNotFoundError as exc:
            pytest.skip(str(exc))


@pytest.fixture(scope="module")
def data(mur92_dir):
    return load_mur92(data_home=mur92_dir)


@pytest.fixture
def no_default_dirs(monkeypatch, tmp_path):
    """Keep the real environment variable and home directory out of reach."""
    monkeypatch.delenv("SKLEARN_AIS_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.fixture
def fake_urlopen(monkeypatch, mur92_dir):
    """pooch's downloader serves the local files; records requested URLs."""
    requested = []

    def serve(corrupt=()):
        def download(url, output_file, pooch_instance, check_only=False):
            requested.append(url)
            name = url.rsplit("/", 1)[-1]
            payload = bytearray((mur92_dir / name).read_bytes())
            if name in corrupt:
                payload[len(payload) // 2] ^= 0xFF
            Path(output_file).write_bytes(bytes(payload))

        monkeypatch.setattr(_mur92, "_downloader", lambda: download)
        return requested

    return serve


def test_shapes_and_dtypes(data):
    assert data.images.shape == (92, 175, 175, 3)
    assert data.images.dtype == np.uint8
    assert data.subject_dissimilarities.shape == (16, 92, 92)
    assert data.dissimilarity.shape == (92, 92)
    assert data.similarity.shape == (92, 92)
    assert data.categories.shape == (92, 5)
    assert data.category_vectors.shape == (92, 12)
    assert set(data.neural_dissimilarities) == {"mIT_674neurons", "hITvisStim_316vx"}
    assert "Mur" in data.DESCR


def test_subject_frames_are_the_subject_matrices_labelled(data):
    frames = data.subject_dissimilarity_frames
    assert len(frames) == 16
    for frame, matrix in zip(frames, data.subject_dissimilarities):
        assert list(frame.index) == list(frame.columns) == data.ids
        np.testing.assert_array_equal(frame.to_numpy(), matrix)


def test_ids_are_aligned(data):
    assert data.ids == [f"mur{i:02d}" for i in range(92)]
    frames = [
        data.dissimilarity,
        data.similarity,
        *data.neural_dissimilarities.values(),
    ]
    for frame in frames:
        assert isinstance(frame, pd.DataFrame)
        assert list(frame.index) == data.ids
        assert list(frame.columns) == data.ids
    assert list(data.categories.index) == data.ids
    assert list(data.category_vectors.index) == data.ids


def test_dissimilarities_symmetric_with_zero_diagonal(data):
    mean = data.dissimilarity.to_numpy()
    np.testing.assert_array_equal(mean, mean.T)
    np.testing.assert_array_equal(np.diag(mean), 0.0)
    assert 0 <= mean.min() and mean.max() < 0.05
    subjects = data.subject_dissimilarities
    np.testing.assert_array_equal(subjects, subjects.transpose(0, 2, 1))
    np.testing.assert_array_equal(np.diagonal(subjects, axis1=1, axis2=2), 0.0)
    np.testing.assert_allclose(mean, subjects.mean(axis=0), rtol=1e-12)
    for frame in data.neural_dissimilarities.values():
        np.testing.assert_array_equal(frame, frame.T)
        np.testing.assert_array_equal(np.diag(frame), 0.0)


def test_similarity_transform(data):
    sim = data.similarity.to_numpy()
    dis = data.dissimilarity.to_numpy()
    np.testing.assert_allclose(sim, 1 - dis / dis.max())
    np.testing.assert_array_equal(np.diag(sim), 1.0)
    assert sim.min() == 0.0


def test_inter_subject_agreement_matches_readme(data):
    upper = np.triu_indices(92, k=1)
    vectors = data.subject_dissimilarities[:, upper[0], upper[1]]
    rho = spearmanr(vectors, axis=1).statistic
    mean_rho = rho[np.triu_indices(16, k=1)].mean()
    assert mean_rho == pytest.approx(0.34, abs=0.01)


def test_categories(data):
    cats = data.categories
    assert cats["category"].value_counts().to_dict() == {
        "natural inanimate": 23,
        "artificial inanimate": 21,
        "human bodypart": 12,
        "human face": 12,
        "nonhuman bodypart": 12,
        "nonhuman face": 12,
    }
    for flag in ("human", "face", "animal", "natural"):
        assert cats[flag].dtype == bool
    category = cats["category"]
    np.testing.assert_array_equal(cats["human"], category.str.startswith("human"))
    np.testing.assert_array_equal(cats["face"], category.str.endswith("face"))
    np.testing.assert_array_equal(cats["animal"], ~category.str.endswith("inanimate"))
    np.testing.assert_array_equal(cats["natural"], category != "artificial inanimate")
    np.testing.assert_array_equal(data.category_vectors["animate"], cats["animal"])
    np.testing.assert_array_equal(data.category_vectors["face"], cats["face"])


def test_neural_rdms_reflect_animacy(data):
    # Guards the condensed-to-square conversion: a wrong order would destroy
    # the well-known animate/inanimate split of IT.
    animal = data.categories["animal"].to_numpy()
    split = animal[:, None] != animal[None, :]
    upper = np.triu_indices(92, k=1)
    for frame in data.neural_dissimilarities.values():
        rho = spearmanr(frame.to_numpy()[upper], split[upper]).statistic
        assert rho > 0.3


def test_files_match_published_sha256(mur92_dir):
    for name, expected in FILES_SHA256.items():
        assert file_sha256(mur92_dir / name) == expected


def test_corrupted_local_file_raises(mur92_dir, tmp_path):
    for name in FILES_SHA256:
        shutil.copy(mur92_dir / name, tmp_path / name)
    target = tmp_path / _mur92.BEHAVIOUR_FILE
    payload = bytearray(target.read_bytes())
    payload[-1] ^= 0xFF
    target.write_bytes(bytes(payload))
    with pytest.raises(OSError, match="SHA-256"):
        load_mur92(data_home=tmp_path)


def test_missing_files_error(tmp_path):
    with pytest.raises(FileNotFoundError) as excinfo:
        load_mur92(data_home=tmp_path)
    message = str(excinfo.value)
    assert str(tmp_path) in message
    assert "download=True" in message
    assert _mur92.BEHAVIOUR_FILE in message


def test_missing_files_error_lists_default_dirs(no_default_dirs, tmp_path):
    with pytest.raises(FileNotFoundError, match="sklearn_ais_data"):
        load_mur92()


def test_environment_variable(monkeypatch, mur92_dir, data):
    # Both the data root (holding ``mur92/``) and the directory itself work.
    for value in (mur92_dir.parent, mur92_dir):
        monkeypatch.setenv("SKLEARN_AIS_DATA", str(value))
        loaded = load_mur92()
        pd.testing.assert_frame_equal(loaded.dissimilarity, data.dissimilarity)


def test_download(fake_urlopen, tmp_path, data):
    requested = fake_urlopen()
    target = tmp_path / "new" / "dir"
    loaded = load_mur92(data_home=target, download=True)
    assert sorted(p.name for p in target.iterdir()) == sorted(FILES_SHA256)
    assert len(requested) == 2
    for url in requested:
        assert url.startswith("https://raw.githubusercontent.com/rsagroup/rsatoolbox/")
        assert "f1f83cadb7243492a1aae7460466e0f0140b20ac/demos/92imageData/" in url
    np.testing.assert_array_equal(loaded.images, data.images)
    pd.testing.assert_frame_equal(loaded.dissimilarity, data.dissimilarity)

    # The files are there now: no second download.
    load_mur92(data_home=target, download=True)
    assert len(requested) == 2


def test_download_only_missing_file(fake_urlopen, mur92_dir, tmp_path):
    shutil.copy(mur92_dir / _mur92.STIMULI_FILE, tmp_path)
    requested = fake_urlopen()
    load_mur92(data_home=tmp_path, download=True)
    assert [url.rsplit("/", 1)[-1] for url in requested] == [_mur92.BEHAVIOUR_FILE]


def test_download_goes_to_default_dir(fake_urlopen, no_default_dirs, tmp_path):
    fake_urlopen()
    load_mur92(download=True)
    home_dir = tmp_path / "home" / "sklearn_ais_data" / "mur92"
    assert sorted(p.name for p in home_dir.iterdir()) == sorted(FILES_SHA256)


def test_corrupted_download_raises_and_leaves_nothing(fake_urlopen, tmp_path):
    fake_urlopen(corrupt={_mur92.STIMULI_FILE})
    with pytest.raises(OSError, match="SHA-256"):
        load_mur92(data_home=tmp_path, download=True)
    # The good file is kept, the corrupted one (and its partial) is gone.
    assert [p.name for p in tmp_path.iterdir()] == [_mur92.BEHAVIOUR_FILE]


def test_network_error_leaves_nothing(monkeypatch, tmp_path):
    def download(url, output_file, pooch_instance, check_only=False):
        Path(output_file).write_bytes(b"partial")
        raise ConnectionError("no network")

    monkeypatch.setattr(_mur92, "_downloader", lambda: download)
    with pytest.raises(ConnectionError):
        load_mur92(data_home=tmp_path, download=True)
    assert list(tmp_path.iterdir()) == []


def _run_example(env_data, home):
    env = {**os.environ, "SKLEARN_AIS_DATA": str(env_data), "HOME": str(home)}
    return subprocess.run(
        [sys.executable, str(EXAMPLE)], env=env, capture_output=True, text=True
    )


def test_example_looks_where_the_variable_points(tmp_path):
    # The directories the error message lists are those the example searched.
    result = _run_example(tmp_path / "elsewhere", tmp_path / "home")
    assert result.returncode != 0
    assert "FileNotFoundError" in result.stderr
    assert str(tmp_path / "elsewhere" / "mur92") in result.stderr
    assert "SKLEARN_AIS_DATA" in result.stderr


@pytest.mark.slow
def test_example_replicates_with_the_variable(mur92_dir, tmp_path):
    result = _run_example(mur92_dir, tmp_path / "home")
    assert result.returncode == 0, result.stderr
    assert "Mur92: 92 images" in result.stdout
    assert "Retained" in result.stdout
