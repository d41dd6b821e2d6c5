"""Each calibration method fitted on a finished run's selection split and scored on its report split, with the
same weights: expected calibration error before and after, and macro-F1 at the run's raw-tuned thresholds (the
same for every method: the thresholds are mapped through it) and at the fixed threshold.

    python benchmarks/calibration_methods.py --run-dir outputs/demo
"""

from __future__ import annotations

import argparse

import torch

from emotune.evaluation.calibration import METHODS, Calibration, calibration_errors, fit_calibration
from emotune.evaluation.per_label import per_label_report
from emotune.inference.scoring import predict_logits
from emotune.run.loader import load_run
from emotune.run.thresholds import tune_thresholds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run-dir", required=True)
    args = parser.parse_args()
    run = load_run(args.run_dir)
    selection, report = run.roles["selection"], run.roles["report"]
    datamodule = run.datamodule()
    datamodule.setup("fit")
    logits = {split: predict_logits(run.model, datamodule.loader(split)) for split in (selection, report)}
    labels = {split: datamodule.split(split).labels for split in (selection, report)}
    raw_thresholds = tune_thresholds(torch.sigmoid(logits[selection]).numpy(), labels[selection],
                                     run.cfg.model.threshold)
    truth = torch.from_numpy(labels[report])
    print(f"{args.run_dir}: fitted on {selection} ({len(truth)} {report} rows scored; {report} chose nothing)\n")
    print("| calibration | ECE | per-label mean ECE | macro-F1, tuned thresholds | macro-F1 at 0.5 |")
    print("|---|---:|---:|---:|---:|")
    for method in (None, *METHODS):
        calibration = (fit_calibration(logits[selection].numpy(), labels[selection], method, selection) if method
                       else Calibration.identity(len(run.label_names)))
        probs = calibration.probabilities(logits[report])
        errors = calibration_errors(probs, truth)
        tuned = per_label_report(probs, truth, run.label_names, calibration.calibrated_thresholds(raw_thresholds))
        fixed = per_label_report(probs, truth, run.label_names, 0.5)
        print(f"| {method or 'none (raw sigmoid)'} | {errors['ece']:.4f} | {errors['macro_ece']:.4f} | "
              f"{tuned['macro_f1']:.4f} | {fixed['macro_f1']:.4f} |")

if __name__ == "__main__":
    main()
