"""Learning-rate schedules by name, with warmup as a share of all optimizer steps."""

from __future__ import annotations

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler
from transformers import get_scheduler


def warmup_schedule(optimizer: Optimizer, total_steps: int, name: str = "cosine",
                    warmup_ratio: float = 0.05) -> LRScheduler:
    """A share rather than a step count, so the warmup follows epochs, batch size and accumulation in a sweep."""
    return get_scheduler(name, optimizer, int(warmup_ratio * total_steps), total_steps)
