"""The transformer head's closed form against masking and re-running the head.

ViT-B/16's head as the featurizer cuts it: 768 maps (channels) of 14 x 14
patch tokens, each token normalised by a LayerNorm(768, eps=1e-6), then the
mean over the tokens. For each number of images, the same leave-one-map-out
pass (every map masked in every image, its embeddings, the dataset AIS with
cosine similarity and Spearman comparison) runs twice on the same random
data, side by side in one run:

- the closed form (``TokenNormEngine``): token sums updated per masked map,
  one batched matrix product over tokens per chunk, in float64;
- the generic engine (``GenericEngine``): masked maps built and run through
  the same head module in float32, in chunks (the head wrapped in
  ``nn.Sequential`` so that it is not recognised).

It prints both times, their ratio, the largest AIS difference and how many
maps differ by more than 1e-6. The two agree but for near-tied pair
similarities (closer than float32 resolves) that the float64 closed form
orders and the float32 generic engine may not: with Spearman comparisons
such a swap moves a map's AIS by a rank step.

    python benchmarks/bench_transformer_head.py                  # 30, 60, 120 images
    python benchmarks/bench_transformer_head.py --sizes 120 --device cuda

Nothing is downloaded: the maps and the LayerNorm's affine weights are random.
"""

import argparse
import time

import numpy as np
import torch
from torch import nn

from sklearn_ais._engine import leave_one_out_ais, make_engine
from sklearn_ais._heads import TokenNormMeanHead
from sklearn_ais._human import read_human_pairs
from sklearn_ais.datasets import make_alignment_problem

N_MAPS, GRID = 768, 14


def vit_b_16_head(seed=0):
    """ViT-B/16's final LayerNorm with random affine weights, per token, then mean."""
    torch.manual_seed(seed)
    norm = nn.LayerNorm(N_MAPS, eps=1e-6)
    with torch.no_grad():
        norm.weight.uniform_(0.5, 1.5)
        norm.bias.uniform_(-0.1, 0.1)
    return TokenNormMeanHead(norm).eval()


def problem(n_images, seed=0):
    """Residual-stream-like maps (signed, per-channel offsets) and a matrix."""
    rng = np.random.default_rng(seed)
    offset = rng.normal(0, 1, (1, N_MAPS, 1, 1))
    maps = (rng.standard_normal((n_images, N_MAPS, GRID, GRID)) + offset).astype(
        np.float32
    )
    _, H, _ = make_alignment_problem(n_images, 16, 4, random_state=seed)
    return maps, H


def leave_one_out(maps, head, H, device, chunk_mb):
    engine = make_engine(maps, head, "cosine", device=device, chunk_mb=chunk_mb)
    pairs = read_human_pairs(H, len(maps)).pairs
    scores = leave_one_out_ais(engine, pairs, "spearman")
    if device != "cpu":
        torch.cuda.synchronize()
    return type(engine).__name__, scores.ais


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[30, 60, 120])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--chunk-mb", type=float, default=64)
    args = parser.parse_args(argv)

    head = vit_b_16_head()
    generic = nn.Sequential(head)
    print(
        f"ViT-B/16 head: {N_MAPS} maps of {GRID} x {GRID} tokens, LayerNorm per "
        f"token + mean; leave-one-out + dataset AIS (cosine, Spearman) on "
        f"{args.device}, torch threads: {torch.get_num_threads()}"
    )
    print(
        f"{'images':>6}  {'closed form':>11}  {'generic':>9}  {'ratio':>6}  "
        "max |AIS difference|  maps > 1e-6"
    )
    for n_images in args.sizes:
        maps, H = problem(n_images)
        fast_time, (fast_name, fast_ais) = timed(
            lambda: leave_one_out(maps, head, H, args.device, args.chunk_mb)
        )
        slow_time, (slow_name, slow_ais) = timed(
            lambda: leave_one_out(maps, generic, H, args.device, args.chunk_mb)
        )
        assert (fast_name, slow_name) == ("TokenNormEngine", "GenericEngine")
        difference = np.abs(fast_ais - slow_ais)
        print(
            f"{n_images:>6}  {fast_time:>9.2f} s  {slow_time:>7.1f} s  "
            f"{slow_time / fast_time:>5.0f}x  {np.nanmax(difference):>20.1e}  "
            f"{np.sum(difference > 1e-6):>11}",
            flush=True,
        )


if __name__ == "__main__":
    main()
