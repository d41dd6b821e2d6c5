"""Two data-parallel processes (gloo on CPU) train the tiny nf4 + LoRA model and leave one complete run dir."""

import json
import os
import subprocess
import sys

from helpers import ROOT, keyword_rows

ROWS, BATCH = 240, 8


def test_two_process_ddp_on_cpu(tmp_path, tiny_mistral) -> None:
    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps({"text": t, "labels": ls}) + "\n" for t, ls in keyword_rows(ROWS)))
    run_dir = tmp_path / "run"
    result = subprocess.run(
        [sys.executable, str(ROOT / "train.py"), "data=table", f"data.train_file={data}", "encoder.dim=16",
         "encoder.min_df=1", f"backbone.name_or_path={tiny_mistral}", "lora.r=4", "trainer=ddp",
         "trainer.accelerator=cpu", "trainer.devices=2", "trainer.precision=32-true", "trainer.max_epochs=2",
         "trainer.accumulate_grad_batches=1", f"datamodule.batch_size={BATCH}", "trainer.enable_progress_bar=false",
         f"hydra.run.dir={run_dir}", f"paths.cache_dir={tmp_path / 'cache'}"],
        capture_output=True, text=True, timeout=600, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr[-4000:]
    output = result.stdout + result.stderr
    # Each rank loads the backbone once, after both processes have started (EmotionClassifier.configure_model).
    assert output.count("Loaded backbone") == 2
    assert output.index("MEMBER: 2/2") < output.index("Loaded backbone")
    summary = json.loads((run_dir / "metrics.json").read_text())
    train_rows = ROWS - 2 * round(0.1 * ROWS)  # val and test are carved from train
    steps_per_epoch = -(-train_rows // (2 * BATCH))  # each rank takes half of every epoch
    assert summary["final"]["step"] == 2 * steps_per_epoch
    assert (run_dir / "adapter" / "adapter_model.safetensors").is_file() and (run_dir / "thresholds.json").is_file()

