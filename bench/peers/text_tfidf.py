"""Python peers for the text benchmark (bench/text.ts), one JSON config argument:

task "tfidf": scikit-learn TF-IDF (word unigrams + bigrams, sublinear tf, min_df 2) and logistic
regression (C 10) on the same train/test texts Lepton used (a JSON file {train, test} of
{texts, labels}); prints the positive-class precision, recall and F1 on the test texts and the
fit time.

task "lstm": PyTorch training throughput of the LSTM classifier Lepton trains (embedding ->
LSTM -> last step -> dense), on the same token-id rows (files), batch, Adam and loop shape as
Lepton's engine; once plain (nn.LSTM over the padded batch) and once packed
(pack_padded_sequence by the non-pad lengths, as Lepton's masked LSTM does)."""
import json
import sys
import time

cfg = json.loads(sys.argv[1])

if cfg["task"] == "tfidf":
    from sklearn import __version__ as sk_version
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score, precision_score, recall_score

    with open(cfg["dataFile"], encoding="utf8") as f:
        data = json.load(f)
    t0 = time.perf_counter()
    vec = TfidfVectorizer(sublinear_tf=True, min_df=2, ngram_range=(1, 2))
    xtr = vec.fit_transform(data["train"]["texts"])
    clf = LogisticRegression(C=10, max_iter=2000).fit(xtr, data["train"]["labels"])
    fit_seconds = time.perf_counter() - t0
    pred = clf.predict(vec.transform(data["test"]["texts"]))
    y = data["test"]["labels"]
    print(json.dumps({
        "precision": precision_score(y, pred, zero_division=0),
        "recall": recall_score(y, pred, zero_division=0),
        "f1": f1_score(y, pred, zero_division=0),
        "fitSeconds": fit_seconds,
        "features": len(vec.vocabulary_),
        "sklearn": sk_version,
    }))
else:
    import torch
    import torch.nn.functional as F

    import torch_loop
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    torch_loop.set_threads(cfg["threads"], cfg.get("blasThreads"))
    n, L, k = cfg["rows"], cfg["seqLen"], cfg["classes"]
    X = torch.from_file(cfg["xFile"], size=n * L, dtype=torch.float32).reshape(n, L)
    y = torch.from_file(cfg["yFile"], size=n, dtype=torch.int32).long()

    class Net(torch.nn.Module):
        def __init__(self, packed):
            super().__init__()
            self.packed = packed
            self.emb = torch.nn.Embedding(cfg["vocab"], cfg["dim"], padding_idx=0)
            self.lstm = torch.nn.LSTM(cfg["dim"], cfg["hidden"], batch_first=True)
            self.out = torch.nn.Linear(cfg["hidden"], k)

        def forward(self, x):
            ids = x.long()
            h = self.emb(ids)
            if not self.packed:
                return self.out(self.lstm(h)[0][:, -1])
            pos = torch.arange(1, L + 1).unsqueeze(0)
            lengths = (ids.ne(0).long() * pos).amax(1).clamp_min(1)
            o = self.lstm(pack_padded_sequence(h, lengths, batch_first=True, enforce_sorted=False))[0]
            o = pad_packed_sequence(o, batch_first=True, total_length=L)[0]
            return self.out(o.gather(1, (lengths - 1).view(-1, 1, 1).expand(-1, 1, o.size(2))).squeeze(1))

    def run(packed, epochs):
        torch.manual_seed(0)
        model = Net(packed)
        secs = torch_loop.epoch_seconds(model, X, y, cfg["batchSize"], epochs)
        return secs, sum(p.numel() for p in model.parameters())

    plain, parameters = run(False, cfg["epochs"])
    # The packed path is ~7x slower on CPU: one warm-up epoch and one timed.
    packed, _ = run(True, 2)
    print(json.dumps({"plainEpochSeconds": plain, "packedEpochSeconds": packed, "torch": torch.__version__, "parameters": parameters}))
