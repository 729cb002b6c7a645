"""FastAPI + uvicorn + PyTorch peer for the serving benchmark. It serves the same network as
Lepton: it reads Lepton's model file (safetensors: JSON header with the manifest, then raw
float32 weights), applies the same preprocessing (impute, standardise, one-hot with an unknown
bucket) and runs the MLP in PyTorch. Usage: serve_fastapi.py MODEL_FILE PORT"""
import json
import struct
import sys

import numpy as np
import torch
import uvicorn
from fastapi import FastAPI, Request

torch.set_num_threads(1)
path, port = sys.argv[1], int(sys.argv[2])
raw = open(path, "rb").read()
(hlen,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8 : 8 + hlen])
manifest = json.loads(header["__metadata__"]["lepton.manifest"])
base = 8 + hlen
member = manifest["members"][0]
p = member["params"]
assert member["family"] in ("mlp", "logistic") and len(manifest["members"]) == 1, "the peer serves one torch MLP"
assert p.get("activation", "relu") == "relu" and not p.get("batchNorm"), "the peer builds ReLU layers without batch norm"


def tensor(name):
    t = header["m0." + name]
    b, e = t["data_offsets"]
    return torch.from_numpy(np.frombuffer(raw[base + b : base + e], dtype=np.float32).copy().reshape(t["shape"]))


layers, i = [], 0
hidden = member["params"]["hidden"]
for _ in hidden:
    lin = torch.nn.Linear(1, 1)
    lin.weight, lin.bias = torch.nn.Parameter(tensor(f"{i}.weight")), torch.nn.Parameter(tensor(f"{i}.bias"))
    layers += [lin, torch.nn.ReLU()]
    i += 3 if member["params"].get("dropout", 0) > 0 else 2
out = torch.nn.Linear(1, 1)
out.weight, out.bias = torch.nn.Parameter(tensor(f"{i}.weight")), torch.nn.Parameter(tensor(f"{i}.bias"))
net = torch.nn.Sequential(*layers, out).eval()
steps = manifest["pipeline"]["steps"]
classes = manifest["target"]["classes"]
width = sum(1 if s["kind"] == "scale" else len(s["categories"]) + 1 for s in steps)


def features(row):
    x = np.zeros(width, dtype=np.float32)
    o = 0
    for s in steps:
        v = row.get(s["column"])
        if s["kind"] == "scale":
            v = s["median"] if v is None else float(v)
            x[o] = (v - s["mean"]) / s["std"]
            o += 1
        else:
            cats = s["categories"]
            v = s["fill"] if v is None else str(v)
            x[o + (cats.index(v) if v in cats else len(cats))] = 1
            o += len(cats) + 1
    return x


app = FastAPI()


@app.post("/predict")
async def predict(request: Request):
    body = await request.json()
    rows = body["rows"] if "rows" in body else [body["row"]]
    x = torch.from_numpy(np.stack([features(r) for r in rows]))
    with torch.inference_mode():
        p = torch.softmax(net(x), dim=1).numpy()
    return {"predictions": [{"label": classes[int(r.argmax())], "probabilities": dict(zip(classes, map(float, r)))} for r in p]}


uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
