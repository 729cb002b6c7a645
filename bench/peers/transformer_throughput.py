"""PyTorch training throughput of the Transformer classifier Lepton trains
(DEFAULT_TEXT_TRANSFORMER in src/models/net-spec.ts, TransformerImpl in native/torch_net.cc),
mirrored layer for layer: embedding (padding_idx 0) + learned positions (randn * 0.02) ->
dropout -> 2 pre-norm blocks [x + drop(MHA(norm1 x, key-padding mask)); x + drop(ff2(drop(gelu(
ff1(norm2 x)))))] -> final layer norm -> mean over the unpadded steps -> dense. The lengths and
the key-padding mask are computed from the ids each batch as Lepton's embedding does (one past the
last non-pad id), and nn.MultiheadAttention runs sequence-first as libtorch's does. Same token-id
rows (files), batch, Adam and loop (torch_loop.py). Prints seconds per epoch as JSON."""
import json
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import torch_loop

cfg = json.loads(sys.argv[1])
torch_loop.set_threads(cfg["threads"])
L, D, P = cfg["seqLen"], cfg["dim"], cfg["dropout"]
X = torch.from_numpy(np.fromfile(cfg["xFile"], dtype=np.float32).reshape(-1, L))
y = torch.from_numpy(np.fromfile(cfg["yFile"], dtype=np.int32).astype(np.int64))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(D, cfg["heads"], dropout=P)
        self.ff1 = nn.Linear(D, cfg["ff"])
        self.ff2 = nn.Linear(cfg["ff"], D)
        self.norm1 = nn.LayerNorm(D)
        self.norm2 = nn.LayerNorm(D)
        self.drop = nn.Dropout(P)

    def forward(self, x, pad):
        h = self.norm1(x).transpose(0, 1)
        x = x + self.drop(self.attn(h, h, h, key_padding_mask=pad, need_weights=False)[0].transpose(0, 1))
        return x + self.drop(self.ff2(self.drop(F.gelu(self.ff1(self.norm2(x))))))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(cfg["vocab"], D, padding_idx=0)
        self.pos = nn.Parameter(torch.randn(L, D) * 0.02)
        self.drop = nn.Dropout(P)
        self.blocks = nn.ModuleList([Block() for _ in range(cfg["layers"])])
        self.norm = nn.LayerNorm(D)
        self.out = nn.Linear(D, cfg["classes"])

    def forward(self, x):
        ids = x.long()
        lengths = (ids.ne(0).long() * torch.arange(1, L + 1).unsqueeze(0)).amax(1).clamp_min(1)
        pad = torch.arange(L).unsqueeze(0).ge(lengths.unsqueeze(1))
        h = self.drop(self.emb(ids) + self.pos)
        for b in self.blocks:
            h = b(h, pad)
        h = self.norm(h)
        return self.out(h.masked_fill(pad.unsqueeze(2), 0).sum(1) / lengths.unsqueeze(1))


# Lepton's state-dict names -> this network's.
RENAME = [("layers.0.", "emb."), ("layers.1.pos", "pos"), ("layers.1.", ""), ("layers.3.", "out.")]


def probe():
    """Eval-mode outputs on Lepton's weights for the probe rows (some padded): the same network computes the same numbers."""
    with open(cfg["stateFile"], encoding="utf8") as f:
        state = json.load(f)
    model = Net()
    named = {}
    for t in state:
        name = t["name"]
        for a, b in RENAME:
            if name.startswith(a):
                name = b + name[len(a):]
                break
        named[name] = torch.tensor(t["data"], dtype=torch.float32).reshape(t["shape"])
    model.load_state_dict(named, strict=True)
    model.eval()
    with torch.no_grad():
        xs = torch.tensor(cfg["probe"], dtype=torch.float32).reshape(-1, L)
        return model(xs).flatten().tolist()


torch.manual_seed(0)
model = Net()
seconds = torch_loop.epoch_seconds(model, X, y, cfg["batchSize"], cfg["epochs"])
print(json.dumps({"epochSeconds": seconds, "torch": torch.__version__, "parameters": sum(p.numel() for p in model.parameters()), "probe": probe() if "stateFile" in cfg else None}))
