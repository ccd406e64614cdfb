"""Lab: type head variants on cached mean states."""
import json, numpy as np
from sklearn.linear_model import LogisticRegression
def load(name):
    z = np.load(f"/tmp/hc/{name}.npz"); return json.load(open(f"/tmp/hc/{name}.json")), z["means"]
tr, trm = load("train"); od, odm = load("own_dev"); md, mdm = load("mqm_dev")
sel = [i for i, r in enumerate(tr) if r["kind"] != "clean"]
y = np.array([tr[i]["kind"] == "spinner" for i in sel])
print("type rows", len(sel), "spinner", y.sum(), {s: sum(1 for i in sel if tr[i]["source"] == s) for s in {tr[i]["source"] for i in sel}})
odk = np.array([{"spinner": 1, "mt_round_trip": 0, "mt_noise": 0}[r["kind"]] for r in od])
for c in [0.1, 1.0, 10.0]:
    for bal in [None, "balanced"]:
        m = LogisticRegression(C=c, max_iter=1000, class_weight=bal).fit(trm[sel], y)
        po = m.predict_proba(odm)[:, 1] >= 0.5
        pm = m.predict_proba(mdm)[:, 1] >= 0.5
        res = {"own_mt": round(float((~po[odk == 0]).mean()), 3), "own_spin": round(float(po[odk == 1]).mean() if False else float(po[odk == 1].mean()), 3)}
        for k in ["mt", "spinner"]:
            ix = [i for i, r in enumerate(md) if r["kind"] == k]
            res["mqm_" + k] = round(float((pm[ix] == (k == "spinner")).mean()), 3), len(ix)
        print(c, bal, res, flush=True)
