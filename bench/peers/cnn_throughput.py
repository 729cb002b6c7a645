"""PyTorch peer for the CNN training-throughput benchmark: the same network (Lepton's DEFAULT_CNN:
two conv 3x3 -> BN -> ReLU -> max-pool blocks, dropout, dense 128 -> ReLU -> dense), the same rows
(read from the files Lepton trained on), batch, optimiser and loop shape (shuffle, index, forward,
backward, step, loss.item()) as Lepton's engine."""
import json
import sys

import torch

import torch_loop

cfg = json.loads(sys.argv[1])
torch_loop.set_threads(cfg["threads"])
torch.manual_seed(0)
n, k = cfg["rows"], cfg["classes"]
c, h, w = cfg["inputShape"]
X = torch.from_file(cfg["xFile"], size=n * c * h * w, dtype=torch.float32).reshape(n, c, h, w)
y = torch.from_file(cfg["yFile"], size=n, dtype=torch.int32).long()


def block(cin, cout):
    return [torch.nn.Conv2d(cin, cout, 3, padding="same"), torch.nn.BatchNorm2d(cout), torch.nn.ReLU(), torch.nn.MaxPool2d(2)]


model = torch.nn.Sequential(
    *block(c, 32),
    *block(32, 64),
    torch.nn.Flatten(),
    torch.nn.Dropout(0.25),
    torch.nn.Linear(64 * (h // 4) * (w // 4), 128),
    torch.nn.ReLU(),
    torch.nn.Linear(128, k),
)
epoch_seconds = torch_loop.epoch_seconds(model, X, y, cfg["batchSize"], cfg["epochs"])
print(json.dumps({"epochSeconds": epoch_seconds, "torch": torch.__version__, "parameters": sum(p.numel() for p in model.parameters())}))
