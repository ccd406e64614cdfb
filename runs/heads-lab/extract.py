"""Lab: extract last hidden states of the heads' train/dev rows once, into /tmp/hc."""
import json, sys, random, numpy as np, logging
logging.basicConfig(level=logging.INFO)
from detector.api import GarbleDetector
from training.config import load_config
from training.heads import own_rows, mqm_rows, hidden_states, Row, TYPE_OF_RECIPE
from datasets import load_from_disk
cfg = load_config("configs/accurate.yaml"); h = cfg.heads
det = GarbleDetector.from_pretrained(sys.argv[1], backend="torch", threads=1)
train = own_rows(cfg.data.output_dir, "train", h.own_garbled, h.own_clean, cfg.seed) + mqm_rows(h.mqm, h.mqm_dev_fraction, dev=False)
# own dev with recipes
dev = load_from_disk(cfg.data.output_dir)["dev"]
rng = random.Random(cfg.seed)
idx = [i for i, y in enumerate(dev["label"]) if y == 1]
idx = rng.sample(idx, 1500)
own_dev = [Row(dev[i]["text"], [list(s) for s in dev[i]["spans"]], dev[i]["recipe"], "own") for i in idx]
mqm_all = mqm_rows(h.mqm, h.mqm_dev_fraction, dev=True)
sets = {"train": train, "own_dev": own_dev, "mqm_dev": mqm_all}
for name, rows in sets.items():
    st = hidden_states(det, [r.text for r in rows])
    lens = np.array([len(s.offsets) for s in st])
    np.savez(f"/tmp/hc/{name}.npz", tokens=np.concatenate([s.tokens for s in st]), means=np.stack([s.mean for s in st]),
             offsets=np.concatenate([np.array(s.offsets, dtype=np.int32).reshape(-1, 2) for s in st]), lens=lens)
    json.dump([r.__dict__ for r in rows], open(f"/tmp/hc/{name}.json", "w"))
    print(name, len(rows), lens.sum(), flush=True)
