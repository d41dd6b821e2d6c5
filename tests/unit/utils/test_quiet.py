"""The bitsandbytes warning about the optional `kernels` package never reaches users' terminals."""

import subprocess
import sys

WARNING = "Failed to load CPU gemm_4bit_forward from kernels-community"


def stderr_of(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stderr


def test_importing_the_backbone_loader_prints_no_kernels_warning():
    assert WARNING not in stderr_of("import emotune.backbone.loading")


def test_only_that_message_is_dropped():
    """Holds on CPUs without AVX512-BF16 too, where bitsandbytes never tries the `kernels` package."""
    code = ("import emotune, logging\n"
            "log = logging.getLogger('bitsandbytes.backends.cpu.ops')\n"
            f"log.warning({WARNING!r} + ': No module named kernels')\n"
            "log.warning('another bitsandbytes warning')")
    err = stderr_of(code)
    assert WARNING not in err and "another bitsandbytes warning" in err
