"""The package's public modules, for the tests that walk its public API."""

PUBLIC_MODULES = [
    "sklearn_ais",
    "sklearn_ais.analysis",
    "sklearn_ais.datasets",
    "sklearn_ais.exceptions",
    "sklearn_ais.io",
    "sklearn_ais.explain",
    "sklearn_ais.featurizers",
    "sklearn_ais.metrics",
    "sklearn_ais.model_selection",
    "sklearn_ais.plotting",
    "sklearn_ais.report",
    "sklearn_ais.cli",
]
