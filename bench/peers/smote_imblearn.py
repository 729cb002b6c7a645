"""imbalanced-learn peer for the SMOTE comparison. Reads a JSON file with the encoded credit-g
training and test matrices and Lepton's SMOTE output for several seeds; resamples the same
training rows with imblearn's SMOTE (k=5) for the same seeds; trains the same scikit-learn
logistic regression on each resampled set; prints class counts and test ROC-AUC."""
import json
import sys

import numpy as np
from imblearn.over_sampling import SMOTE
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

data = json.load(open(sys.argv[1]))
d = data["d"]
X = np.array(data["x"], dtype=np.float32).reshape(-1, d)
y = np.array(data["y"])
Xt = np.array(data["xTest"], dtype=np.float32).reshape(-1, d)
yt = np.array(data["yTest"])


def auc(Xr, yr):
    m = LogisticRegression(max_iter=5000).fit(Xr, yr)
    return float(roc_auc_score(yt, m.predict_proba(Xt)[:, 1]))


out = {"imblearn": [], "lepton": [], "countsImblearn": None, "countsLepton": None}
for run in data["lepton"]:
    Xi, yi = SMOTE(k_neighbors=5, random_state=run["seed"]).fit_resample(X, y)
    out["countsImblearn"] = np.bincount(yi).tolist()
    out["imblearn"].append(auc(Xi, yi))
    Xl = np.array(run["x"], dtype=np.float32).reshape(-1, d)
    yl = np.array(run["y"])
    out["countsLepton"] = np.bincount(yl).tolist()
    out["lepton"].append(auc(Xl, yl))
out["none"] = auc(X, y)
print(json.dumps(out))
