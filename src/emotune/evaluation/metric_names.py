"""The names of the logged metrics, importable without torchmetrics (the preflight checks the monitor by them)."""

AVERAGED = ("macro_f1", "micro_f1", "macro_precision", "macro_recall", "micro_precision", "micro_recall",
            "macro_accuracy", "micro_accuracy", "exact_match")
PER_LABEL = ("f1", "precision", "recall", "accuracy")
