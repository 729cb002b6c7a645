"""PyTorch peer for the MLP training-throughput benchmark: the same network, batch, optimiser
and loop shape (shuffle, index, forward, backward, step, loss.item()) as Lepton's engine."""
import json
import sys
import time

import torch
import torch.nn.functional as F

cfg = json.loads(sys.argv[1])
torch.set_num_threads(cfg["threads"])
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
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
bs = cfg["batchSize"]
epoch_seconds = []
for epoch in range(cfg["epochs"]):
    t0 = time.perf_counter()
    model.train()
    perm = torch.randperm(n)
    total = 0.0
    for i in range(0, n, bs):
        idx = perm[i : i + bs]
        opt.zero_grad()
        loss = F.cross_entropy(model(X[idx]), y[idx])
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
    epoch_seconds.append(time.perf_counter() - t0)
print(json.dumps({"epochSeconds": epoch_seconds, "torch": torch.__version__}))
