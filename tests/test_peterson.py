"""load_peterson2018 on a small fixture written in the layout it reads."""

import numpy as np
import pytest
from PIL import Image

from sklearn_ais.datasets import load_peterson2018

# Names whose sorted order is not their numeric order: the rows follow the
# sorted file names, as the authors' sorted(Path.glob("*")) does.
NAMES = {"animals": ["img1", "img10", "img2"], "fruits": ["a", "b", "c", "d"]}


def _write(root, names=NAMES, sizes=None):
    matrices = {}
    for category, stems in names.items():
        folder = root / "original" / category / "images"
        folder.mkdir(parents=True)
        for k, stem in enumerate(stems):
            Image.new("RGB", (8, 6), (10 * k, 0, 0)).save(folder / f"{stem}.png")
        n = (sizes or {}).get(category, len(stems))
        matrix = np.arange(n * n, dtype=float).reshape(n, n)
        matrices[category] = matrix + matrix.T
    (root / "original" / "animals" / "images" / ".DS_Store").write_bytes(b"x")
    np.savez(root / "hsim_peterson.npz", **matrices)
    return matrices


def test_reads_the_layout_in_file_name_order(tmp_path):
    matrices = _write(tmp_path)
    data = load_peterson2018(tmp_path)
    assert data.categories == ["animals", "fruits"]
    animals = data.similarity["animals"]
    assert list(animals.index) == list(animals.columns) == ["img1", "img10", "img2"]
    np.testing.assert_array_equal(animals.to_numpy(), matrices["animals"])
    paths = data.images["animals"]
    assert list(paths.index) == ["img1", "img10", "img2"]
    assert [p.rsplit("/", 1)[-1] for p in paths] == [
        "img1.png",
        "img10.png",
        "img2.png",
    ]
    assert load_peterson2018(tmp_path, categories=["fruits"]).categories == ["fruits"]
    assert "file-name order" in data.DESCR


def test_counts_must_match(tmp_path):
    _write(tmp_path, sizes={"fruits": 5})
    with pytest.raises(ValueError, match="holds 4 images but the 'fruits' matrix"):
        load_peterson2018(tmp_path)


def test_missing_pieces(tmp_path):
    with pytest.raises(FileNotFoundError, match="hsim_peterson.npz"):
        load_peterson2018(tmp_path)
    _write(tmp_path)
    with pytest.raises(ValueError, match="not keys of"):
        load_peterson2018(tmp_path, categories=["boats"])
