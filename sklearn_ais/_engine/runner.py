"""The one task runner: families of masked networks, scored chunk by chunk.

Every estimator computes AIS through these functions: ``leave_one_out_ais``
(the selector's and the explainer's ``fit``), ``selection_path`` (the
selector's path) and ``cross_ais`` (the explainer's ``explain``). Chunks of a family run
in joblib threads (numpy, torch and the compiled kernels release the GIL);
joblib's ``pre_dispatch`` makes only a few tasks at a time, so only a few
chunks are in memory whatever the number of maps. Each chunk is scored
against the human pairs as soon as it is made. ``joblib.parallel_config``
chooses the backend.
"""

from typing import NamedTuple

import numpy as np
from joblib import Parallel, delayed
from tqdm.auto import tqdm


def _run_and_score(task, score):
    return score(task())


def run_family(family, score, *, n_jobs=None, description="", verbose=0):
    """Run a family's tasks and score each chunk; yields the scores in order.

    Parameters
    ----------
    family : Family
        The chunk tasks.
    score : callable
        Turns a ``ChunkResult`` into whatever is yielded; runs in the worker.
    n_jobs : int or None, default=None
        Threads.
    description : str, default=""
        Label of the progress bar.
    verbose : int, default=0
        Show a progress bar when non-zero.
    """
    jobs = (delayed(_run_and_score)(task, score) for task in family.tasks)
    parallel = Parallel(n_jobs=n_jobs, prefer="threads", return_as="generator")
    yield from tqdm(
        parallel(jobs),
        total=family.n_chunks,
        desc=description,
        unit="chunk",
        disable=not verbose,
    )


def _scored_slices(engine, family, score, *, n_jobs, **progress):
    """Yield ``(start, stop, score(chunk))`` of a family's chunks, in order.

    The family runs through ``run_family`` in the engine's
    ``parallel_tasks`` context.
    """

    def scored(chunk):
        return chunk.start, chunk.stop, score(chunk)

    with engine.parallel_tasks(n_jobs) as n_jobs:
        yield from run_family(family, scored, n_jobs=n_jobs, **progress)


class AISScores(NamedTuple):
    """Alignment Importance Scores from one leave-one-out pass.

    Attributes
    ----------
    full_score : float
        2OI of the full model.
    ais : ndarray of shape (n_maps,) or None
        Dataset AIS: ``full_score`` minus the 2OI with map ``k`` masked in
        every image.
    full_score_per_image : ndarray of shape (n_images,) or None
        Each image's 2OI with every map kept: the correlation of its ``n - 1``
        model similarities with its ``n - 1`` human similarities.
    ais_per_image : ndarray of shape (n_images, n_maps) or None
        ``full_score_per_image[t]`` minus image ``t``'s 2OI with map ``k``
        masked in image ``t`` alone.
    """

    full_score: float
    ais: np.ndarray | None
    full_score_per_image: np.ndarray | None
    ais_per_image: np.ndarray | None


