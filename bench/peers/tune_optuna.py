"""Optuna peer for bench/tune.ts: TPE + MedianPruner over the same XGBoost space, on the same
encoded train/validation matrices Lepton's tuning uses, with the same number of parallel workers
(n_jobs threads; each booster gets nthread = cores // workers). Prints JSON: per finished trial
its wall time since the start, state and value."""
import json
import sys
import time

import numpy as np
import optuna
import xgboost as xgb
from sklearn.metrics import roc_auc_score
from optuna_space import suggest

cfg = json.loads(open(sys.argv[1]).read())
d = cfg["dir"]
xt = np.fromfile(f"{d}/xtrain.f32", dtype=np.float32).reshape(-1, cfg["numFeatures"])
yt = np.fromfile(f"{d}/ytrain.i32", dtype=np.int32)
xv = np.fromfile(f"{d}/xval.f32", dtype=np.float32).reshape(-1, cfg["numFeatures"])
yv = np.fromfile(f"{d}/yval.i32", dtype=np.int32)
dtrain = xgb.DMatrix(xt, label=yt)
dval = xgb.DMatrix(xv, label=yv)
space = cfg["space"]
optuna.logging.set_verbosity(optuna.logging.WARNING)
start = time.perf_counter()
events = []


class Report(xgb.callback.TrainingCallback):
    """Every `every` rounds: −validation log-loss to the pruner (what Lepton's ASHA sees)."""

    def __init__(self, trial, every):
        self.trial, self.every = trial, every

    def after_iteration(self, model, epoch, evals_log):
        rnd = epoch + 1
        if rnd % self.every == 0:
            self.trial.report(-evals_log["val"]["logloss"][-1], rnd)
            if self.trial.should_prune():
                raise optuna.TrialPruned()
        return False


def objective(trial):
    p = {k: suggest(trial, k, v) for k, v in space.items()}
    params = {
        "objective": "binary:logistic", "eval_metric": "logloss", "tree_method": "hist", "nthread": cfg["threads"], "seed": cfg["seed"], "verbosity": 0,
        "eta": p["learningRate"], "max_depth": p["maxDepth"], "min_child_weight": p["minChildWeight"], "subsample": p["subsample"],
        "colsample_bytree": p["colsampleBytree"], "lambda": p["lambda"], "alpha": p["alpha"],
    }
    try:
        bst = xgb.train(params, dtrain, num_boost_round=cfg["rounds"], evals=[(dval, "val")], early_stopping_rounds=cfg["earlyStoppingRounds"], verbose_eval=False, callbacks=[Report(trial, cfg["reportEvery"])])
    except optuna.TrialPruned:
        events.append({"t": time.perf_counter() - start, "state": "pruned", "value": None})
        raise
    pred = bst.predict(dval, iteration_range=(0, bst.best_iteration + 1))
    auc = roc_auc_score(yv, pred)
    events.append({"t": time.perf_counter() - start, "state": "complete", "value": auc})
    return auc


study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=cfg["seed"]), pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=cfg["reportEvery"] * 2))
study.optimize(objective, timeout=cfg["seconds"], n_jobs=cfg["workers"])
print(json.dumps({"optuna": optuna.__version__, "xgboost": xgb.__version__, "events": events, "trials": len(study.trials)}))
