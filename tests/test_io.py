"""sklearn_ais.io reads the files researchers write, and refuses what it
cannot read without guessing.

Files are made the way users make them: ``DataFrame.to_csv``, ``np.save``,
``scipy.io.savemat``, an RDM from ``scipy.spatial.distance.pdist``. The
command line's use of these readers is tested in test_cli.py.
"""

import os
import unicodedata

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


# --- ids as text, files as their viewers show them ------------------------------

TEXT_IDS = ["000", "001", "010", "NA", "1e3"]


def _text_id_matrix():
    values = np.eye(5) + 0.5
    values[0, 1] = values[1, 0] = np.nan  # an unrated pair: an empty cell
    return pd.DataFrame(values, index=TEXT_IDS, columns=TEXT_IDS)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_zero_padded_and_na_ids_are_text(tmp_path, encoding):
    frame = _text_id_matrix()
    frame.to_csv(tmp_path / "m.csv", encoding=encoding)
    frame.to_csv(tmp_path / "m.tsv", sep="\t", encoding=encoding)
    for name in ("m.csv", "m.tsv"):
        y = read_similarity(tmp_path / name)
        assert list(y.index) == TEXT_IDS == list(y.columns)
        pd.testing.assert_frame_equal(y, frame)
    # The call the docs and errors give Python users reads it alike.
    python = pd.read_csv(
        tmp_path / "m.csv",
        index_col=0,
        dtype={0: str},
        keep_default_na=False,
        na_values=[""],
        encoding=encoding,
    )
    pd.testing.assert_frame_equal(python.rename_axis(None), frame)


def test_na_values_written_by_r_are_unrated_pairs(tmp_path):
    # R's write.csv: quoted ids, an empty first header cell, NA for missing.
    (tmp_path / "m.csv").write_text(
        '"","a","b","c"\n"a",1,NA,0.2\n"b",NA,1,0.3\n"c",0.2,0.3,1\n'
    )
    y = read_similarity(tmp_path / "m.csv")
    assert list(y.index) == ["a", "b", "c"]
    assert np.isnan(y.loc["a", "b"]) and y.loc["c", "b"] == 0.3


def test_ids_file_with_a_bom_keeps_text_ids(tmp_path):
    frame = _text_id_matrix()
    np.save(tmp_path / "m.npy", frame.to_numpy())
    (tmp_path / "ids.txt").write_text("\n".join(TEXT_IDS) + "\n", "utf-8-sig")
    y = read_similarity(tmp_path / "m.npy", ids_file=tmp_path / "ids.txt")
    pd.testing.assert_frame_equal(y, frame)


def test_ids_and_file_names_compare_in_nfc(tmp_path):
    ids = [unicodedata.normalize("NFC", i) for i in ["café", "naïve", "plain"]]
    # macOS folders store names decomposed (NFD); the matrix holds NFC ids.
    names = [unicodedata.normalize("NFD", i) + ".png" for i in ids]
    assert names[0] != ids[0] + ".png"
    _save_images(tmp_path / "photos", names)
    images = match_images(tmp_path / "photos", ids)
    assert list(images.index) == ids
    assert [os.path.basename(p) for p in images] == names
    # Ids written decomposed into the matrix are read in NFC.
    nfd = [unicodedata.normalize("NFD", i) for i in ids]
    pd.DataFrame(np.eye(3), nfd, nfd).to_csv(tmp_path / "m.csv")
    assert list(read_similarity(tmp_path / "m.csv").index) == ids
    assert list(match_images(tmp_path / "photos", nfd).index) == nfd
    # And a subject's file with decomposed ids matches the main ids.
    folder = tmp_path / "raters"
    folder.mkdir()
    for k in range(2):
        pd.DataFrame(np.eye(3), nfd, nfd).to_csv(folder / f"s{k}.csv")
    frames, _ = read_subjects(folder, ids)
    assert list(frames[1].index) == ids


def test_files_read_only_by_guessing_are_refused(rdm, tmp_path):
    rdm.to_csv(tmp_path / "excel.csv", sep=";", decimal=",")
    with pytest.raises(ValueError, match=r"--similarity .*excel.csv separates .* ';'"):
        read_similarity(tmp_path / "excel.csv")
    rdm.to_csv(tmp_path / "comma.tsv", sep="\t", decimal=",")
    with pytest.raises(ValueError, match=r"comma.tsv: column .* decimal comma"):
        read_similarity(tmp_path / "comma.tsv")
    latin = rdm.rename(index={"cat": "café"}, columns={"cat": "café"})
    latin.to_csv(tmp_path / "latin.csv", encoding="latin-1")
    with pytest.raises(ValueError, match=r"latin.csv is not UTF-8 text .*Latin-1"):
        read_similarity(tmp_path / "latin.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ValueError, match=r"--similarity .*empty.csv is empty"):
        read_similarity(tmp_path / "empty.csv")
    (tmp_path / "empty.npy").write_bytes(b"")
    with pytest.raises(ValueError, match=r"empty.npy is empty"):
        read_similarity(tmp_path / "empty.npy", ids_file=tmp_path / "ids.txt")
    rdm.to_csv(tmp_path / "text.npy")
    with pytest.raises(ValueError, match=r"text.npy is named .npy but is a text"):
        read_similarity(tmp_path / "text.npy", ids_file=tmp_path / "ids.txt")
    with pytest.raises(ValueError, match=r"--subjects .*text.npy is named .npy"):
        read_subjects(tmp_path / "text.npy", IDS)
    np.save(tmp_path / "m.npy", rdm.to_numpy())
    (tmp_path / "ids.txt").write_text("")
    with pytest.raises(ValueError, match=r"--ids .*ids.txt is empty"):
        read_similarity(tmp_path / "m.npy", ids_file=tmp_path / "ids.txt")
    (tmp_path / "ids.txt").write_text("\n".join(latin.index), encoding="latin-1")
    with pytest.raises(ValueError, match=r"--ids .*ids.txt is not UTF-8"):
        read_similarity(tmp_path / "m.npy", ids_file=tmp_path / "ids.txt")
    folder = tmp_path / "raters"
    folder.mkdir()
    rdm.to_csv(folder / "s0.csv")
    rdm.to_csv(folder / "s1.csv", sep=";", decimal=",")
    with pytest.raises(ValueError, match=r"--subjects .*s1.csv separates"):
        read_subjects(folder, IDS)


def test_other_values_and_ids_are_refused_by_name(rdm, tmp_path):
    words = rdm.astype(object)
    words.iloc[1, 2] = "high"
    words.to_csv(tmp_path / "words.csv")
    with pytest.raises(ValueError, match=r"words.csv: column 'img1' holds 'high'"):
        read_similarity(tmp_path / "words.csv")
    rdm.rename(index={"cat": "kitten"}).to_csv(tmp_path / "ids.csv")
    with pytest.raises(ValueError, match=r"ids.csv: the ids of its first column"):
        read_similarity(tmp_path / "ids.csv")
