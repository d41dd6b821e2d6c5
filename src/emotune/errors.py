"""What the entry points print for bad input: one line that names the key, file or row, never a traceback.

HYDRA_FULL_ERROR=1 keeps the traceback, as it does for Hydra's own errors."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from hydra.errors import InstantiationException
from omegaconf.errors import OmegaConfBaseException

USER_ERRORS = (ValueError, TypeError, OSError, KeyError, OmegaConfBaseException)


def root_cause(error: BaseException) -> BaseException:
    """Hydra wraps an error raised while building an object; the user needs the error, not the wrapper."""
    while isinstance(error, InstantiationException) and error.__cause__ is not None:
        error = error.__cause__
    return error


def one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text or type(error).__name__


def fail(prog: str, problems: list[str]) -> None:
    for problem in problems:
        print(f"{prog}: error: {problem}", file=sys.stderr)
    raise SystemExit(2)


@contextmanager
def user_errors(prog: str) -> Iterator[None]:
    try:
        yield
    except (InstantiationException, *USER_ERRORS) as error:
        cause = root_cause(error)
        if os.environ.get("HYDRA_FULL_ERROR") == "1" or not isinstance(cause, USER_ERRORS):
            raise
        fail(prog, [one_line(cause)])
