#!/usr/bin/env bash
# Packs what a GPU machine with PyTorch, transformers, peft and lightning but no package index lacks into
# .gpu_carry/ (git-ignored, about 10 MB): bitsandbytes with its CUDA 13 library only (the machines run
# torch+cu130), hydra-core, omegaconf and antlr4, each with its dist-info so version checks find it.
# wandb and imbalanced-learn stay behind: a run that logs to CSV imports neither. There, from the repo root:
#   PYTHONPATH=src:.gpu_carry python3 -m pytest -m gpu tests/gpu/test_gpu.py tests/unit/backbone/test_mistral3_layouts.py
#   PYTHONPATH=src:.gpu_carry python3 benchmarks/step_throughput.py --layers 8 --out throughput.json
set -euo pipefail
cd "$(dirname "$0")/.."
site=$(.venv/bin/python -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
rm -rf .gpu_carry && mkdir .gpu_carry
for name in bitsandbytes hydra omegaconf antlr4 bitsandbytes-*.dist-info hydra_core-*.dist-info \
            omegaconf-*.dist-info antlr4_python3_runtime-*.dist-info; do
  cp -r "$site"/$name .gpu_carry/
done
find .gpu_carry/bitsandbytes -name 'libbitsandbytes_*.so' ! -name 'libbitsandbytes_cuda130.so' \
  ! -name 'libbitsandbytes_cpu.so' -delete
find .gpu_carry -name __pycache__ -prune -exec rm -rf {} +
du -sh .gpu_carry
