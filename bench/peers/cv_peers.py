"""scikit-learn / XGBoost peers for the 5-fold CV ROC-AUC benchmark, with the preprocessing the
datasets README describes: median / most-frequent impute, standard scaling, one-hot.
  cv_peers.py DATA TARGET FOLDS SEEDS [FOLD_FILE]
FOLD_FILE (optional): a JSON list with each row's fold number (file order; -1 = not used), so the
peers are scored on exactly the caller's folds (paired per fold); without it, StratifiedKFold
with each seed."""
import io
import json
import re
import sys

import numpy as np
import pandas as pd
import xgboost as xgb
from scipy.io import arff
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

path, target, folds = sys.argv[1], sys.argv[2], int(sys.argv[3])
seeds = [int(v) for v in sys.argv[4].split(",")]
fold_of = np.array(json.loads(open(sys.argv[5]).read())) if len(sys.argv) > 5 else None


def read_arff(path):
    """scipy's reader, or for files it rejects (Weka's soybean declares a nominal value with a
    leading space) the @data rows read as CSV: numeric attributes as numbers, '?' missing."""
    try:
        data, _ = arff.loadarff(path)
        df = pd.DataFrame(data)
        for c in df.columns:
            if df[c].dtype == object:
                df[c] = df[c].str.decode("utf-8")
        return df
    except ValueError:
        names, numeric, lines = [], [], open(path, encoding="utf-8").read().splitlines()
        start = 0
        for i, line in enumerate(lines):
            low = line.strip().lower()
            if low.startswith("@attribute"):
                m = re.match(r"@attribute\s+('[^']*'|\"[^\"]*\"|\S+)\s+(.*)", line.strip(), re.I)
                names.append(m.group(1).strip("'\""))
                numeric.append(m.group(2).strip().lower() in ("numeric", "real", "integer"))
            elif low.startswith("@data"):
                start = i + 1
                break
        rows = "\n".join(l for l in lines[start:] if l.strip() and not l.startswith("%"))
        df = pd.read_csv(io.StringIO(rows), header=None, names=names, quotechar="'", skipinitialspace=True, na_values=["?"], keep_default_na=False, dtype=str)
        for n, num in zip(names, numeric):
            df[n] = pd.to_numeric(df[n]) if num else df[n].str.strip()
        return df


if path.endswith(".arff"):
    df = read_arff(path)
else:
    df = pd.read_csv(path)
y_raw = df.pop(target)
classes = sorted(y_raw.unique())
y = (y_raw == classes[0]).astype(int) if len(classes) == 2 else y_raw.astype("category").cat.codes
num = [c for c in df.columns if df[c].dtype.kind in "if"]
cat = [c for c in df.columns if c not in num]
pre = ColumnTransformer(
    [
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), num),
        ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")), cat),
    ]
)
out = {}
for seed in seeds:
    models = {
        "logistic regression": LogisticRegression(max_iter=2000),
        "random forest (500)": RandomForestClassifier(n_estimators=500, n_jobs=2, random_state=seed),
        "xgboost (300, d4, lr .05)": xgb.XGBClassifier(n_estimators=300, max_depth=4, learning_rate=0.05, n_jobs=2, random_state=seed),
    }
    if fold_of is None:
        cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    else:
        cv = [(np.flatnonzero((fold_of != f) & (fold_of >= 0)), np.flatnonzero(fold_of == f)) for f in range(folds)]
    for name, m in models.items():
        # Several classes: macro one-vs-rest ROC-AUC, as Lepton's reports compute it.
        scoring = "roc_auc" if len(classes) == 2 else "roc_auc_ovr"
        scores = cross_val_score(Pipeline([("pre", pre), ("m", m)]), df, y, cv=cv, scoring=scoring)
        out.setdefault(name, []).extend(float(v) for v in scores)
# Per-fold ROC-AUC for every seed; the caller summarises Lepton and peers the same way.
print(json.dumps(out))
