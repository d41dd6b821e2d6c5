"""ISMOTE on GoEmotions train embeddings against imbalanced-learn's SMOTE making the same number of rows.

    python benchmarks/ismote_vs_smote.py --encoder-dir "$(../shared/tools/minilm-dir)" \
        --data-dir ../shared/data/goemotions

ISMOTE resamples the multi-label train split to 4,000 positives per label. SMOTE gets a single-label version of
the same embeddings (each row keeps its rarest label) and a per-class target that makes exactly as many rows
per label as ISMOTE made. Both run in one process with the same thread settings; each gets an untimed warm-up
call, then the median of --repeats runs is reported.
Without --encoder-dir the offline LSA-384 encoder stands in for all-MiniLM-L6-v2.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
from imblearn.over_sampling import SMOTE

from emotune.data import GoEmotions
from emotune.encoders import EmbeddingCache, LsaEncoder, SentenceTransformerEncoder
from emotune.sampling import ISMOTE


def embed(data_dir: str, encoder_dir: str | None, cache_dir: str) -> tuple[np.ndarray, np.ndarray, list[str], str]:
    source = GoEmotions(data_dir)
    train = source.load("train")
    encoder = SentenceTransformerEncoder(encoder_dir) if encoder_dir else LsaEncoder(dim=384)
    cache = EmbeddingCache(cache_dir)
    cache.fit(encoder, train.texts)
    name = "all-MiniLM-L6-v2" if encoder_dir else "LSA-384"
    return cache.encode(encoder, train.texts), train.labels, source.label_names, name


def timed(fn, repeats: int) -> tuple[float, object]:
    """Median of `repeats` calls after one untimed warm-up call (thread pools, first allocations)."""
    result = fn()
    times = []
    for _ in range(repeats):
        del result
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default="../shared/data/goemotions")
    parser.add_argument("--encoder-dir", default=None, help="a sentence-transformers folder (all-MiniLM-L6-v2)")
    parser.add_argument("--cache-dir", default=".cache/emotune")
    parser.add_argument("--target", type=int, default=4000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default=None, help="also write the figures as JSON here")
    args = parser.parse_args()

    X, Y, names, encoder_name = embed(args.data_dir, args.encoder_dir, args.cache_dir)
    print(f"train rows {len(X)}, embedding width {X.shape[1]} ({encoder_name}), target {args.target} per label")

    results = {}
    for counting in ("running", "reference"):
        sampler = ISMOTE(args.target, counting=counting, random_state=0)
        seconds, (X_out, Y_out) = timed(lambda s=sampler: s.fit_resample(X, Y, names), args.repeats)
        after = Y_out.sum(axis=0)
        results[counting] = {"seconds": seconds, "synthetic_rows": len(X_out) - len(X),
                             "min_after": int(after.min()), "max_after": int(after.max()),
                             "sadness_after": int(after[names.index("sadness")]),
                             "per_label_made": np.bincount(sampler.synthetic_for_, minlength=len(names)).tolist()}

    rarity = Y.sum(axis=0)
    single = np.where(Y.astype(bool), rarity, np.iinfo(np.int64).max).argmin(axis=1)
    made = np.asarray(results["running"]["per_label_made"])
    class_counts = np.bincount(single, minlength=len(names))
    strategy = {c: int(class_counts[c] + made[c]) for c in range(len(names)) if made[c] > 0}
    smote = SMOTE(sampling_strategy=strategy, k_neighbors=5, random_state=0)
    smote_seconds, (X_smote, _) = timed(lambda: smote.fit_resample(X, single), args.repeats)
    smote_rows = len(X_smote) - len(X)

    ismote = results["running"]
    ratio = ismote["seconds"] / smote_seconds
    print(f"{'sampler':34s} {'rows made':>10s} {'seconds':>9s}")
    print(f"{'ISMOTE (counting=running)':34s} {ismote['synthetic_rows']:>10d} {ismote['seconds']:>9.3f}")
    print(f"{'ISMOTE (counting=reference)':34s} {results['reference']['synthetic_rows']:>10d} "
          f"{results['reference']['seconds']:>9.3f}")
    print(f"{'imblearn SMOTE (single-label)':34s} {smote_rows:>10d} {smote_seconds:>9.3f}")
    print(f"time ratio ISMOTE/SMOTE for the same rows: {ratio:.2f}x (target <= 1.5x)")
    print(f"positives after, running: {ismote['min_after']}..{ismote['max_after']}; reference counting: "
          f"{results['reference']['min_after']}..{results['reference']['max_after']} "
          f"(sadness {results['reference']['sadness_after']})")
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"encoder": encoder_name, "rows": len(X), "ismote": results, "smote_seconds": smote_seconds,
                       "smote_rows": smote_rows, "ratio": ratio}, f, indent=2)


if __name__ == "__main__":
    main()
