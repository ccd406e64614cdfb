"""Lab: span head weighting of MQM tokens; MCC on a larger MQM dev proxy (all rated MT rows with spans in dev documents)."""
import json, sys, numpy as np, torch
src = open("/tmp/scripts/lab.py").read()
exec(src[: src.index("tr_rows, tr_tok")])
tr_rows, tr_tok, tr_mean, tr_offs, tr_st = load("train")
od_rows, od_tok, od_mean, od_offs, od_st = load("own_dev")
md_rows, md_tok, md_mean, md_offs, md_st = load("mqm_dev")
def subset(idx):
    p_st = np.concatenate([[0], np.cumsum([md_st[i+1]-md_st[i] for i in idx])])
    return [md_rows[i] for i in idx], [md_offs[i] for i in idx], p_st, lambda p: np.concatenate([p[md_st[i]:md_st[i+1]] for i in idx])
lab1 = [i for i, r in enumerate(md_rows) if r["kind"] == "mt" and r["spans"]]
proxy = [i for i, r in enumerate(md_rows) if r["source"] == "mqm-mt" and r["spans"]]
print("label-1 dev rows", len(lab1), "proxy rows", len(proxy))
y = labels(tr_rows, tr_offs)
src = np.concatenate([[r["source"]] * len(o) for r, o in zip(tr_rows, tr_offs)])
gold = np.concatenate([[r["span_gold"]] * len(o) for r, o in zip(tr_rows, tr_offs)]).astype(bool)
X = tr_tok.astype(np.float32)
for name, keep in [("all", gold), ("mqm only", gold & np.isin(src, ["mqm-mt", "mqm-ref"])), ("mqm-mt only", gold & (src == "mqm-mt"))]:
    f = fit_mlp(X[keep], y[keep], 0)
    po = f(od_tok.astype(np.float32)); pm = f(md_tok.astype(np.float32))
    ths = [0.1, 0.2, 0.3, 0.4, 0.5]
    eo = evaluate(po, od_rows, od_offs, od_st, ths)
    r1, o1, s1, g1 = subset(lab1); e1 = evaluate(g1(pm), r1, o1, s1, ths)
    r2, o2, s2, g2 = subset(proxy); e2 = evaluate(g2(pm), r2, o2, s2, ths)
    for t in ths:
        print(name, t, "own F1", eo[t]["all"]["f1"], "| lab1 MCC", e1[t]["all"]["mcc"], "marked", e1[t]["all"]["marked_share"], "| proxy MCC", e2[t]["all"]["mcc"], "marked", e2[t]["all"]["marked_share"], flush=True)
