"""Do AIS heatmaps point at what people use? A staged faithfulness study (issue 25).

Measures deletion and keep curves with :func:`sklearn_ais.analysis.faithfulness_curves`
(cross-fitted: a test image's heatmap comes from its judgments against one
half of the training images, its response is its own 2OI against the other
half; the test x test block 2OI beside it) and compares methods with
:func:`sklearn_ais.analysis.compare_faithfulness` (paired image bootstrap for
the per-image response, corrected repeated k-fold t for the block).

Stages, each chosen only from the generated images and the behavioural
target (the hIT numbers are reported, never used to choose):

1. ``screen`` (224 px, last layer): the fills (mean, blur, ROAD) for deletion
   and keep, AIS against random, on generated images (with the relevant
   object's mask as a positive control) and a subset of Mur92 with the
   behavioural target. Each curve gets the fill where AIS beats random most
   (mean z of the per-image difference over the two data sets).
2. ``confirm`` (224 px, last layer, all 92 images): AIS and every baseline
   (random blobs, random pixels, spectral residual, and, where they exist,
   the mean of the maps, activation x gradient and Grad-CAM) on the
   behavioural target, then the same on hIT (``neural_dissimilarities``:
   the same images, different judges).
3. ``screen`` of the sharper settings (448 px input; an earlier layer,
   ``blocks.10``, 14 x 14 maps) on the generated images and the Mur92 subset
   (behaviour), AIS against random with the chosen fills.
4. the sharper settings at full size, as time allows, AIS and random on all
   92 images, behaviour and hIT: stage ``confirm`` for one that beat the
   default in stage 3, ``confirm, not chosen`` for the others (measured,
   not chosen).

Writes ``docs/user_guide/faithfulness_study.csv`` after every block, with
the columns stage, dataset, target, response, fill, curve, setting, method,
auc, baseline, difference (positive: the method more faithful than the
baseline), ci_low, ci_high, p and n. Run from the repository root::

    python scripts/faithfulness_study.py            # about an hour, 2 cores
    python scripts/faithfulness_study.py --quick    # a smoke test
"""

import argparse
import os
import pickle
import tempfile
import warnings
from pathlib import Path
from time import perf_counter

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import KFold

from sklearn_ais import AISHeatmapExplainer
from sklearn_ais.analysis import (
    ais_heatmaps,
    compare_faithfulness,
    faithfulness_curves,
    spectral_residual_saliency,
)
from sklearn_ais.datasets import load_mur92, make_comparison_images
from sklearn_ais.featurizers import EfficientNetLite0Featurizer

ROOT = Path(__file__).resolve().parents[1]
FILLS = ("mean", "blur", "road")
CURVES = ("deletion", "keep")
DEFAULT = "224 px, last layer"
SHARPER = {"448 px, last layer": (448, None), "224 px, blocks.10": (224, "blocks.10")}
HIT = "hITvisStim_316vx"
COLUMNS = [
    "stage", "dataset", "target", "response", "fill", "curve", "setting", "method",
    "auc", "baseline", "difference", "ci_low", "ci_high", "p", "n",
]  # fmt: skip


def log(start, message):
    print(f"[{(perf_counter() - start) / 60:6.1f} min] {message}", flush=True)


def baselines():
    """The competing heatmap methods that exist in this checkout."""
    methods = {"spectral_residual": lambda e, X, yb: spectral_residual_saliency(X)}
    try:
        from sklearn_ais.analysis import (
            gradcam_heatmaps,
            gradient_heatmaps,
            mean_map_heatmaps,
        )
    except ImportError as error:
        print(f"Competitors not available, skipped: {error}", flush=True)
    else:
        methods["mean_map"] = mean_map_heatmaps
        methods["gradient"] = gradient_heatmaps
        methods["gradcam"] = gradcam_heatmaps
    return methods


def explainer(setting, cache):
    size, layer = (224, None) if setting == DEFAULT else SHARPER[setting]
    featurizer = EfficientNetLite0Featurizer(
        input_size=size, layer=layer, memory=cache, batch_size=64
    )
    return AISHeatmapExplainer(featurizer=featurizer)


def run_block(
    args, start, key, setting, images, y, *, methods, cv, fills, oracle, percents
):
    """Curves of one block, computed once (kept in ``args.work``)."""
    path = args.work / (key.replace(" ", "_").replace(",", "") + ".pkl")
    if path.exists():
        log(start, f"{key}: read back from {path}")
        return pickle.loads(path.read_bytes())
    began = perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        curves = faithfulness_curves(
            explainer(setting, args.cache),
            images,
            y,
            methods=methods,
            oracle=oracle,
            percents=percents,
            fills=sorted(set(fills)),
            cv=cv,
            random_grid=7,
            random_state=0,
            verbose=1,
        )
    path.write_bytes(pickle.dumps(curves))
    log(start, f"{key}: {perf_counter() - began:.0f} s")
    return curves


