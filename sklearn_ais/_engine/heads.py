"""Torch engines: the VGG head's exact fast path and a generic chunked fallback.

Embeddings of a chunk of masked networks are computed on the engine's device
as a ``(k, n, d)`` tensor. Their sufficient statistics are reduced there in
float64: pair dot products, sums and squared norms for the dataset family;
dot products of each masked embedding with every unmasked one for the
per-image family. Only those numbers travel back to the CPU, where the same
formulas as for the GAP engine turn them into similarities. Chunks are
independent, so they may run in parallel threads.
"""

import contextlib
import copy
import functools
import threading

import numpy as np
import torch
from joblib import effective_n_jobs

from .._similarity import (
    cross_pair_similarities,
    cross_similarity_from_stats,
    pair_indices,
    pair_similarities,
    similarity_from_stats,
    unmasked_terms,
)
from .base import (
    DEFAULT_CHUNK_MB,
    ChunkResult,
    Family,
    MaskedEngine,
    chunk_bounds,
    chunk_family,
    chunk_length,
    leave_one_out_masks,
    prefix_masks,
)

_THREADS_LOCK = threading.Lock()
_THREADS = {"users": 0, "saved": None}


@contextlib.contextmanager
def _shared_threads():
    """Yield torch's thread count as it was before any engine changed it.

    Torch's thread count is global: fits running at once in threads (a
    threading joblib backend) share one saved value, restored by the last one
    to finish.
    """
    with _THREADS_LOCK:
        if _THREADS["users"] == 0:
            _THREADS["saved"] = torch.get_num_threads()
        _THREADS["users"] += 1
        saved = _THREADS["saved"]
    try:
        yield saved
    finally:
        with _THREADS_LOCK:
            _THREADS["users"] -= 1
            if _THREADS["users"] == 0:
                torch.set_num_threads(saved)


