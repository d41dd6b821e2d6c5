"""Scoring a split and saying what the numbers mean: metrics, calibration, the split roles, per-label reports and
plots. Nothing is imported here, so `metric_names` and `roles` load without torch."""
