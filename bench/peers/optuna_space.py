"""Lepton's search-space JSON (src/tune/space.ts) as Optuna suggestions, shared by the tuning peers."""
import json


def suggest(trial, name, p):
    if p["type"] == "loguniform":
        return trial.suggest_float(name, p["low"], p["high"], log=True)
    if p["type"] == "uniform":
        return trial.suggest_float(name, p["low"], p["high"])
    if p["type"] == "int":
        return trial.suggest_int(name, p["low"], p["high"], log=bool(p.get("log")))
    # Optuna's categoricals must be scalars: lists (hidden sizes) go by their JSON text.
    choices = [json.dumps(c) for c in p["choices"]]
    return json.loads(trial.suggest_categorical(name, choices))
