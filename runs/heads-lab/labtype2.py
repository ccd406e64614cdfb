"""Lab: type head variants; real dev (WMT09/11/13) MT rows flagged -> typed mt."""
import json, numpy as np, torch
from sklearn.linear_model import LogisticRegression
from detector.api import GarbleDetector
from training.heads import hidden_states
torch.set_num_threads(1)
def load(name):
    z = np.load(f"/tmp/hc/{name}.npz"); return json.load(open(f"/tmp/hc/{name}.json")), z["means"]
tr, trm = load("train"); od, odm = load("own_dev"); md, mdm = load("mqm_dev")
det = GarbleDetector.from_pretrained("/tmp/acc", backend="torch", threads=1)
real = [json.loads(l) for l in open("../shared/dev/mt_vs_human_dev.jsonl")]
mt = [r["text"] for r in real if r["label"] == 1]
scores = det.score(mt)
flag = np.array(scores) >= det.threshold
rm = np.stack([s.mean for s in hidden_states(det, mt)])
np.save("/tmp/hc/realdev_means.npy", rm); np.save("/tmp/hc/realdev_flag.npy", flag)
print("real dev MT rows", len(mt), "flagged", flag.sum())
sel = [i for i, r in enumerate(tr) if r["kind"] != "clean"]
odk = np.array([{"spinner": 1, "mt_round_trip": 0, "mt_noise": 0}[r["kind"]] for r in od])
for name, rows in [("own+mqm", sel), ("own only", [i for i in sel if tr[i]["source"] == "own"])]:
    y = np.array([tr[i]["kind"] == "spinner" for i in rows])
    for c in [0.1, 1.0]:
        m = LogisticRegression(C=c, max_iter=1000, class_weight="balanced").fit(trm[rows], y)
        po = m.predict_proba(odm)[:, 1] >= 0.5; pm = m.predict_proba(mdm)[:, 1] >= 0.5
        pr = m.predict_proba(rm)[:, 1] >= 0.5
        res = {"own_mt": round(float((~po[odk == 0]).mean()), 3), "own_spin": round(float(po[odk == 1].mean()), 3)}
        for k in ["mt", "spinner"]:
            ix = [i for i, r in enumerate(md) if r["kind"] == k]
            res["mqm_" + k] = round(float((pm[ix] == (k == "spinner")).mean()), 3)
        res["realdev_flagged_mt"] = round(float((~pr[flag]).mean()), 3); res["realdev_all_mt"] = round(float((~pr).mean()), 3)
        print(name, c, res, flush=True)
