"""The figures of :mod:`sklearn_ais.plotting`, one module per family."""
