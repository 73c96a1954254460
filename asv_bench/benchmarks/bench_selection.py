"""asv benchmarks of AIS fitting (time and peak memory).

Run from ``asv_bench/`` with ``asv run`` (or ``asv run --python=same`` to use
the current environment). ``benchmarks/bench_ais.py`` prints the same
measurements side by side with the plain masking loops.
"""

import numpy as np

from sklearn_ais import AISFeatureMapSelector
from sklearn_ais.datasets import make_alignment_problem


def _compile_kernels():
    """Load (or compile, once) the numba kernels outside the measurements."""
    X, H, _ = make_alignment_problem(8, 6, 2, random_state=0)
    for similarity in ("cosine", "pearson"):
        AISFeatureMapSelector(similarity=similarity).fit(X, H)


class GAPSelectorFit:
    """Closed-form AIS and selection path on pooled features."""

    params = ([60, 120], [512, 2048], ["cosine", "pearson"])
    param_names = ["n_images", "n_maps", "similarity"]

    def setup(self, n_images, n_maps, similarity):
        _compile_kernels()
        X, self.H, _ = make_alignment_problem(
            n_images, n_maps, max(n_maps // 100, 1), random_state=0
        )
        self.X = np.abs(X)
        self.selector = AISFeatureMapSelector(similarity=similarity)

    def time_fit(self, n_images, n_maps, similarity):
        self.selector.fit(self.X, self.H)

    def peakmem_fit(self, n_images, n_maps, similarity):
        self.selector.fit(self.X, self.H)


class VGGHeadFit:
    """The VGG-16 head's exact leave-one-map-out path (random weights)."""

    params = [16, 48]
    param_names = ["n_images"]
    timeout = 600

    def setup(self, n_images):
        import torch
        from torchvision.models import vgg16

        from sklearn_ais._feature_maps import FeatureMaps
        from sklearn_ais._heads import VGGHead

        _compile_kernels()
        torch.manual_seed(0)
        head = VGGHead.from_vgg(vgg16(weights=None).eval())
        maps = torch.relu(torch.randn(n_images, 512, 14, 14)).numpy()
        self.X = FeatureMaps(maps, head=head)
        _, self.H, _ = make_alignment_problem(n_images, 8, 2, random_state=0)

    def time_fit(self, n_images):
        AISFeatureMapSelector(device="cpu").fit(self.X, self.H)

    def peakmem_fit(self, n_images):
        AISFeatureMapSelector(device="cpu").fit(self.X, self.H)
