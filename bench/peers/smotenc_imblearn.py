"""imbalanced-learn peer for the SMOTE-NC comparison. Reads a JSON file with the raw credit-g
training and test columns (numeric values, categorical codes, class codes) and Lepton's
SMOTE-NC output for several seeds; resamples the same training rows with imblearn's SMOTENC
(k=5) for the same seeds, once with the numeric columns standardised on the training split
(the distance Lepton uses) and once raw (imblearn's default use); puts every resampled set
through the same scikit-learn preprocessing (standardise + one-hot, fitted on that set) and
logistic regression; prints class counts, test ROC-AUC and resampling time per side, and how
far apart the synthetic rows' category frequencies are (total-variation distance)."""
import json
import sys
import time

import numpy as np
from imblearn.over_sampling import SMOTENC
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

data = json.load(open(sys.argv[1]))
pos = data["positive"]


def arrays(part):
    num = np.array(part["num"], dtype=float).T  # None -> nan
    cat = np.array(part["cat"], dtype=float).T
    return num, cat, np.array(part["y"])


Xn, Xc, y = arrays(data["train"])
Tn, Tc, ty = arrays(data["test"])
p, q = Xn.shape[1], Xc.shape[1]


def auc(num, cat, yr):
    prep = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), list(range(p))),
        ("cat", OneHotEncoder(handle_unknown="ignore"), list(range(p, p + q))),
    ])
    m = make_pipeline(prep, LogisticRegression(max_iter=5000)).fit(np.hstack([num, cat]), yr)
    col = list(m.classes_).index(pos)
    return float(roc_auc_score(ty == pos, m.predict_proba(np.hstack([Tn, Tc]))[:, col]))


mu, sd = np.nanmean(Xn, 0), np.nanstd(Xn, 0)
sd[sd < 1e-12] = 1


def smotenc(seed, scaled):
    num = (Xn - mu) / sd if scaled else Xn
    started = time.perf_counter()
    Xr, yr = SMOTENC(categorical_features=list(range(p, p + q)), k_neighbors=5, random_state=seed).fit_resample(np.hstack([num, Xc]), y)
    secs = time.perf_counter() - started
    rn = Xr[:, :p] * sd + mu if scaled else Xr[:, :p]
    return rn, Xr[:, p:], yr, secs


def side():
    return {"auc": [], "counts": None, "seconds": []}


out = {"lepton": side(), "imblearn": side(), "imblearnRaw": side()}
synth_l, synth_i = [], []
for run in data["lepton"]:
    seed = run["seed"]
    ln, lc, ly = arrays(run)
    out["lepton"]["auc"].append(auc(ln, lc, ly))
    out["lepton"]["counts"] = np.bincount(ly).tolist()
    synth_l.append(np.array(run["synthCat"], dtype=float).T)
    for key, scaled in (("imblearn", True), ("imblearnRaw", False)):
        rn, rc, ry, secs = smotenc(seed, scaled)
        out[key]["auc"].append(auc(rn, rc, ry))
        out[key]["counts"] = np.bincount(ry).tolist()
        out[key]["seconds"].append(secs)
        if scaled:
            synth_i.append(rc[len(y):])
out["none"] = auc(Xn, Xc, y)
out["countsNone"] = np.bincount(y).tolist()


def tv(a, b):
    """Mean over categorical columns of the total-variation distance between category frequencies."""
    d = []
    for j in range(q):
        cats = np.union1d(a[:, j], b[:, j])
        fa = np.array([(a[:, j] == c).mean() for c in cats])
        fb = np.array([(b[:, j] == c).mean() for c in cats])
        d.append(0.5 * np.abs(fa - fb).sum())
    return float(np.mean(d))


# The first half of the seeds of one side against the second half of the other, beside the same
# split within each side (the seed-to-seed noise at this sample size).
half = len(synth_i) // 2
out["categoryTv"] = tv(np.vstack(synth_l[:half]), np.vstack(synth_i[half:]))
out["categoryTvImblearnSeeds"] = tv(np.vstack(synth_i[:half]), np.vstack(synth_i[half:]))
out["categoryTvLeptonSeeds"] = tv(np.vstack(synth_l[:half]), np.vstack(synth_l[half:]))
print(json.dumps(out))