def leave_one_out_ais(
    engine,
    human_pairs,
    comparison,
    *,
    dataset=True,
    per_image=False,
    n_jobs=None,
    verbose=0,
):
    """Dataset and per-image AIS of every map, from one pass over the maps.

    Parameters
    ----------
    engine : MaskedEngine
        The engine of the images' maps.
    human_pairs : ndarray of shape (n_pairs,)
        The human pair similarities.
    comparison : str
        How model and human similarities are compared.
    dataset, per_image : bool
        Which AIS to compute.
    n_jobs : int or None, default=None
        Threads.
    verbose : int, default=0
        Progress bar when non-zero.

    Returns
    -------
    AISScores
    """
    human = engine.pair_comparison(human_pairs, comparison)
    full_score = human.score(engine.full())
    if not np.isfinite(full_score):
        raise ValueError(
            "The model's pair similarities are constant across all pairs of "
            "images (for example all embeddings are zero or identical), so "
            "their correlation with the human similarities is undefined."
        )
    ais = ais_per_image = full_score_per_image = None
    if dataset:
        ais = np.empty(engine.n_maps)
    if per_image:
        images = engine.per_image_comparison(human_pairs, comparison)
        full_score_per_image = images.score(engine.full_per_image()[None])[:, 0]
        ais_per_image = np.empty((engine.n_images, engine.n_maps))

    def score(chunk):
        left_out = None if chunk.pairs is None else human.score_many(chunk.pairs)
        masked = None if chunk.per_image is None else images.score(chunk.per_image)
        return left_out, masked

    family = engine.leave_one_out(dataset=dataset, per_image=per_image)
    label = " + ".join(
        name
        for name, wanted in (("dataset", dataset), ("per image", per_image))
        if wanted
    )
    progress = {"n_jobs": n_jobs, "verbose": verbose, "description": f"AIS ({label})"}
    for start, stop, (left_out, masked) in _scored_slices(
        engine, family, score, **progress
    ):
        if dataset:
            ais[start:stop] = full_score - left_out
        if per_image:
            ais_per_image[:, start:stop] = full_score_per_image[:, None] - masked
    return AISScores(full_score, ais, full_score_per_image, ais_per_image)


def cross_ais(engine, reference, human, comparison, *, n_jobs=None, verbose=0):
    """Per-image AIS of new images against fitted ones, from the cross family.

    New image ``t``'s score is the correlation of its similarities to the
    fitted images' unmasked embeddings with its human similarities to them;
    its AIS for map ``k`` is the drop when ``k`` is masked in ``t``.

    Parameters
    ----------
    engine : MaskedEngine
        The engine of the new images' maps.
    reference : ndarray of shape (n_reference, embedding_dim)
        The fitted images' unmasked embeddings.
    human : ndarray of shape (n_images, n_reference)
        Human similarities of the new images to the fitted ones (NaN:
        unrated).
    comparison : str
        How model and human similarities are compared.
    n_jobs : int or None, default=None
        Threads.
    verbose : int, default=0
        Progress bar when non-zero.

    Returns
    -------
    full_score_per_image : ndarray of shape (n_images,)
        Each new image's score with every map kept.
    ais_per_image : ndarray of shape (n_images, n_maps)
        ``full_score_per_image[t]`` minus the score with map ``k`` masked.
    """
    images = engine.cross_comparison(human, comparison)
    full_score = images.score(engine.full_cross(reference)[None])[:, 0]
    ais = np.empty((engine.n_images, engine.n_maps))

    progress = {"n_jobs": n_jobs, "verbose": verbose, "description": "AIS (new images)"}
    family = engine.cross(reference)
    for start, stop, masked in _scored_slices(
        engine, family, lambda chunk: images.score(chunk.cross), **progress
    ):
        ais[:, start:stop] = full_score[:, None] - masked
    return full_score, ais


def selection_path(engine, order, human_pairs, comparison, *, n_jobs=None, verbose=0):
    """2OI of every prefix ``order[:m]``, shape ``(n_maps,)``.

    Parameters
    ----------
    engine : MaskedEngine
        The engine of the images' maps.
    order : array-like of shape (n_maps,)
        The order in which maps are added.
    human_pairs : ndarray of shape (n_pairs,)
        The human pair similarities.
    comparison : str
        How model and human similarities are compared.
    n_jobs : int or None, default=None
        Threads.
    verbose : int, default=0
        Progress bar when non-zero.
    """
    human = engine.pair_comparison(human_pairs, comparison)
    path = np.empty(engine.n_maps)

    progress = {"n_jobs": n_jobs, "verbose": verbose, "description": "Selection path"}
    family = engine.prefixes(order)
    for start, stop, scores in _scored_slices(
        engine, family, lambda chunk: human.score_many(chunk.pairs), **progress
    ):
        path[start:stop] = scores
    return path
