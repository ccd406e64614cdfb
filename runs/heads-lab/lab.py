"""Lab: head variants on cached states (/tmp/hc)."""
import json, sys, numpy as np, torch, time
from detector.heads import char_spans
from training.metrics import span_metrics
from training.token_loss import token_labels
torch.set_num_threads(1)

def load(name):
    z = np.load(f"/tmp/hc/{name}.npz"); rows = json.load(open(f"/tmp/hc/{name}.json"))
    lens = z["lens"]; starts = np.concatenate([[0], np.cumsum(lens)])
    offs = [ [tuple(o) for o in z["offsets"][starts[i]:starts[i+1]]] for i in range(len(rows))]
    return rows, z["tokens"], z["means"], offs, starts

def context(tokens, starts, k):
    if k == 0: return tokens
    parts = [tokens]
    for d in range(1, k + 1):
        for sgn in (-1, 1):
            sh = np.zeros_like(tokens)
            for i in range(len(starts) - 1):
                a, b = starts[i], starts[i+1]
                if sgn < 0: sh[a+d:b] = tokens[a:b-d]
                else: sh[a:b-d] = tokens[a+d:b]
            parts.append(sh)
    return np.concatenate(parts, 1)

def labels(rows, offs):
    return np.concatenate([token_labels(o, r["spans"] if r["span_gold"] else []) for r, o in zip(rows, offs)])

def fit_mlp(x, y, hidden, epochs=4, lr=1e-3, wd=1e-4):
    torch.manual_seed(0)
    x = torch.from_numpy(x.astype(np.float32)); y = torch.from_numpy(y.astype(np.float32))
    m = torch.nn.Sequential(torch.nn.Linear(x.shape[1], hidden), torch.nn.GELU(), torch.nn.Linear(hidden, 1)) if hidden else torch.nn.Linear(x.shape[1], 1)
    opt = torch.optim.AdamW(m.parameters(), lr=lr, weight_decay=wd)
    n = len(x)
    for ep in range(epochs):
        perm = torch.randperm(n)
        for i in range(0, n, 512):
            b = perm[i:i+512]
            loss = torch.nn.functional.binary_cross_entropy_with_logits(m(x[b]).squeeze(-1), y[b])
            opt.zero_grad(); loss.backward(); opt.step()
    m.eval()
    return lambda z: torch.sigmoid(m(torch.from_numpy(z.astype(np.float32))).squeeze(-1)).detach().numpy()

def evaluate(pred, rows, offs, starts, thresholds, groups=None):
    out = {}
    for t in thresholds:
        spans = []
        for i, r in enumerate(rows):
            sc = pred[starts[i]:starts[i+1]].tolist()
            spans.append([[a, b] for a, b, _ in char_spans(offs[i], sc, r["text"], t)])
        res = {}
        for g, sel in (groups or {"all": range(len(rows))}).items():
            sel = list(sel)
            res[g] = span_metrics([rows[i]["text"] for i in sel], [rows[i]["spans"] for i in sel], [spans[i] for i in sel])
        out[t] = res
    return out

tr_rows, tr_tok, tr_mean, tr_offs, tr_st = load("train")
od_rows, od_tok, od_mean, od_offs, od_st = load("own_dev")
md_rows, md_tok, md_mean, md_offs, md_st = load("mqm_dev")
keep = [i for i, r in enumerate(md_rows) if r["kind"] == "mt" and r["spans"]]
groups_own = {"all": range(len(od_rows))}
for rec in sorted({r["kind"] for r in od_rows}):
    groups_own[rec] = [i for i, r in enumerate(od_rows) if r["kind"] == rec]
y = labels(tr_rows, tr_offs)
mask = np.concatenate([[r["span_gold"]] * len(o) for r, o in zip(tr_rows, tr_offs)]).astype(bool)
variants = sys.argv[1].split(",")
for v in variants:
    k, hidden = int(v.split(":")[0]), int(v.split(":")[1])
    t0 = time.time()
    X = context(tr_tok.astype(np.float32), tr_st, k)[mask]
    f = fit_mlp(X, y[mask], hidden)
    po = f(context(od_tok.astype(np.float32), od_st, k)); pm = f(context(md_tok.astype(np.float32), md_st, k))
    ths = [0.2, 0.3, 0.4, 0.5, 0.6]
    eo = evaluate(po, od_rows, od_offs, od_st, ths, groups_own)
    em = evaluate(pm, [md_rows[i] for i in keep], [md_offs[i] for i in keep], np.concatenate([[0], np.cumsum([len(md_offs[i]) for i in keep])]), ths) if False else None
    # mqm: rebuild pred for kept rows
    pk = np.concatenate([pm[md_st[i]:md_st[i+1]] for i in keep]); sk = np.concatenate([[0], np.cumsum([md_st[i+1]-md_st[i] for i in keep])])
    em = evaluate(pk, [md_rows[i] for i in keep], [md_offs[i] for i in keep], sk, ths)
    print(f"== context {k} hidden {hidden} ({time.time()-t0:.0f}s)")
    for t in ths:
        print(t, "own F1", eo[t]["all"]["f1"], {g: eo[t][g]["f1"] for g in groups_own if g != "all"}, "P", eo[t]["all"]["precision"], "R", eo[t]["all"]["recall"], "| MQM MCC", em[t]["all"]["mcc"], "F1", em[t]["all"]["f1"], flush=True)