def keep_chosen(curves, fills):
    """Only each curve's chosen fill."""
    chosen = np.zeros(len(curves), dtype=bool)
    for curve, fill in fills.items():
        chosen |= (curves["curve"] == curve).to_numpy() & (
            curves["fill"] == fill
        ).to_numpy()
    return curves[chosen]


def table(curves, stage, dataset, target, setting, args):
    compared = compare_faithfulness(
        curves, n_bootstrap=args.n_bootstrap, random_state=0
    )
    compared["baseline"] = np.where(
        compared["role"] == "best", "best: " + compared["baseline"], "random"
    )
    for column, value in (
        ("stage", stage), ("dataset", dataset), ("target", target),
        ("setting", setting),
    ):  # fmt: skip
        compared[column] = value
    return compared[COLUMNS]


def n_featurized(n_images, n_folds, n_methods, n_fills, n_percents, scale=1):
    """Images one block featurizes (edited copies, training halves), scaled
    by the input's pixels relative to 224 px."""
    edited = n_images * (1 + n_fills + n_methods * len(CURVES) * (n_percents - 1))
    return scale * (edited + n_images * (n_folds - 1))


def z_of(rows):
    """Per-image AIS-vs-random differences in units of their interval."""
    half = (rows["ci_high"] - rows["ci_low"]) / (2 * 1.96)
    return rows["difference"] / half.where(half > 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke test")
    parser.add_argument("--budget-minutes", type=float, default=80.0)
    parser.add_argument(
        "--out", type=Path, default=ROOT / "docs/user_guide/faithfulness_study.csv"
    )
    parser.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "faithfulness_study"
    )
    args = parser.parse_args()
    torch.set_num_threads(2)
    start = perf_counter()
    quick = args.quick
    # Each percentage costs one featurized copy of every test image per
    # method, fill and curve: the screens use fewer than the confirmation.
    screen_percents = (0, 90) if quick else (0, 40, 80)
    confirm_percents = (0, 90) if quick else (0, 40, 80)
    fills_screened = ("mean", "road") if quick else FILLS
    args.n_bootstrap = 200 if quick else 2000
    if quick:
        args.work = args.work.with_name(args.work.name + "_quick")
        args.out = args.work / "faithfulness_study.csv"
    args.work.mkdir(parents=True, exist_ok=True)
    args.cache = str(args.work / "maps")
    rows = []

    def write():
        pd.concat(rows).to_csv(args.out, index=False, float_format="%.4f")
        log(start, f"wrote {args.out} ({sum(map(len, rows))} rows)")

    # --- data ---------------------------------------------------------------
    n_generated, n_subset = (9, 9) if quick else (24, 32)
    generated = make_comparison_images(
        n_images=n_generated, image_size=96, random_state=0
    )
    mur92 = load_mur92()
    behaviour = mur92.similarity
    hit = mur92.neural_dissimilarities[HIT]
    subset = np.sort(np.random.default_rng(0).choice(92, n_subset, replace=False))
    full = np.arange(9) if quick else np.arange(92)

    def mur(indices, y):
        return [mur92.images[i] for i in indices], y.iloc[indices, indices]

    generated_cv = KFold(3, shuffle=True, random_state=0)
    screen_cv = KFold(3 if quick else 4, shuffle=True, random_state=0)
    confirm_cv = KFold(3 if quick else 4, shuffle=True, random_state=0)
    ais = {"ais": ais_heatmaps}
    oracle = generated.relevant_masks.astype(float)

    # --- stage 1: fills, at 224 px ------------------------------------------
    screens = {}
    for dataset, (images, y, extra, cv) in {
        "generated": (generated.images, generated.similarity, oracle, generated_cv),
        "mur92 subset": (*mur(subset, behaviour), None, screen_cv),
    }.items():
        curves = run_block(
            args, start, f"screen {dataset} {DEFAULT}", DEFAULT, images, y,
            methods=ais, cv=cv, fills=fills_screened, oracle=extra,
            percents=screen_percents,
        )  # fmt: skip
        target = "generated" if dataset == "generated" else "behaviour"
        screens[dataset] = table(curves, "screen", dataset, target, DEFAULT, args)
        rows.append(screens[dataset])
        write()
    both = pd.concat(screens.values())
    ais_vs_random = both.query(
        "method == 'ais' and baseline == 'random' and response == 'per_image'"
    ).assign(z=z_of)
    score = ais_vs_random.groupby(["curve", "fill"])["z"].mean()
    fills = {curve: score[curve].idxmax() for curve in CURVES}
    log(start, f"screen: mean z by curve and fill\n{score.round(2)}\nchosen {fills}")

    # --- stage 2: confirm the default at full size ---------------------------
    methods = {**ais, **baselines()}
    began = perf_counter()
    for target, y in (("behaviour", behaviour), ("hIT", hit)):
        images, block = mur(full, y)
        curves = run_block(
            args, start, f"confirm {target} {DEFAULT}", DEFAULT, images, block,
            methods=methods, cv=confirm_cv, fills=list(fills.values()), oracle=None,
            percents=confirm_percents,
        )  # fmt: skip
        rows.append(
            table(keep_chosen(curves, fills), "confirm", "mur92", target, DEFAULT, args)
        )
        write()

    # --- stage 3: sharper settings, screened ---------------------------------
    # Seconds per featurized image, from the behavioural confirmation (the
    # hIT one reuses its cached maps but for the judgment-based methods).
    n_fills = len(set(fills.values()))
    rate = (perf_counter() - began) / n_featurized(
        len(full), 4, len(methods) + 2 + 2, n_fills, len(confirm_percents)
    )
    rate = max(rate, 0.3)  # blocks read back from a previous run took no time
    budget = args.budget_minutes * 60

    def affordable(what, n_images):
        needed = rate * n_images
        left = budget - (perf_counter() - start)
        log(start, f"{what}: about {needed / 60:.0f} min needed, {left / 60:.0f} left")
        return needed < left

    screen_cost = n_featurized(len(subset), 4, 2, n_fills, len(screen_percents), 5)
    if not affordable("stage 3", screen_cost):
        log(start, "stage 3 skipped: not enough time left")
        return
    # The settings are compared on the Mur92 subset (behaviour) alone.
    gains = {DEFAULT: float(ais_vs_random.assign(
        chosen=lambda t: [fills[c] == f for c, f in zip(t["curve"], t["fill"])]
    ).query("chosen and dataset == 'mur92 subset'")["z"].mean())}  # fmt: skip
    for setting in SHARPER:
        found = []
        for dataset, (images, y, cv) in {
            "mur92 subset": (*mur(subset, behaviour), screen_cv),
        }.items():
            try:
                curves = run_block(
                    args, start, f"screen {dataset} {setting}", setting, images, y,
                    methods=ais, cv=cv, fills=list(fills.values()), oracle=None,
                    percents=screen_percents,
                )  # fmt: skip
            except (ValueError, RuntimeError, TypeError) as error:
                log(start, f"{setting} not available, skipped: {error}")
                break
            target = "generated" if dataset == "generated" else "behaviour"
            screened = table(
                keep_chosen(curves, fills), "screen", dataset, target, setting, args
            )
            rows.append(screened)
            found.append(screened)
            write()
        if found:
            chosen = pd.concat(found).query(
                "method == 'ais' and baseline == 'random' and response == 'per_image'"
            )
            gains[setting] = float(z_of(chosen).mean())
    log(start, f"settings: mean z of AIS vs random {gains}")
    best = max(gains, key=gains.get)

    # --- stage 4: the sharper settings at full size ---------------------------
    # The best by the screen is confirmed if it beat the default; the others
    # are measured too, as time allows, and labelled as not chosen.
    if best == DEFAULT:
        log(start, "no sharper setting beat the default in the screen")
    sharper = sorted((s for s in gains if s != DEFAULT), key=gains.get, reverse=True)
    for setting in sharper:
        scale = 4 if setting.startswith("448") else 1
        cost = n_featurized(len(full), 4, 2, n_fills, len(confirm_percents), scale)
        # Behaviour, then hIT (about a third of it: its random maps are cached).
        if not affordable(f"stage 4 ({setting})", 1.4 * cost):
            log(start, f"stage 4 ({setting}) skipped: not enough time left")
            continue
        stage = "confirm" if setting == best else "confirm, not chosen"
        for target, y in (("behaviour", behaviour), ("hIT", hit)):
            images, block = mur(full, y)
            curves = run_block(
                args, start, f"confirm {target} {setting}", setting, images, block,
                methods=ais, cv=confirm_cv, fills=list(fills.values()), oracle=None,
                percents=confirm_percents,
            )  # fmt: skip
            rows.append(
                table(keep_chosen(curves, fills), stage, "mur92", target, setting, args)
            )
            write()
    log(start, "done")


if __name__ == "__main__":
    os.environ.setdefault("SKLEARN_AIS_DATA", "/work/shared/data")
    main()
