"""Average the weights of fine-tuned model folders of one shape (a uniform "model soup").

    python scripts/soup.py models/garble-minilm runs/exp-draws4/model --out runs/exp-soup/model
    garble-train calibrate --model runs/exp-soup/model --config configs/experiments/draws4.yaml

The output is a copy of the first folder (tokenizer, config, meta, card; not its ONNX export,
which would be stale) with the mean of the folders' fp32 weights, stored int8 as the shipped
folders are. Its threshold, metrics and meta are the first folder's until ``garble-train
calibrate`` refits them (docs/EXPERIMENTS.md section 19).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import torch

from detector.weights import WEIGHTS_FILE, load_classifier, save_int8


def average_state(folders: list[Path]) -> dict[str, torch.Tensor]:
    """Return the element-wise mean of the folders' floating-point weights (read as fp32)."""
    states = [load_classifier(f).state_dict() for f in folders]
    keys = set(states[0])
    if any(set(s) != keys for s in states[1:]):
        raise ValueError("the folders hold different weight names: not one model shape")
    return {
        k: torch.stack([s[k] for s in states]).mean(0)
        if states[0][k].is_floating_point()
        else states[0][k]
        for k in states[0]
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folders", nargs="+", type=Path, help="two or more model folders")
    parser.add_argument("--out", type=Path, required=True, help="new folder to write")
    args = parser.parse_args(argv)
    if len(args.folders) < 2 or args.out.exists():
        print("error: give two or more folders and an --out that does not exist", file=sys.stderr)
        return 2
    try:
        state = average_state(args.folders)
    except (OSError, ValueError) as err:
        print(f"error: {err}".splitlines()[0], file=sys.stderr)
        return 2
    shutil.copytree(args.folders[0], args.out, ignore=shutil.ignore_patterns("onnx"))
    save_int8(state, args.out / WEIGHTS_FILE)
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
