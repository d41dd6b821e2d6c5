"""Checking that runs put side by side are comparable: the same data, and seeds that differ only where a sweep
varies them. Runs are read as `emotune.run.record.RunRecord`."""

from __future__ import annotations

from emotune.run.record import RunRecord


def comparability_warnings(runs: list[RunRecord]) -> list[str]:
    warnings = []
    hashes = {run.data_hash for run in runs}
    if len(hashes) > 1 or None in hashes:
        warnings.append("runs saw different data (data hashes differ or are missing): their scores are not comparable")
    seeds = {run.seed for run in runs}
    if len(seeds) > 1 and not any(o.startswith("seed=") for run in runs for o in run.overrides or []):
        warnings.append(f"runs use different seeds {sorted(s for s in seeds if s is not None)}: differences mix seed "
                        "noise with the effect of the overrides")
    return warnings
