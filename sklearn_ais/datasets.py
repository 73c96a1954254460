"""Data sets: a synthetic problem with known ground truth, generated images
with known object masks, and loaders for real human similarity judgments."""

from ._generated_images import make_comparison_images
from ._mur92 import load_mur92
from ._peterson import load_peterson2018
from ._synthetic import make_alignment_problem

__all__ = [
    "load_mur92",
    "load_peterson2018",
    "make_alignment_problem",
    "make_comparison_images",
]
