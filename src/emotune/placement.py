"""Where the backbone lives follows the trainer: `trainer.accelerator`, `trainer.devices` and the launcher's
LOCAL_RANK, never merely whether CUDA exists."""

from __future__ import annotations

import os
from collections.abc import Sequence


def uses_cuda(accelerator: str) -> bool:
    if accelerator == "cpu":
        return False
    import torch

    return accelerator in ("auto", "gpu", "cuda") and torch.cuda.is_available()


def backbone_device_map(accelerator: str, devices: int | str | Sequence[int] = 1) -> dict | None:
    """nf4 weights are quantized where they load, so they go straight to this process's GPU: the LOCAL_RANK-th
    of `trainer.devices` when it lists indices, else device LOCAL_RANK (0 outside a launcher). None leaves them
    on the CPU, for Lightning to move."""
    if not uses_cuda(accelerator):
        return None
    rank = int(os.environ.get("LOCAL_RANK", 0))
    if isinstance(devices, Sequence) and not isinstance(devices, str) and len(devices) > rank:
        return {"": int(devices[rank])}
    return {"": rank}
