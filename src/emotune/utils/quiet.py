"""Drops one bitsandbytes warning that every command would otherwise print, and nothing else.

On a CPU with AVX512-BF16, importing bitsandbytes (which peft, sentence-transformers and the backbone loader
all do) tries to fetch an optional fused 4-bit matmul from the `kernels` package and, when it is not installed,
logs "Failed to load CPU gemm_4bit_forward from kernels-community" and falls back to its own CPU kernel. That
kernel only serves weights repacked for CPU inference, which `keep_4bit_trainable_on_cpu` turns off, so the
warning asks users to install a package emotune never needs. A filter on that module's logger keeps every other
bitsandbytes message.
"""

from __future__ import annotations

import logging

LOGGER = "bitsandbytes.backends.cpu.ops"
MESSAGE = "Failed to load CPU gemm_4bit_forward from kernels-community"


class _DropMissingKernels(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(MESSAGE)


def install() -> None:
    """Safe to call before bitsandbytes is imported: the logger object it will use is created here."""
    logger = logging.getLogger(LOGGER)
    if not any(isinstance(f, _DropMissingKernels) for f in logger.filters):
        logger.addFilter(_DropMissingKernels())
