"""PyTorch peer for the MLP training-throughput benchmark: the same network, batch, optimiser
and loop shape (shuffle, index, forward, backward, step, loss.item()) as Lepton's engine."""
import json
import sys

import torch

import torch_loop

cfg = json.loads(sys.argv[1])
torch_loop.set_threads(cfg["threads"], cfg.get("blasThreads"))
torch.manual_seed(0)
n, d, k = cfg["rows"], cfg["inputDim"], cfg["classes"]
X = torch.randn(n, d)
y = torch.randint(0, k, (n,))
layers, last = [], d
for h in cfg["hidden"]:
    layers += [torch.nn.Linear(last, h), torch.nn.ReLU()]
    last = h
layers.append(torch.nn.Linear(last, k))
model = torch.nn.Sequential(*layers)
epoch_seconds = torch_loop.epoch_seconds(model, X, y, cfg["batchSize"], cfg["epochs"])
print(json.dumps({"epochSeconds": epoch_seconds, "torch": torch.__version__}))
