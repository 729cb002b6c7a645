"""The peer side of bench/xgb.ts: the same XGBoost fits, one after another in one process, as a
tuner or AutoML makes them. Reads the float32 matrices Lepton's side wrote, fits with the same
booster parameters (early stopping on the validation rows), predicts the validation rows, and
prints each fit's wall seconds as JSON.
  xgb_fits.py DIR CONFIG_JSON"""
import json
import os
import sys
import time

import numpy as np
import xgboost as xgb

d, cfg = sys.argv[1], json.loads(sys.argv[2])
f = cfg["numFeatures"]
x = np.fromfile(os.path.join(d, "x_train.f32"), dtype=np.float32).reshape(-1, f)
y = np.fromfile(os.path.join(d, "y_train.f32"), dtype=np.float32)
xv = np.fromfile(os.path.join(d, "x_val.f32"), dtype=np.float32).reshape(-1, f)
yv = np.fromfile(os.path.join(d, "y_val.f32"), dtype=np.float32)
seconds, rounds = [], []
for i in range(cfg["fits"]):
    t = time.perf_counter()
    dtrain, dval = xgb.DMatrix(x, label=y), xgb.DMatrix(xv, label=yv)
    b = xgb.train(cfg["params"], dtrain, num_boost_round=cfg["rounds"], evals=[(dval, "valid")], early_stopping_rounds=cfg["earlyStoppingRounds"], verbose_eval=False)
    b.predict(dval, iteration_range=(0, b.best_iteration + 1))
    seconds.append(time.perf_counter() - t)
    rounds.append(b.best_iteration + 1)
print(json.dumps({"seconds": seconds, "bestRounds": rounds, "xgboost": xgb.__version__}))
