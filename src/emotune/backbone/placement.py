"""Where the backbone lives follows the trainer: `trainer.accelerator`, `trainer.devices` and the launcher's
LOCAL_RANK (or SLURM_LOCALID), never merely whether CUDA exists."""

from __future__ import annotations

import os
from collections.abc import Sequence


def uses_cuda(accelerator: str) -> bool:
    if accelerator == "cpu":
        return False
    import torch

    return accelerator in ("auto", "gpu", "cuda") and torch.cuda.is_available()


def local_rank() -> int:
    """This process's index on its node: LOCAL_RANK (torchrun, Lightning's launcher) or SLURM_LOCALID (srun)."""
    return int(os.environ.get("LOCAL_RANK", os.environ.get("SLURM_LOCALID", 0)))


def device_indices(devices: int | str | Sequence[int]) -> list[int] | None:
    """Lightning's spellings: a list of indices, or a string "0,1" / "1," of indices; a bare count is None."""
    if isinstance(devices, str):
        return [int(part) for part in devices.split(",") if part.strip()] if "," in devices else None
    if isinstance(devices, Sequence):
        return [int(d) for d in devices]
    return None


def backbone_device_map(accelerator: str, devices: int | str | Sequence[int] = 1) -> dict | None:
    """nf4 weights are quantized where they load, so they go straight to this process's GPU: the LOCAL_RANK-th
    of `trainer.devices` when it names indices, else device LOCAL_RANK (0 outside a launcher). None leaves them
    on the CPU, for Lightning to move."""
    if not uses_cuda(accelerator):
        return None
    rank = local_rank()
    indices = device_indices(devices)
    return {"": indices[rank] if indices and len(indices) > rank else rank}
