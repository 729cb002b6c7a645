"""The PyTorch training loop every throughput peer times: Adam (lr 1e-3), shuffled mini-batches,
cross-entropy, the same steps Lepton's engine takes per batch. Returns seconds per epoch."""
import time

import torch
import torch.nn.functional as F
from threadpoolctl import threadpool_limits


def set_threads(n, blas=None):
    """torch.set_num_threads(n), and OpenBLAS held to `blas` (default n): Debian's torch multiplies
    with OpenBLAS, whose pool ignores torch's setting and uses every core (Lepton's engine sizes both)."""
    torch.set_num_threads(n)
    threadpool_limits(blas or n, user_api="blas")


def epoch_seconds(model, X, y, batch_size, epochs):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    n = X.shape[0]
    seconds = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        model.train()
        perm = torch.randperm(n)
        total = 0.0
        for i in range(0, n, batch_size):
            idx = perm[i : i + batch_size]
            opt.zero_grad()
            loss = F.cross_entropy(model(X[idx]), y[idx])
            loss.backward()
            opt.step()
            # .item() synchronises, as the engine's running loss does.
            total += loss.item() * len(idx)
        seconds.append(time.perf_counter() - t0)
    return seconds
