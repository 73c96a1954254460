"""sklearn_ais.io reads the files researchers write, and refuses what it
cannot read without guessing.

Files are made the way users make them: ``DataFrame.to_csv``, ``np.save``,
``scipy.io.savemat``, an RDM from ``scipy.spatial.distance.pdist``. The
command line's use of these readers is tested in test_cli.py.
"""

import os

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from scipy.io import savemat
from scipy.spatial.distance import pdist, squareform

from sklearn_ais.io import (
    _subjects_target,
    match_images,
    read_similarity,
    read_subjects,
    subject_files,
)

IDS = ["img10", "img2", "img1", "cat", "dog"]


@pytest.fixture
def rdm():
    """A labelled RDM from pdist, ids in a non-sorted order."""
    features = np.random.default_rng(0).normal(size=(len(IDS), 4))
    values = squareform(pdist(features))
    return pd.DataFrame(values, index=IDS, columns=IDS)


def test_csv_and_tsv_written_by_to_csv(rdm, tmp_path):
    rdm.to_csv(tmp_path / "m.csv")
    rdm.to_csv(tmp_path / "m.tsv", sep="\t")
    for name in ("m.csv", "m.tsv"):
        y = read_similarity(tmp_path / name)
        assert list(y.index) == IDS and list(y.columns) == IDS
        np.testing.assert_allclose(y.to_numpy(), rdm.to_numpy(), rtol=1e-15)
        assert y.dtypes.eq(float).all()


def test_integer_ids_are_read_as_strings(tmp_path):
    ids = [3, 1, 2]
    values = np.eye(3) + 0.5
    pd.DataFrame(values, index=ids, columns=ids).to_csv(tmp_path / "m.csv")
    y = read_similarity(tmp_path / "m.csv")
    assert list(y.index) == ["3", "1", "2"] == list(y.columns)


def test_columns_in_another_order_follow_the_index(rdm, tmp_path):
    rdm[IDS[::-1]].to_csv(tmp_path / "m.csv")
    y = read_similarity(tmp_path / "m.csv")
    assert list(y.columns) == IDS
    np.testing.assert_allclose(y.to_numpy(), rdm.to_numpy(), rtol=1e-15)


def test_npy_with_an_ids_file_keeps_its_order(rdm, tmp_path):
    np.save(tmp_path / "m.npy", rdm.to_numpy())
    (tmp_path / "ids.txt").write_text("\n".join(IDS) + "\n\n")
    y = read_similarity(tmp_path / "m.npy", ids_file=tmp_path / "ids.txt")
    pd.testing.assert_frame_equal(y, rdm)


def test_mat_from_savemat(rdm, tmp_path):
    (tmp_path / "ids.txt").write_text("\n".join(IDS))
    savemat(tmp_path / "one.mat", {"rdm": rdm.to_numpy()})
    y = read_similarity(tmp_path / "one.mat", ids_file=tmp_path / "ids.txt")
    pd.testing.assert_frame_equal(y, rdm)
    savemat(tmp_path / "two.mat", {"rdm": rdm.to_numpy(), "other": np.eye(3)})
    y = read_similarity(
        tmp_path / "two.mat", ids_file=tmp_path / "ids.txt", variable="rdm"
    )
    pd.testing.assert_frame_equal(y, rdm)
    with pytest.raises(ValueError, match=r"holds 2 variables \(other, rdm\)"):
        read_similarity(tmp_path / "two.mat", ids_file=tmp_path / "ids.txt")
    with pytest.raises(ValueError, match="'nope' is not in .*; it holds other, rdm"):
        read_similarity(
            tmp_path / "two.mat", ids_file=tmp_path / "ids.txt", variable="nope"
        )


def test_bad_matrices_are_refused(rdm, tmp_path):
    rdm.to_csv(tmp_path / "no_index.csv", index=False)
    with pytest.raises(ValueError, match="is not square: reading the first column"):
        read_similarity(tmp_path / "no_index.csv")
    rdm.to_csv(tmp_path / "m.csv")
    with pytest.raises(ValueError, match="carries its ids"):
        read_similarity(tmp_path / "m.csv", ids_file=tmp_path / "ids.txt")
    with pytest.raises(ValueError, match="unknown format '.xlsx'"):
        read_similarity(tmp_path / "m.xlsx")
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_similarity(tmp_path / "absent.csv")
    np.save(tmp_path / "m.npy", rdm.to_numpy())
    with pytest.raises(ValueError, match="carries no ids: give --ids FILE"):
        read_similarity(tmp_path / "m.npy")
    with pytest.raises(ValueError, match="--variable is for .mat files"):
        read_similarity(tmp_path / "m.npy", variable="rdm")
    np.save(tmp_path / "wide.npy", rdm.to_numpy()[:-1])
    with pytest.raises(ValueError, match=r"np.load gives shape \(4, 5\)"):
        read_similarity(tmp_path / "wide.npy", ids_file=tmp_path / "ids.txt")


