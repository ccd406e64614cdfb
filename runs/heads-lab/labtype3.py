"""Lab: type head on [mean, span-weighted mean] features."""
import json, numpy as np
from sklearn.linear_model import LogisticRegression
from detector.heads import Heads
H = Heads.load("models/garble-mpnet")
def load(name):
    z = np.load(f"/tmp/hc/{name}.npz"); rows = json.load(open(f"/tmp/hc/{name}.json"))
    st = np.concatenate([[0], np.cumsum(z["lens"])]); tok = z["tokens"].astype(np.float32)
    p = H.token_scores(tok[None])[0]
    w = []
    for i in range(len(rows)):
        a, b = st[i], st[i+1]
        ww = p[a:b] / max(p[a:b].sum(), 1e-6)
        w.append((tok[a:b] * ww[:, None]).sum(0) if b > a else np.zeros(tok.shape[1]))
    feats = np.concatenate([z["means"], np.stack(w), np.stack([[p[st[i]:st[i+1]].mean() if st[i+1] > st[i] else 0, p[st[i]:st[i+1]].max() if st[i+1] > st[i] else 0] for i in range(len(rows))])], 1)
    return rows, feats
tr, trf = load("train"); od, odf = load("own_dev"); md, mdf = load("mqm_dev")
sel = [i for i, r in enumerate(tr) if r["kind"] != "clean"]
y = np.array([tr[i]["kind"] == "spinner" for i in sel])
odk = np.array([{"spinner": 1, "mt_round_trip": 0, "mt_noise": 0}[r["kind"]] for r in od])
D = 768
for name, cols in [("mean", slice(0, D)), ("weighted", slice(D, 2*D)), ("both", slice(0, 2*D+2))]:
    for c in [0.1, 1.0]:
        m = LogisticRegression(C=c, max_iter=2000, class_weight="balanced").fit(trf[sel][:, cols], y)
        po = m.predict_proba(odf[:, cols])[:, 1] >= 0.5; pm = m.predict_proba(mdf[:, cols])[:, 1] >= 0.5
        res = {"own_mt": round(float((~po[odk == 0]).mean()), 3), "own_spin": round(float(po[odk == 1].mean()), 3)}
        for k in ["mt", "spinner"]:
            ix = [i for i, r in enumerate(md) if r["kind"] == k]
            res["mqm_" + k] = round(float((pm[ix] == (k == "spinner")).mean()), 3)
        print(name, c, res, flush=True)
