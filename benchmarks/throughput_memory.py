"""Memory as the step benchmark counts it: what the device's allocator holds, and what a module's weights take."""

from __future__ import annotations

import gc
import re
from itertools import chain
from pathlib import Path

import bitsandbytes as bnb
import torch


def quant_state_tensors(state) -> list[torch.Tensor]:
    """The statistics beside an nf4 weight's packed data: block absmax (itself quantized under double
    quantization, with its own absmax, code and offset) and the code."""
    tensors = [state.absmax, state.code]
    if state.nested:
        tensors += [state.state2.absmax, state.state2.code, state.offset]
    return [t for t in tensors if isinstance(t, torch.Tensor)]


def module_bytes(module: torch.nn.Module, quantized_only: bool = False) -> int:
    """Bytes of a module's parameters and buffers, nf4 statistics included; `quantized_only`: the nf4 weights."""
    total = 0
    for tensor in chain(module.parameters(), module.buffers()):
        quantized = isinstance(tensor, bnb.nn.Params4bit)
        if quantized_only and not quantized:
            continue
        total += tensor.numel() * tensor.element_size()
        if quantized and tensor.quant_state is not None:
            total += sum(t.numel() * t.element_size() for t in quant_state_tensors(tensor.quant_state))
    return total


class Memory:
    """GiB in use on the measured device: CUDA's allocator, or on CPU the process's resident set, whose peak Linux
    resets through /proc/self/clear_refs."""

    def __init__(self, device: torch.device) -> None:
        self.device = device

    def _status(self, field: str) -> float:
        status = Path("/proc/self/status").read_text()
        return int(re.search(rf"^{field}:\s+(\d+) kB", status, re.M).group(1)) / 2**20

    def current(self) -> float:
        if self.device.type == "cuda":
            return torch.cuda.memory_allocated(self.device) / 2**30
        return self._status("VmRSS")

    def reset_peak(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)
        else:
            Path("/proc/self/clear_refs").write_text("5")

    def peak(self) -> float:
        if self.device.type == "cuda":
            return torch.cuda.max_memory_allocated(self.device) / 2**30
        return self._status("VmHWM")

    def release(self) -> None:
        gc.collect()
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
