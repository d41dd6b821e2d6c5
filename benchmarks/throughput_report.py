"""The step benchmark's figures as a table on the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

COLUMNS = (("samples/s", "samples_per_s", ".1f"), ("tokens/s", "tokens_per_s", ".1f"),
           ("TFLOP/s", "tflops", ".3f"), ("MFU", "mfu", ".1%"), ("weight GB/s", "weight_gbps", ".1f"),
           ("peak GiB", "peak_memory_gb", ".2f"), ("scaled samples/s", "scaled_samples_per_s", ".1f"),
           ("scaled peak GiB", "scaled_peak_memory_gb", ".2f"))


def show(result: dict, epochs: int) -> None:
    table = Table(title=f"{result['arch']} ({result['layers']}/{result['full_layers']} layers, {result['quant']}, "
                        f"LoRA r={result['lora_r']}, {result['experiment']}) on {result['device']}")
    for title in ("mode", "batch", *(c[0] for c in COLUMNS)):
        table.add_column(title, justify="right")
    for r in result["rows"]:
        cells = ["OOM", *[""] * (len(COLUMNS) - 1)] if r["oom"] else [
            "" if r.get(key) is None else format(r[key], spec) for _, key, spec in COLUMNS]
        table.add_row(r["mode"], str(r["batch"]), *cells)
    console = Console(width=max(Console().width, 160))
    console.print(table)
    console.print(f"N = {result['n_params_counted']:,} layer parameters; FLOPs = {result['flops_rule']}; weight "
                  f"traffic = {result['weight_traffic_rule']}; peak bf16 "
                  f"{result['peak_bf16_tflops'] or 'unknown (MFU needs --peak-tflops)'} TFLOP/s")
    if result["reference_15_epochs"]:
        p = result["reference_15_epochs"]
        console.print(f"Reference run ({epochs} epochs x {p['rows']:,} train rows, embedding mode, batch "
                      f"{p['batch']}): {p['seconds'] / 60:.1f} min projected")
