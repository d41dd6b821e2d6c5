"""What the entry points print for bad input: one line that names the key, file or row, never a traceback.

HYDRA_FULL_ERROR=1 keeps the traceback, as it does for Hydra's own errors."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from hydra.errors import InstantiationException
from omegaconf.errors import OmegaConfBaseException

# Raised for bad input wherever they come from; Lightning's MisconfigurationException is matched by name, since
# importing Lightning here would cost the preflight seconds.
USER_ERRORS = (ValueError, OSError, ImportError, OmegaConfBaseException)
LIGHTNING_CONFIG_ERROR = "MisconfigurationException"
# Bad input only when Hydra raised them while building an object from the config (a wrong keyword, a missing key);
# elsewhere they are bugs, and keep their traceback.
CONFIG_ONLY = (TypeError, KeyError)


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


def is_user_error(error: BaseException) -> bool:
    cause = root_cause(error)
    if isinstance(cause, USER_ERRORS) or any(c.__name__ == LIGHTNING_CONFIG_ERROR for c in type(cause).__mro__):
        return True
    return cause is not error and isinstance(cause, CONFIG_ONLY)


@contextmanager
def user_errors(prog: str) -> Iterator[None]:
    try:
        yield
    except Exception as error:
        if os.environ.get("HYDRA_FULL_ERROR") == "1" or not is_user_error(error):
            raise
        fail(prog, [one_line(root_cause(error))])
