"""Optuna peer for bench/tune.ts's MLP part: TPE + MedianPruner over the same MLP space Lepton
searches, on the same encoded Fashion-MNIST train/validation matrices Lepton's tuning uses (its
fixed split and fitted standardisation, written by bench/tune.ts), with the same number of
parallel workers (n_jobs threads) and one torch intra-op thread per trial (torch.set_num_threads
is process-wide, so 1 thread × n_jobs = workers threads: the same cores Lepton's worker
processes get; OpenBLAS, which Debian's torch multiplies with and which ignores
torch.set_num_threads, is held to one thread too, as Lepton's engine holds it). Each trial: the
space's optimizer (AdamW, decoupled weight decay, as Lepton's 'adamw'; or Adam, weight decay =
L2, as Lepton's 'adam'), constant learning rate,
shuffled mini-batches, cross-entropy, up to `epochs` epochs, −validation log-loss reported to the
pruner after every epoch (what Lepton's ASHA sees), and the value is the validation macro
one-vs-rest ROC-AUC of the epoch with the lowest validation loss (Lepton keeps its best epoch).
Prints JSON: per finished trial its wall time since the start, state and value."""
import copy
import json
import sys
import time

import numpy as np
import optuna
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.metrics import roc_auc_score
from optuna_space import suggest
from torch_loop import set_threads

set_threads(1)
cfg = json.loads(open(sys.argv[1]).read())
d, nf = cfg["dir"], cfg["numFeatures"]
xt = torch.from_numpy(np.fromfile(f"{d}/xtrain.f32", dtype=np.float32).reshape(-1, nf))
yt = torch.from_numpy(np.fromfile(f"{d}/ytrain.i32", dtype=np.int32).astype(np.int64))
xv = torch.from_numpy(np.fromfile(f"{d}/xval.f32", dtype=np.float32).reshape(-1, nf))
yv_np = np.fromfile(f"{d}/yval.i32", dtype=np.int32).astype(np.int64)
yv = torch.from_numpy(yv_np)
k = cfg["numClasses"]
space = cfg["space"]
optuna.logging.set_verbosity(optuna.logging.WARNING)
start = time.perf_counter()
events = []


def mlp(hidden, dropout, seed):
    torch.manual_seed(seed)
    layers, width = [], nf
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU(), nn.Dropout(dropout)]
        width = h
    layers.append(nn.Linear(width, k))
    return nn.Sequential(*layers)


def objective(trial):
    p = {n: suggest(trial, n, v) for n, v in space.items()}
    model = mlp(p["hidden"], p["dropout"], cfg["seed"])
    optimizer = torch.optim.AdamW if p.get("optimizer", "adam") == "adamw" else torch.optim.Adam
    opt = optimizer(model.parameters(), lr=p["lr"], weight_decay=p["weightDecay"])
    g = torch.Generator().manual_seed(cfg["seed"])
    n, bs = xt.shape[0], p["batchSize"]
    best_loss, best_state = float("inf"), None
    for epoch in range(1, p["epochs"] + 1):
        model.train()
        perm = torch.randperm(n, generator=g)
        for i in range(0, n, bs):
            idx = perm[i : i + bs]
            opt.zero_grad()
            F.cross_entropy(model(xt[idx]), yt[idx]).backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            val_loss = F.cross_entropy(model(xv), yv).item()
        if val_loss < best_loss:
            best_loss, best_state = val_loss, copy.deepcopy(model.state_dict())
        trial.report(-val_loss, epoch)
        if trial.should_prune():
            events.append({"t": time.perf_counter() - start, "state": "pruned", "value": None})
            raise optuna.TrialPruned()
    model.load_state_dict(best_state)
    model.eval()
    with torch.no_grad():
        prob = torch.softmax(model(xv), dim=1).numpy()
    auc = roc_auc_score(yv_np, prob, multi_class="ovr", average="macro")
    events.append({"t": time.perf_counter() - start, "state": "complete", "value": auc})
    return auc


study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=cfg["seed"]), pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=cfg["warmupEpochs"]))
study.optimize(objective, timeout=cfg["seconds"], n_jobs=cfg["workers"])
print(json.dumps({"optuna": optuna.__version__, "torch": torch.__version__, "events": events, "trials": len(study.trials)}))
