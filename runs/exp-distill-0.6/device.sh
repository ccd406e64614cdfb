#!/usr/bin/env bash
# Section 29's four calls on one warm GPU machine (docs/EXPERIMENTS.md), each carrying what it
# names (a call takes at most 64 MiB, so the MPNet parts travel one a call; models/ is moved
# out of the checkout for the calls). Made here first:
#   python scripts/teacher_gpu.py pack --model <all-mpnet-base-v2 folder> --out .tgpu --part-mb 50
#   python scripts/teacher_gpu.py rows --data data/default --out .tgpu/rows
#   bash scripts/gpu_sweep.sh stage data/default
#   (.evalx/texts.jsonl.gz: the distinct sentences of ../shared/eval, read there, kept out of git)
# then: stage1 (carry .tgpu/w0 .tgpu/rows), stage2 (carry .tgpu/w1 .tgpu/meta
# .evalx/texts.jsonl.gz), teacher (carry .tgpu/w2), student (carry .gpu .whl).
set -uo pipefail
case "$1" in
stage1)
    mkdir -p /tmp/stage /tmp/rows && cp .tgpu/w0/*.safetensors /tmp/stage/ && cp .tgpu/rows/* /tmp/rows/
    nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
    python3 -c "import torch, transformers; print(torch.__version__, transformers.__version__, torch.cuda.is_available())"
    ;;
stage2)
    mkdir -p /tmp/meta && cp .tgpu/w1/*.safetensors /tmp/stage/ && cp .tgpu/meta/* /tmp/meta/
    cp .evalx/texts.jsonl.gz /tmp/extra.jsonl.gz && ls -l /tmp/stage /tmp/rows /tmp/extra.jsonl.gz
    ;;
teacher)
    cp .tgpu/w2/*.safetensors /tmp/stage/ && mkdir -p /tmp/teacher
    PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false timeout "${TEACHER_LIMIT_S:-520}" \
        python3 scripts/teacher_gpu.py train --parts /tmp/stage --meta /tmp/meta --rows /tmp/rows \
        --out /tmp/teacher --epochs 1 --lr 3e-5 --batch-size 32 --folds 2 \
        --extra /tmp/extra.jsonl.gz 2>&1 | tee /tmp/teacher/train.log
    cp /tmp/teacher/* "$OUT"/
    ;;
student)
    mkdir -p runs/teacher-mpnet-0.6 && cp /tmp/teacher/teacher-margins.jsonl.gz runs/teacher-mpnet-0.6/ || exit 1
    TRAIN_LIMIT_S="${TRAIN_LIMIT_S:-500}" bash scripts/gpu_sweep.sh run configs/experiments/distill-mpnet-0.6.yaml
    ;;
esac
