"""Seconds-long checks before any data or encoder work, so a run that cannot finish says why at once.

Each problem is one line that names the key and what to do; `train.py` prints them all and exits."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from emotune.backbone.placement import uses_cuda
from emotune.evaluation.metric_names import AVERAGED, PER_LABEL
from emotune.evaluation.roles import SELECTIONS
from emotune.run.thresholds import threshold_split
from emotune.utils.atomic import ensure_writable_dir
from emotune.utils.hub import looks_like_path

LARGE_ON_CPU = 1e9  # parameters: above this a quantized backbone is refused without a CUDA device
THRESHOLD_SPLITS = ("auto", None, "val", "tune")
SELECTABLE = {"loss", *AVERAGED, *PER_LABEL}


@dataclass
class Found:
    """Where a model was found (its config.json on this machine, or its size as the hub reports it), or why not."""

    config_file: Path | None = None
    hub_parameters: float | None = None
    problem: str | None = None


def find_model(name: str, key: str, hub_timeout: float) -> Found:
    """A local folder, the Hugging Face cache, or a reachable hub, in that order."""
    import huggingface_hub
    from huggingface_hub import constants, try_to_load_from_cache

    if looks_like_path(name):
        folder = Path(name).expanduser()
        if not (folder / "config.json").is_file():
            return Found(problem=f"{key}={name}: no model folder there (expected a folder with config.json)")
        return Found(config_file=folder / "config.json")
    try:
        cached = try_to_load_from_cache(name, "config.json")
    except huggingface_hub.errors.HFValidationError:
        return Found(problem=f"{key}={name}: no such local folder, and not a hub model id (owner/name)")
    if isinstance(cached, str):
        return Found(config_file=Path(cached))
    if constants.HF_HUB_OFFLINE:
        return Found(problem=f"{key}={name}: not a local folder and not in the Hugging Face cache "
                             f"({constants.HF_HUB_CACHE}), and HF_HUB_OFFLINE is set; download it first or point the "
                             "key at a local folder")
    try:
        info = huggingface_hub.model_info(name, timeout=hub_timeout, expand=["safetensors"])
    except huggingface_hub.errors.GatedRepoError:
        return Found(problem=f"{key}={name}: the model is gated; accept its terms on the hub and run `hf auth login`")
    except huggingface_hub.errors.RepositoryNotFoundError:
        return Found(problem=f"{key}={name}: no such model on the hub, in the cache or on disk")
    except Exception as error:  # noqa: BLE001  (any failure to reach the hub means the same here)
        return Found(problem=f"{key}={name}: not a local folder, not in the Hugging Face cache "
                             f"({constants.HF_HUB_CACHE}), and the hub is not reachable ({type(error).__name__}); "
                             "point the key at a local folder")
    return Found(hub_parameters=float(info.safetensors.total) if info.safetensors else None)


def parameter_count(found: Found, name: str) -> float | None:
    """From the decoder's shapes when its config is at hand, else the hub's count, else a size in the name."""
    if found.hub_parameters:
        return found.hub_parameters
    if found.config_file is not None:
        try:
            config = json.loads(found.config_file.read_text())
        except (OSError, ValueError):
            config = {}
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
        problems.append(find_model(encoder, "encoder.name_or_path", timeout).problem)
    if not cfg.get("backbone"):
        return [p for p in problems if p]
    if cfg.get("quant") and not cfg.get("lora"):
        problems.append("lora=none with a quantized backbone leaves nothing to train: set quant=none or a lora")
    name = cfg.backbone.name_or_path
    found = find_model(name, "backbone.name_or_path", timeout)
    problems.append(found.problem)
    params = parameter_count(found, name)
    if cfg.get("quant") and params and params > LARGE_ON_CPU and not cfg.preflight.allow_cpu \
            and not uses_cuda(cfg.trainer.accelerator):
        problems.append(
            f"backbone {name} (~{params / 1e9:.0f}B parameters) in quant=nf4 needs a CUDA GPU, and none is in use "
            f"(trainer.accelerator={cfg.trainer.accelerator}); on CPU run `python train.py experiment=quickstart` "
            "(no language model) or `experiment=cpu_text`, or set preflight.allow_cpu=true to try anyway")
    return [p for p in problems if p]


def monitor_problems(cfg: DictConfig) -> list[str]:
    """A monitor (the checkpoint's picks the best epoch) on a key the module never logs would fail only after an
    epoch."""
    problems = []
    for name, entry in (cfg.get("callbacks") or {}).items():
        if not isinstance(entry, DictConfig) or "monitor" not in entry:  # ModelCheckpoint, EarlyStopping
            continue
        monitor, mode = entry.get("monitor"), entry.get("mode", "min")
        if monitor is None:
            continue
        metric = monitor.split("/")[1] if monitor.startswith("val/") and monitor.count("/") >= 1 else None
        if metric not in SELECTABLE:
            problems.append(f"callbacks.{name}.monitor={monitor}: expected val/loss or val/<metric> with <metric> one "
                            f"of {', '.join(sorted(SELECTABLE - {'loss'}))} (per label: val/f1/<label>)")
        elif mode != ("min" if metric == "loss" else "max"):
            problems.append(f"callbacks.{name}.mode={mode}: {monitor} is better when "
                            f"{'lower' if metric == 'loss' else 'higher'}, so mode should be "
                            f"{'min' if metric == 'loss' else 'max'}")
    return problems


def selection_problems(cfg: DictConfig) -> list[str]:
    """Also checked when training starts, so a direct call of `train` cannot tune on test either."""
    tune_on, fraction = cfg.thresholds.tune_on, cfg.datamodule.get("tune_fraction", 0.0)
    selection = cfg.datamodule.get("selection", "auto")
    problems = []
    if selection not in SELECTIONS:
        problems.append(f"datamodule.selection={selection}: expected one of {', '.join(SELECTIONS)}")
    if tune_on not in THRESHOLD_SPLITS:
        problems.append(f"thresholds.tune_on={tune_on}: expected auto (the selection split), val, tune or null; the "
                        "test split only reports, it never chooses")
    if not 0 <= fraction < 1:
        problems.append(f"datamodule.tune_fraction={fraction}: expected a share in [0, 1)")
    elif fraction == 0 and "tune" in (selection, tune_on):
        problems.append(f"{'thresholds.tune_on' if tune_on == 'tune' else 'datamodule.selection'}=tune needs "
                        "datamodule.tune_fraction > 0 (e.g. 0.1), which carves the tune split from train")
    if tune_on in THRESHOLD_SPLITS and selection in ("val", "tune"):
        try:
            threshold_split(tune_on, selection)
        except ValueError as error:
            problems.append(str(error))
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
    return [*output_problems(cfg), *selection_problems(cfg), *monitor_problems(cfg), *resume_problems(cfg),
            *model_problems(cfg)]