class _TorchEngine(MaskedEngine):
    """Shared part: device, chunking, and embeddings to similarities.

    Subclasses define ``_bytes_per_config``, ``_leave_one_out_embeddings(start,
    stop)`` and ``_prefix_embeddings(order, carry, start, stop)`` (each
    returning ``(k, n, d)`` embeddings) and ``_prefix_carries(order, bounds)``,
    a generator of what each prefix chunk starts from.
    """

    def __init__(self, maps, head, similarity, device, chunk_mb=DEFAULT_CHUNK_MB):
        self.device = torch.device(device)
        self.maps = torch.as_tensor(np.asarray(maps), dtype=torch.float32).to(
            self.device
        )
        self.head = head
        self.similarity = similarity
        self.chunk_mb = chunk_mb
        self.n_images, self.n_maps = self.maps.shape[:2]
        rows, cols = pair_indices(self.n_images)
        self._rows = torch.tensor(rows, device=self.device)
        self._cols = torch.tensor(cols, device=self.device)

    def _float64(self, embeddings):
        """Embeddings in float64 with their sums and squared norms.

        Shared by the dataset and per-image parts of a chunk: an embedding's
        statistics are the same in both. For Spearman similarity, the
        embeddings as a numpy array (ranked on the CPU) and no statistics.
        """
        batch = embeddings.double()
        if self.similarity == "spearman":
            return batch.cpu().numpy(), None, None
        sums = batch.sum(dim=-1).cpu().numpy()
        sq_norms = batch.pow(2).sum(dim=-1).cpu().numpy()
        return batch, sums, sq_norms

    def _pairs(self, embeddings, batch=None):
        """``(k, n, d)`` embeddings to ``(k, n_pairs)`` float64 similarities."""
        batch, sums, sq_norms = batch or self._float64(embeddings)
        if self.similarity == "spearman":
            return pair_similarities(batch, "spearman")
        gram = torch.bmm(batch, batch.transpose(1, 2))[:, self._rows, self._cols]
        return similarity_from_stats(
            self.similarity, gram.cpu().numpy(), sums, sq_norms, batch.shape[-1]
        )

    def _columns(self, full):
        """Column embeddings (float64 tensor on the device) and their terms."""
        if self.similarity == "spearman":
            return full, None
        sums, sq_norms = full.sum(dim=-1), full.pow(2).sum(dim=-1)
        terms = unmasked_terms(
            self.similarity, sums.cpu().numpy(), sq_norms.cpu().numpy(), full.shape[-1]
        )
        return full, terms

    @functools.cached_property
    def _unmasked(self):
        """Unmasked embeddings (float64, on the device) and their terms."""
        with torch.inference_mode():
            return self._columns(self._embed_all().double())

    def _per_image(self, embeddings, batch=None, columns=None):
        """``(k, n, d)`` masked embeddings to ``(k, n, m)`` similarities to columns.

        Row ``t`` of configuration ``c`` is image ``t``'s embedding in that
        configuration against every column embedding, by default the
        unmasked ones (``m = n``): with one map masked in every image, row
        ``t`` is also the embedding with that map masked in image ``t`` alone
        (an image's embedding depends on its maps only). ``columns`` (from
        ``_columns``) are other images' for the cross family.
        """
        full, terms = columns or self._unmasked
        batch, sums, sq_norms = batch or self._float64(embeddings)
        if self.similarity == "spearman":
            return cross_pair_similarities(batch, full.cpu().numpy(), "spearman")
        gram = torch.matmul(batch, full.T).cpu().numpy()
        return cross_similarity_from_stats(
            self.similarity, gram, sums, sq_norms, terms, full.shape[-1]
        )

    def _step(self, n_columns=0):
        """Masked networks per chunk, with ``n_columns`` per-image columns."""
        per_config = self._bytes_per_config() + 3 * 8 * self.n_images * n_columns
        return chunk_length(per_config, self.chunk_mb, self.n_maps)

    @contextlib.contextmanager
    def parallel_tasks(self, n_jobs):
        """Split torch's CPU threads among the tasks; yields the joblib ``n_jobs``.

        On the CPU, ``n_jobs=None`` runs one task per torch thread, each
        single-threaded: several chunks in flight, each a single-threaded
        GEMM plus its memory-bound passes, kept the cores busier than one
        chunk at a time on every thread (docs/design.md). An int ``n_jobs``
        gets that many tasks, torch's threads shared among them. Torch's
        thread count is restored on exit. Results do not change: each row
        of a product is computed the same way whatever the threads.
        """
        if self.device.type != "cpu":
            yield n_jobs
            return
        with _shared_threads() as threads:
            tasks = threads if n_jobs is None else effective_n_jobs(n_jobs)
            torch.set_num_threads(max(1, threads // tasks))
            yield tasks

    @property
    def embedding_dim(self):
        """Dimension of the head's embeddings (one image is run to find it)."""
        with torch.inference_mode():
            return self.head(self.maps[:1]).shape[-1]

    def full(self):
        """Pair similarities with every map kept, shape ``(n_pairs,)``."""
        with torch.inference_mode():
            return self._pairs(self._embed_all()[None])[0]

    def full_per_image(self):
        """Per-image similarities with every map kept, shape ``(n, n)``."""
        with torch.inference_mode():
            return self._per_image(self._embed_all()[None])[0]

    def embed(self, keep):
        """Embeddings (float32 numpy) with only the maps in ``keep`` left."""
        keep = torch.as_tensor(np.asarray(keep), device=self.device)
        with torch.inference_mode():
            masked = self.maps * keep[None, :, None, None].to(self.maps.dtype)
            return self.head(masked).float().cpu().numpy()

    def _embed_all(self):
        return self.head(self.maps)

    def leave_one_out_embeddings(self):
        """Yield ``(start, stop, embeddings)``: ``(k, n, d)`` with map ``k`` masked."""
        for start, stop in chunk_bounds(self.n_maps, self._step()):
            with torch.inference_mode():
                yield start, stop, self._leave_one_out_embeddings(start, stop)

    def prefix_embeddings(self, order):
        """Yield ``(start, stop, embeddings)``: ``(k, n, d)`` keeping ``order[:m]``."""
        bounds = chunk_bounds(self.n_maps, self._step())
        for (start, stop), carry in zip(bounds, self._prefix_carries(order, bounds)):
            with torch.inference_mode():
                yield start, stop, self._prefix_embeddings(order, carry, start, stop)

    def _leave_one_out_chunk(self, start, stop, dataset, per_image):
        # Inference mode is per thread: each task turns it on for itself.
        with torch.inference_mode():
            embeddings = self._leave_one_out_embeddings(start, stop)
            batch = self._float64(embeddings)
            pairs = self._pairs(embeddings, batch) if dataset else None
            cross = self._per_image(embeddings, batch) if per_image else None
        return ChunkResult(start, stop, pairs, cross)

    def leave_one_out(self, *, dataset=True, per_image=False):
        """The leave-one-map-out family; see :class:`MaskedEngine`."""
        bounds = chunk_bounds(self.n_maps, self._step(self.n_images * per_image))
        if per_image:
            self._unmasked  # computed once, before the threads start
        return chunk_family(bounds, self._leave_one_out_chunk, dataset, per_image)

    def _reference(self, reference):
        """Reference embeddings as columns: a float64 tensor and their terms."""
        reference = torch.as_tensor(np.asarray(reference), device=self.device)
        return self._columns(reference.double())

    def full_cross(self, reference):
        """Unmasked similarities to ``reference``; see :class:`MaskedEngine`."""
        columns = self._reference(reference)
        with torch.inference_mode():
            return self._per_image(self._embed_all()[None], columns=columns)[0]

    def _cross_chunk(self, start, stop, columns):
        with torch.inference_mode():
            embeddings = self._leave_one_out_embeddings(start, stop)
            cross = self._per_image(embeddings, columns=columns)
        return ChunkResult(start, stop, None, None, cross)

    def cross(self, reference):
        """The cross family against ``reference``; see :class:`MaskedEngine`."""
        columns = self._reference(reference)
        bounds = chunk_bounds(self.n_maps, self._step(len(reference)))
        return chunk_family(bounds, self._cross_chunk, columns)

    def _prefix_chunk(self, order, carry, start, stop):
        with torch.inference_mode():
            pairs = self._pairs(self._prefix_embeddings(order, carry, start, stop))
        return ChunkResult(start, stop, pairs, None)

    def prefixes(self, order):
        """The prefix family of ``order``; see :class:`MaskedEngine`."""
        bounds = chunk_bounds(self.n_maps, self._step())
        tasks = (
            functools.partial(self._prefix_chunk, order, carry, start, stop)
            for (start, stop), carry in zip(bounds, self._prefix_carries(order, bounds))
        )
        return Family(len(bounds), tasks)


class VGGEngine(_TorchEngine):
    """Engine for the VGG head (max-pool, fc6, ReLU, fc7, ReLU).

    Map ``k`` owns the block of fc6 inputs that its pooled values feed, so
    fc6's pre-activation is ``b6 + sum_k W6[:, block k] @ p_k``. Masking map
    ``k`` subtracts one term; a prefix of maps is a cumulative sum of terms.
    Only the ReLUs and fc7 remain to run, batched over every masked network
    of a chunk as one matrix product. The head has no train-mode behaviour
    (no dropout), and only its weights are used.
    """

    def __init__(self, maps, head, similarity, device, chunk_mb=DEFAULT_CHUNK_MB):
        super().__init__(maps, head, similarity, device, chunk_mb)
        with torch.inference_mode():
            self.pooled = head.pooled(self.maps)
            n_pooled = self.pooled.shape[-1]
            weight6 = head.fc6.weight.detach().to(self.device, torch.float32)
            self.w6 = weight6.view(weight6.shape[0], self.n_maps, n_pooled)
            self.b6 = head.fc6.bias.detach().to(self.device, torch.float32)
            self.w7 = head.fc7.weight.detach().to(self.device, torch.float32)
            self.b7 = head.fc7.bias.detach().to(self.device, torch.float32)
            self.pre6 = self.b6 + self.pooled.flatten(1) @ weight6.T
        self.n_hidden = self.w7.shape[0]

    def _embed_all(self):
        return self._fc7(self.pre6[None])[0]

    def _contributions(self, maps):
        """fc6 terms of the given maps, shape ``(k, n, hidden)``."""
        return torch.einsum("ocp,ncp->cno", self.w6[:, maps], self.pooled[:, maps])

    def _fc7(self, pre6):
        """``(k, n, hidden)`` fc6 pre-activations to ``(k, n, d)`` embeddings."""
        hidden = torch.relu(pre6)
        out = torch.addmm(self.b7, hidden.flatten(0, 1), self.w7.T)
        return torch.relu_(out).view(*pre6.shape[:2], -1)

    def _bytes_per_config(self):
        # Contributions, pre-activations, embeddings in float32, their
        # float64 copy for the statistics, and the Gram matrix.
        per_embedding = self.n_images * self.n_hidden
        return 4 * 4 * per_embedding + 8 * per_embedding + 8 * self.n_images**2

    def _leave_one_out_embeddings(self, start, stop):
        return self._fc7(self.pre6[None] - self._contributions(slice(start, stop)))

    def _prefix_carries(self, order, bounds):
        """fc6 pre-activation of the maps before each chunk, made as needed."""
        order = torch.as_tensor(np.asarray(order), device=self.device)
        carry = self.b6.expand(self.n_images, -1)
        for start, stop in bounds:
            yield carry
            with torch.inference_mode():
                maps = order[start:stop]
                pooled = self.pooled[:, maps].flatten(1)
                carry = carry + pooled @ self.w6[:, maps].flatten(1).T

    def _prefix_embeddings(self, order, carry, start, stop):
        maps = torch.as_tensor(np.asarray(order[start:stop]), device=self.device)
        pre6 = carry[None] + torch.cumsum(self._contributions(maps), dim=0)
        return self._fc7(pre6)


class GenericEngine(_TorchEngine):
    """Engine for any head: masked maps are run through the head in chunks.

    Exact by construction (it is the masking itself), and batched: a chunk of
    ``k`` masked networks runs as one forward pass over ``k * n`` inputs. The
    engine runs its own copy of the head in eval mode, so the user's module is
    never changed and chunks can run in parallel threads.
    """

    def __init__(self, maps, head, similarity, device, chunk_mb=DEFAULT_CHUNK_MB):
        head = copy.deepcopy(head).to(device).eval()
        super().__init__(maps, head, similarity, device, chunk_mb)

    def _masked_embeddings(self, keep):
        keep = torch.as_tensor(keep, device=self.device, dtype=self.maps.dtype)
        masked = self.maps[None] * keep[:, None, :, None, None]
        embeddings = self.head(masked.flatten(0, 1))
        return embeddings.view(len(keep), self.n_images, -1)

    def _bytes_per_config(self):
        # The masked maps, with room for the head's intermediate activations.
        return 4 * 4 * self.maps[0].numel() * self.n_images

    def _leave_one_out_embeddings(self, start, stop):
        return self._masked_embeddings(leave_one_out_masks(self.n_maps, start, stop))

    def _prefix_carries(self, order, bounds):
        for _ in bounds:
            yield None

    def _prefix_embeddings(self, order, carry, start, stop):
        return self._masked_embeddings(prefix_masks(np.asarray(order), start, stop))
