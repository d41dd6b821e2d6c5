"""Seconds-long checks before any data or encoder work, so a run that cannot finish says why at once.

Each problem is one line that names the key and what to do; `train.py` prints them all and exits."""

from __future__ import annotations

import json
import re
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from emotune.atomic import ensure_writable_dir
from emotune.placement import uses_cuda

LARGE_ON_CPU = 1e9  # parameters: above this a quantized backbone is refused without a CUDA device
THRESHOLD_SPLITS = (None, "val", "tune")


def looks_like_path(name: str) -> bool:
    return name.startswith(("/", ".", "~")) or Path(name).expanduser().exists()


def find_config(name: str, key: str, hub_timeout: float) -> tuple[Path | None, str | None]:
    """The model's config.json, when it is on this machine, and a problem when the model cannot be found at all:
    a local folder, the Hugging Face cache, or a reachable hub."""
    import huggingface_hub
    from huggingface_hub import constants, try_to_load_from_cache

    if looks_like_path(name):
        folder = Path(name).expanduser()
        if not (folder / "config.json").is_file():
            return None, f"{key}={name}: no model folder there (expected a folder with config.json)"
        return folder / "config.json", None
    cached = try_to_load_from_cache(name, "config.json")
    if isinstance(cached, str):
        return Path(cached), None
    if constants.HF_HUB_OFFLINE:
        return None, (f"{key}={name}: not a local folder and not in the Hugging Face cache ({constants.HF_HUB_CACHE}), "
                      "and HF_HUB_OFFLINE is set; download it first or point the key at a local folder")
    try:
        huggingface_hub.model_info(name, timeout=hub_timeout)
    except huggingface_hub.errors.GatedRepoError:
        return None, f"{key}={name}: the model is gated; accept its terms on the hub and run `hf auth login`"
    except huggingface_hub.errors.RepositoryNotFoundError:
        return None, f"{key}={name}: no such model on the hub, in the cache or on disk"
    except Exception as error:  # noqa: BLE001  (any failure to reach the hub means the same here)
        return None, (f"{key}={name}: not a local folder, not in the Hugging Face cache ({constants.HF_HUB_CACHE}), "
                      f"and the hub is not reachable ({type(error).__name__}); point the key at a local folder")
    return None, None


def parameter_count(config_file: Path | None, name: str) -> float | None:
    """From the decoder's shapes when its config is at hand, else from a size in the name (e.g. "24B")."""
    if config_file is not None:
        config = json.loads(config_file.read_text())
        config = config.get("text_config", config)
        try:
            h, layers, inter = config["hidden_size"], config["num_hidden_layers"], config["intermediate_size"]
            heads = config["num_attention_heads"]
            head_dim = config.get("head_dim") or h // heads
            kv = config.get("num_key_value_heads") or heads
            attention = 2 * h * heads * head_dim + 2 * h * kv * head_dim
            return float(layers * (attention + 3 * h * inter) + config.get("vocab_size", 0) * h)
        except KeyError:
            pass
    match = re.search(r"(?<![\w.])(\d+(?:\.\d+)?)[bB](?![a-zA-Z])", name)
    return float(match.group(1)) * 1e9 if match else None


def model_problems(cfg: DictConfig) -> list[str]:
    problems = []
    timeout = cfg.preflight.hub_timeout
    encoder = OmegaConf.select(cfg, "datamodule.encoder.name_or_path")
    if encoder:
        problems.append(find_config(encoder, "encoder.name_or_path", timeout)[1])
    if not cfg.get("backbone"):
        return [p for p in problems if p]
    name = cfg.backbone.name_or_path
    config_file, problem = find_config(name, "backbone.name_or_path", timeout)
    problems.append(problem)
    params = parameter_count(config_file, name)
    if cfg.get("quant") and params and params > LARGE_ON_CPU and not cfg.preflight.allow_cpu \
            and not uses_cuda(cfg.trainer.accelerator):
        problems.append(
            f"backbone {name} (~{params / 1e9:.0f}B parameters) in quant=nf4 needs a CUDA GPU, and none is in use "
            f"(trainer.accelerator={cfg.trainer.accelerator}); on CPU run `python train.py experiment=quickstart` "
            "(no language model) or `experiment=cpu_text`, or set preflight.allow_cpu=true to try anyway")
    return [p for p in problems if p]


def selection_problems(cfg: DictConfig) -> list[str]:
    tune_on, fraction = cfg.thresholds.tune_on, cfg.datamodule.get("tune_fraction", 0.0)
    problems = []
    if tune_on not in THRESHOLD_SPLITS:
        problems.append(f"thresholds.tune_on={tune_on}: expected one of val, tune or null; the test split only "
                        "reports, it never chooses")
    if not 0 <= fraction < 1:
        problems.append(f"datamodule.tune_fraction={fraction}: expected a share in [0, 1)")
    elif tune_on == "tune" and fraction == 0:
        problems.append("thresholds.tune_on=tune needs datamodule.tune_fraction > 0 (e.g. 0.1), which carves the "
                        "tune split from train")
    return problems


def resume_problems(cfg: DictConfig) -> list[str]:
    path = cfg.get("ckpt_path")
    if path and path != "last" and not Path(path).is_file():
        return [f"ckpt_path={path}: no such checkpoint (use a .ckpt file, or last for this run dir's last.ckpt)"]
    return []


def output_problems(cfg: DictConfig) -> list[str]:
    try:
        ensure_writable_dir(Path(cfg.paths.output_dir), "paths.output_dir")
    except OSError as error:
        return [str(error)]
    return []


def preflight(cfg: DictConfig) -> list[str]:
    """Every problem found, in the order a user would fix them; empty when the run may start."""
    if not cfg.preflight.enabled:
        return []
    return [*output_problems(cfg), *selection_problems(cfg), *resume_problems(cfg), *model_problems(cfg)]
