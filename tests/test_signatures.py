"""Options are keyword-only; data arguments stay positional, as in scikit-learn.

Table-driven over public modules: every public class's ``__init__`` and every
public function takes its options after ``*``. ``POSITIONAL`` lists what may
come before it, with the reason.
"""

import importlib
import inspect

import pytest
from _public import PUBLIC_MODULES

MODULES = PUBLIC_MODULES
# Data arguments, positional wherever they come first.
_MODEL_DATA = ("estimator", "X", "y")
# name: parameters that may be positional.
POSITIONAL = {
    # Sizes of what is generated, as make_classification(n_samples, n_features, *).
    "make_alignment_problem": ("n_images", "n_maps", "n_relevant"),
    "make_comparison_images": ("n_images", "image_size"),
    # The command's own arguments, as in argparse.
    "main": ("argv",),
    # The folder it writes, as savefig(fname, *).
    "write_report": ("out_dir",),
    # The figure and the file it writes, as savefig(fname, *).
    "save_figure": ("figure", "path"),
    # The folder it reads, as load_files(container_path, *).
    "load_peterson2018": ("root",),
    # The maps an array holds.
    "FeatureMaps": ("maps",),
    # The model and its data, as in cross_val_score(estimator, X, y, *).
    "compare_full_vs_retained": _MODEL_DATA,
    "mantel_test": _MODEL_DATA,
    "compare_selection_controls": _MODEL_DATA,
    "run_study": _MODEL_DATA,
    # The model, its data and the subjects' matrices it is scored against.
    "compare_across_subjects": (*_MODEL_DATA, "subjects"),
    # The files they read, as pd.read_csv(filepath_or_buffer, *).
    "read_similarity": ("path",),
    "read_subjects": ("path", "ids"),
    "match_images": ("directory", "ids"),
    "subject_files": ("directory",),
    # The study's two axes, as cross_validate(estimator, X, y).
    "compare_architectures": ("featurizers", "datasets"),
    # The data it resamples, as a metric takes its arrays.
    "bootstrap_2oi": ("embeddings", "y"),
    "noise_ceiling": ("subject_matrices",),
    # A result record: its fields are data.
    "FullVsRetained": ("full", "retained", "n_retained", "n_maps"),
    "SelectionControls": ("full", "retained", "n_retained", "n_maps"),
    "NoiseCeiling": ("per_subject", "split_half", "comparison"),
    "MantelResult": ("statistic", "pvalue", "permutations"),
    "SubjectLevel": ("scores",),
    # Arrays in, as scikit-learn's metrics take y_true, y_pred.
    "heatmap_weights": ("ais",),
    "second_order_isomorphism": ("y", "embeddings"),
    "mantel": ("x", "y"),
    "upsample_heatmap": ("heatmap", "size"),
    "relevance_mass": ("heatmaps", "masks"),
    "pointing_game": ("heatmaps", "masks"),
    "relevant_over_distractor": ("heatmaps", "relevant_masks", "distractor_masks"),
    "localization_table": ("heatmaps", "relevant_masks", "distractor_masks"),
    "heatmap_match": ("heatmaps_a", "heatmaps_b"),
    "softmax_entropy": ("logits",),
    "ais_statistics": ("ais_per_image",),
    "compare_ais": ("ais_a", "ais_b"),
    "top_region": ("values",),
    "saliency_precision_recall": ("ais_heatmaps", "saliency"),
    "relative_risk": ("ais_heatmaps", "saliency"),
    "spectral_residual_saliency": ("images",),
    "deletion_curves": ("explainer", "images", "y"),
    "deletion_auc": ("curves",),
    "mean_map_heatmaps": ("explainer", "images", "y_block"),
    "gradient_heatmaps": ("explainer", "images", "y_block"),
    "gradcam_heatmaps": ("explainer", "images", "y_block"),
    "faithfulness_curves": ("explainer", "images", "y"),
    "compare_faithfulness": ("curves",),
    "ais_heatmaps": ("explainer", "images", "y_block"),
    "split_half_reliability": ("explainer", "X", "subject_matrices"),
    "match_entropy_correlation": ("match", "entropy_a", "entropy_b"),
    "randomization_check": ("explainer", "images", "y"),
}


def _public_callables():
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj):
                if issubclass(obj, BaseException):
                    continue  # warnings and errors take a message
                # An ndarray subclass and a named tuple take their fields in __new__.
                built_by_new = name == "FeatureMaps" or issubclass(obj, tuple)
                init = obj.__new__ if built_by_new else obj.__init__
                yield f"{module_name}.{name}", name, init
            elif inspect.isfunction(obj):
                yield f"{module_name}.{name}", name, inspect.unwrap(obj)


CALLABLES = list(_public_callables())


@pytest.mark.parametrize(
    "name, function", [(c[1], c[2]) for c in CALLABLES], ids=[c[0] for c in CALLABLES]
)
def test_options_are_keyword_only(name, function):
    parameters = [
        p
        for p in inspect.signature(function).parameters.values()
        if p.name not in ("self", "cls", "_cls")
    ]
    positional = [p.name for p in parameters if p.kind != p.KEYWORD_ONLY]
    assert positional == list(POSITIONAL.get(name, ()))


def test_every_module_is_covered():
    names = {c[1] for c in CALLABLES}
    assert {"TorchvisionFeaturizer", "VGGFeaturizer", "load_mur92", "main"} <= names
    assert set(POSITIONAL) <= names