def test_bad_ids_files_are_refused(rdm, tmp_path):
    np.save(tmp_path / "m.npy", rdm.to_numpy())
    (tmp_path / "short.txt").write_text("\n".join(IDS[:-1]))
    with pytest.raises(ValueError, match="holds 4 ids .* but the matrix is 5 x 5"):
        read_similarity(tmp_path / "m.npy", ids_file=tmp_path / "short.txt")
    (tmp_path / "twice.txt").write_text("\n".join([*IDS[:-1], "cat"]))
    with pytest.raises(ValueError, match="has duplicated ids: cat"):
        read_similarity(tmp_path / "m.npy", ids_file=tmp_path / "twice.txt")


def _subject_rdms(n_subjects):
    rng = np.random.default_rng(1)
    return [
        pd.DataFrame(squareform(pdist(rng.normal(size=(5, 3)))), IDS, IDS)
        for _ in range(n_subjects)
    ]


def test_subjects_from_a_folder_and_from_np_save(tmp_path):
    frames = _subject_rdms(3)
    folder = tmp_path / "raters"
    folder.mkdir()
    order = [3, 0, 4, 1, 2]
    for k, frame in enumerate(frames):
        # One file in another order of the ids: read by label.
        (frame.iloc[order, order] if k == 1 else frame).to_csv(folder / f"r{k}.csv")
    (folder / ".hidden.csv").write_text("not a matrix")
    (folder / "notes.txt").write_text("not a matrix")
    assert [p.name for p in subject_files(folder)] == ["r0.csv", "r1.csv", "r2.csv"]
    read, names = read_subjects(folder, IDS)
    assert names == ["r0.csv", "r1.csv", "r2.csv"]
    for got, expected in zip(read, frames):
        np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-15)
        assert list(got.index) == IDS
    np.save(tmp_path / "raters.npy", np.stack([f.to_numpy() for f in frames]))
    read, names = read_subjects(tmp_path / "raters.npy", IDS)
    assert names == ["subject 0", "subject 1", "subject 2"]
    for got, expected in zip(read, frames):
        pd.testing.assert_frame_equal(got, expected)
    assert _subjects_target(read, names, "auto") == "dissimilarity"


def test_bad_subjects_are_refused(tmp_path):
    good = _subject_rdms(2)

    def folder(name, frames):
        path = tmp_path / name
        path.mkdir()
        for k, frame in enumerate(frames):
            frame.to_csv(path / f"s{k}.csv")
        return path

    short = good[1].iloc[:-1, :-1]
    with pytest.raises(ValueError, match="s1.csv: its ids differ .*ids missing: dog"):
        read_subjects(folder("short", [good[0], short]), IDS)
    with pytest.raises(ValueError, match="needs at least 2 subjects; found 1"):
        read_subjects(folder("one", good[:1]), IDS)
    unrated = good[1].copy()
    unrated.iloc[0, 1] = unrated.iloc[1, 0] = np.nan
    with pytest.raises(ValueError, match="s1.csv has unrated"):
        read_subjects(folder("unrated", [good[0], unrated]), IDS)
    np.save(tmp_path / "flat.npy", good[0].to_numpy())
    with pytest.raises(ValueError, match=r"shape \(5, 5\); expected \(n_subjects"):
        read_subjects(tmp_path / "flat.npy", IDS)
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_subjects(tmp_path / "absent.npy", IDS)
    with pytest.raises(ValueError, match="expected a folder of .csv/.tsv"):
        read_subjects(tmp_path / "s.mat", IDS)
    mixed = [good[0], -good[1]]
    with pytest.raises(ValueError, match="s0: dissimilarity; s1: similarity"):
        _subjects_target(mixed, ["s0", "s1"], "auto")


def _save_images(folder, names):
    folder.mkdir()
    pixels = np.zeros((4, 4, 3), np.uint8)
    for name in names:
        Image.fromarray(pixels).save(folder / name)


def test_images_follow_the_ids(tmp_path):
    _save_images(tmp_path / "photos", ["img1.png", "img10.jpg", "img2.PNG"])
    (tmp_path / "photos" / ".img3.png").write_bytes(b"")
    (tmp_path / "photos" / "ids.txt").write_text("")
    images = match_images(tmp_path / "photos", ["img10", "img2", "img1"])
    assert list(images.index) == ["img10", "img2", "img1"]
    assert [os.path.basename(p) for p in images] == [
        "img10.jpg",
        "img2.PNG",
        "img1.png",
    ]


def test_unmatched_images_are_listed(tmp_path):
    _save_images(tmp_path / "photos", ["a.png", "b.png", "c.png"])
    with pytest.raises(
        ValueError, match="ids without an image: d; images without an id: c.png"
    ):
        match_images(tmp_path / "photos", ["a", "b", "d"])
    _save_images(tmp_path / "twice", ["a.png", "a.jpg"])
    with pytest.raises(ValueError, match="two images share the name 'a'"):
        match_images(tmp_path / "twice", ["a"])
    with pytest.raises(FileNotFoundError, match="no such directory"):
        match_images(tmp_path / "absent", ["a"])
