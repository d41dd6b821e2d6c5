"""Prints how many rows experiment=reference trains on: the train split after the selection carve, undersampling
and ISMOTE, as its datamodule builds it. The count does not depend on the encoder, so the offline LSA one is used.

    python benchmarks/reference_rows.py --data-dir ../shared/data/goemotions
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from hydra import compose, initialize_config_dir

import emotune  # noqa: F401  (registers config resolvers)
from emotune.data import build_datamodule

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--experiment", default="reference")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache, initialize_config_dir(str(ROOT / "conf"), version_base="1.3"):
        cfg = compose("train", overrides=[f"experiment={args.experiment}", "encoder=lsa", "~encoder.name_or_path",
                                          f"data.data_dir={args.data_dir}", f"paths.cache_dir={cache}",
                                          f"paths.output_dir={cache}"])
        datamodule = build_datamodule(cfg)
        before = len(datamodule.split("train").labels)
        datamodule.setup("fit")
        after = len(datamodule.train_arrays()[1])
    print(f"experiment={args.experiment}: {before:,} train rows before resampling, {after:,} after "
          f"({cfg.sampling._target_}), selection split: {datamodule.roles.selection}")


if __name__ == "__main__":
    main()
