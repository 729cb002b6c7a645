// k-means clustering and the silhouette score on libtorch, for segmentation (src/segment/).
// Both run on a libuv worker thread and settle a Promise, so long work never blocks the event
// loop. Every random draw comes from a generator local to the call and seeded by the caller:
// the same seed (and thread count) gives the same clusters whatever else uses the global RNG.
// Choosing k, featurising and profiling are policy and live in TypeScript.
#include "torch_kmeans.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>

#include "common.h"
#include "omp_thread.h"
#include "torch_net.h"

namespace lepton {
namespace {

int64_t Dim(const Napi::Value& v, const char* name, int64_t min) {
  const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (d != std::floor(d) || d < static_cast<double>(min) || d > 9007199254740991.0)
    throw EngineError("E_ARG", std::string(name) + " must be an integer of at least " + std::to_string(min));
  return static_cast<int64_t>(d);
}

uint64_t Seed(const Napi::Object& o) {
  const double s = GetNumber(o, "seed", 0);
  if (s != std::floor(s) || s < 0 || s > 9007199254740991.0)
    throw EngineError("E_ARG", "option 'seed' must be a non-negative integer");
  return static_cast<uint64_t>(s);
}

// Rejects NaN and ±Infinity, naming the first offending row and column (0-based).
void CheckFinite(const torch::Tensor& X, const char* what) {
  auto finite = torch::isfinite(X);
  if (finite.all().item<bool>()) return;
  auto bad = (~finite).nonzero();  // row-major order: the first entry is the first bad row
  const int64_t row = bad[0][0].item<int64_t>(), col = bad[0][1].item<int64_t>();
  throw EngineError("E_ARG", std::string(what) + " has a non-finite value (NaN or infinity) in row " + std::to_string(row) +
                                 ", column " + std::to_string(col) + " (0-based)");
}

// Squared Euclidean distances (rows of A to rows of B) as doubles.
torch::Tensor SqDist(const torch::Tensor& A, const torch::Tensor& B) {
  return torch::cdist(A, B).to(torch::kDouble).square_();
}

// Nearest centroid of every row: labels (long) and squared distances (double), in row chunks so
// that memory stays at chunk × k distances.
void Assign(const torch::Tensor& X, const torch::Tensor& C, torch::Tensor* labels, torch::Tensor* minSq) {
  const int64_t n = X.size(0), k = C.size(0);
  const int64_t chunk = std::max<int64_t>(1024, (int64_t{1} << 24) / std::max<int64_t>(k, 1));
  if (n <= chunk) {
    auto mm = torch::cdist(X, C).min(1);
    *labels = std::get<1>(mm);
    *minSq = std::get<0>(mm).to(torch::kDouble).square_();
    return;
  }
  *labels = torch::empty({n}, torch::kLong);
  *minSq = torch::empty({n}, torch::kDouble);
  for (int64_t b = 0; b < n; b += chunk) {
    const int64_t e = std::min(n, b + chunk);
    auto mm = torch::cdist(X.slice(0, b, e), C).min(1);
    labels->slice(0, b, e).copy_(std::get<1>(mm));
    minSq->slice(0, b, e).copy_(std::get<0>(mm).to(torch::kDouble).square_());
  }
}

// Greedy k-means++ (as scikit-learn): each new centre is the best of 2 + ln(k) candidates drawn
// with probability proportional to the squared distance to the nearest centre chosen so far.
torch::Tensor PlusPlus(const torch::Tensor& X, int64_t k, at::Generator& gen) {
  const int64_t n = X.size(0);
  const int64_t trials = 2 + static_cast<int64_t>(std::log(static_cast<double>(k)));
  std::vector<int64_t> chosen;
  chosen.push_back(torch::randint(0, n, {1}, gen, torch::kLong).item<int64_t>());
  auto closest = SqDist(X, X.slice(0, chosen[0], chosen[0] + 1)).squeeze(1);
  for (int64_t c = 1; c < k; c++) {
    // Inverse-CDF sampling (torch::multinomial caps the categories at 2^24 rows); a row with
    // weight 0 has an empty interval and is never drawn.
    auto cum = closest.cumsum(0);
    const double total = cum[n - 1].item<double>();
    torch::Tensor cand;
    if (total > 0)
      cand = torch::searchsorted(cum, torch::rand({trials}, gen, torch::kDouble) * total, /*out_int32=*/false, /*right=*/true)
                 .clamp_max(n - 1);
    else  // every row coincides with a centre: any row will do
      cand = torch::randint(0, n, {trials}, gen, torch::kLong);
    auto d = torch::minimum(closest.unsqueeze(1), SqDist(X, X.index_select(0, cand)));  // n × trials
    const int64_t best = d.sum(0).argmin().item<int64_t>();
    closest = d.select(1, best).contiguous();
    chosen.push_back(cand[best].item<int64_t>());
  }
  return X.index_select(0, torch::tensor(chosen, torch::kLong)).clone();
}

struct KmeansOptions {
  int64_t maxIter = 300;
  double tol = 1e-4;
  int64_t nInit = 3;
  uint64_t seed = 0;
  int64_t threads = 1;
  int64_t blasThreads = 1;
};

struct KmeansRun {
  torch::Tensor centroids;  // k × d float
  torch::Tensor labels;     // n long
  double inertia = 0;
  int64_t iterations = 0;
};

// One k-means++ start followed by Lloyd iterations until the labels stop changing, the squared
// centre shift falls to `tolAbs`, or maxIter.
KmeansRun Lloyd(const torch::Tensor& X, const torch::Tensor& Xd, int64_t k, const KmeansOptions& o, double tolAbs,
                at::Generator& gen) {
  const int64_t n = X.size(0), d = X.size(1);
  auto C = PlusPlus(X, k, gen);
  torch::Tensor labels, minSq, prev;
  int64_t it = 0;
  while (it < o.maxIter) {
    it++;
    Assign(X, C, &labels, &minSq);
    auto sums = torch::zeros({k, d}, torch::kDouble).index_add_(0, labels, Xd);
    auto counts = torch::bincount(labels, {}, k).to(torch::kDouble);
    if ((counts == 0).any().item<bool>()) {
      // Empty clusters take the rows farthest from their centroids, one each (scikit-learn's
      // relocation); a row never leaves a cluster it is the only member of.
      auto far = minSq.argsort(0, /*descending=*/true);
      auto farA = far.accessor<int64_t, 1>();
      auto labA = labels.accessor<int64_t, 1>();
      auto cntA = counts.accessor<double, 1>();
      int64_t next = 0;
      for (int64_t j = 0; j < k; j++) {
        if (cntA[j] > 0) continue;
        while (next < n && cntA[labA[farA[next]]] <= 1) next++;
        if (next >= n) break;
        const int64_t r = farA[next++];
        const int64_t from = labA[r];
        sums[from] -= Xd[r];
        cntA[from] -= 1;
        sums[j].copy_(Xd[r]);
        cntA[j] = 1;
        labA[r] = j;
      }
    }
    auto newC = (sums / counts.clamp_min(1).unsqueeze(1)).to(torch::kFloat32);
    // A cluster left empty (more empty clusters than movable rows) keeps its centre.
    newC = torch::where((counts > 0).unsqueeze(1), newC, C);
    const double shift = (newC - C).to(torch::kDouble).square().sum().item<double>();
    C = newC;
    if (prev.defined() && labels.equal(prev)) break;
    if (shift <= tolAbs) break;
    prev = labels.clone();
  }
  // Final assignment: labels and inertia belong to the returned centroids.
  Assign(X, C, &labels, &minSq);
  KmeansRun run;
  run.inertia = (Xd - C.to(torch::kDouble).index_select(0, labels)).square().sum().item<double>();
  run.centroids = C.contiguous();
  run.labels = labels;
  run.iterations = it;
  return run;
}

class KmeansWorker : public PromiseWorker<Napi::AsyncWorker> {
 public:
  KmeansWorker(Napi::Env env, HeldArray<float> x, int64_t n, int64_t d, int64_t k, KmeansOptions o)
      : PromiseWorker(env, "lepton:kmeans", Napi::Object::New(env)), x_(std::move(x)), n_(n), d_(d), k_(k), o_(o) {}

  void Execute() override {
    try {
      // On the engine's OpenMP thread (omp_thread.h): k-means on several threads starts a team.
      OmpThread::Run([&] { Compute(); });
    } catch (...) {
      torchmodel::DescribeTorchException("kmeans", &errCode_, &errMsg_);
    }
  }

  void Settle() override {}

  Napi::Value Result(Napi::Env env) override {
    Napi::Object r = Napi::Object::New(env);
    auto c = Napi::Float32Array::New(env, static_cast<size_t>(k_ * d_));
    std::memcpy(c.Data(), best_.centroids.data_ptr<float>(), static_cast<size_t>(k_ * d_) * sizeof(float));
    auto l = Napi::Int32Array::New(env, static_cast<size_t>(n_));
    std::memcpy(l.Data(), best_.labels.data_ptr<int32_t>(), static_cast<size_t>(n_) * sizeof(int32_t));
    r.Set("centroids", c);
    r.Set("labels", l);
    r.Set("inertia", best_.inertia);
    r.Set("iterations", static_cast<double>(best_.iterations));
    best_ = KmeansRun();
    return r;
  }

 private:
  void Compute() {
    // The thread count is process-global: hold the engine's lock like training does.
    std::lock_guard<std::mutex> lock(torchmodel::RngMutex());
    torchmodel::SetThreads(static_cast<int>(o_.threads), static_cast<int>(o_.blasThreads));
    torch::NoGradGuard ng;
    auto X = torch::from_blob(x_.data, {n_, d_}, torch::kFloat32);
    CheckFinite(X, "x");
    auto Xd = X.to(torch::kDouble);
    // scikit-learn's tolerance: relative to the mean feature variance.
    const double tolAbs = o_.tol * Xd.var(0, /*unbiased=*/false).mean().item<double>();
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(o_.seed);
    for (int64_t r = 0; r < o_.nInit; r++) {
      KmeansRun run = Lloyd(X, Xd, k_, o_, tolAbs, gen);
      if (r == 0 || run.inertia < best_.inertia) best_ = std::move(run);
    }
    best_.labels = best_.labels.to(torch::kInt32).contiguous();
  }

  HeldArray<float> x_;
  int64_t n_, d_, k_;
  KmeansOptions o_;
  KmeansRun best_;
};

// kmeans(x: Float32Array, n, d, k, {maxIter, tol, nInit, seed, threads, blasThreads}) -> Promise<{centroids
// (k × d), labels (Int32Array), inertia, iterations}>: the best of nInit k-means++ starts by
// inertia (sum of squared distances to the nearest centroid).
Napi::Value Kmeans(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    if (info.Length() < 4) throw EngineError("E_ARG", "kmeans(x, n, d, k, options) needs at least 4 arguments");
    const int64_t n = Dim(info[1], "n", 1), d = Dim(info[2], "d", 1), k = Dim(info[3], "k", 1);
    auto x = HoldTypedArray<float>(info[0], napi_float32_array, "x", SIZE_MAX);
    if (static_cast<double>(x.length) != static_cast<double>(n) * static_cast<double>(d))
      throw EngineError("E_ARG", "x has " + std::to_string(x.length) + " elements, expected n*d = " + std::to_string(n) +
                                     "*" + std::to_string(d) + " = " + std::to_string(n * d));
    if (k > n)
      throw EngineError("E_ARG", "k = " + std::to_string(k) + " is more than the number of rows (" + std::to_string(n) + ")");
    KmeansOptions o;
    if (info.Length() > 4 && !info[4].IsUndefined()) {
      Napi::Object opts = GetObject(info[4], "options");
      o.maxIter = GetInt(opts, "maxIter", o.maxIter, 1, 1000000);
      o.tol = GetNumber(opts, "tol", o.tol);
      if (o.tol < 0) throw EngineError("E_ARG", "option 'tol' must be at least 0");
      o.nInit = GetInt(opts, "nInit", o.nInit, 1, 1000);
      o.seed = Seed(opts);
      o.threads = GetInt(opts, "threads", o.threads, 1, 1024);
      o.blasThreads = GetInt(opts, "blasThreads", o.threads, 1, 1024);
    }
    auto* w = new KmeansWorker(env, std::move(x), n, d, k, o);
    w->Queue();
    return w->Promise();
  } catch (...) {
    RethrowAsJs(env, "kmeans");
  }
}

class SilhouetteWorker : public PromiseWorker<Napi::AsyncWorker> {
 public:
  SilhouetteWorker(Napi::Env env, HeldArray<float> x, HeldArray<int32_t> labels, int64_t n, int64_t d, int64_t sampleSize,
                   uint64_t seed, int64_t threads, int64_t blasThreads)
      : PromiseWorker(env, "lepton:silhouette", Napi::Object::New(env)),
        x_(std::move(x)),
        labels_(std::move(labels)),
        n_(n),
        d_(d),
        sampleSize_(sampleSize),
        seed_(seed),
        threads_(threads),
        blasThreads_(blasThreads) {}

  void Execute() override {
    try {
      // On the engine's OpenMP thread (omp_thread.h): distances on several threads start a team.
      OmpThread::Run([&] { Compute(); });
    } catch (...) {
      torchmodel::DescribeTorchException("silhouette", &errCode_, &errMsg_);
    }
  }

  void Settle() override {}
  Napi::Value Result(Napi::Env env) override { return Napi::Number::New(env, score_); }

 private:
  void Compute() {
    std::lock_guard<std::mutex> lock(torchmodel::RngMutex());
    torchmodel::SetThreads(static_cast<int>(threads_), static_cast<int>(blasThreads_));
    torch::NoGradGuard ng;
    auto X = torch::from_blob(x_.data, {n_, d_}, torch::kFloat32);
    auto L = torch::from_blob(labels_.data, {n_}, torch::kInt32).to(torch::kLong);
    CheckFinite(X, "x");
    auto neg = (L < 0).nonzero();
    if (neg.size(0) > 0)
      throw EngineError("E_ARG", "labels has a negative value in row " + std::to_string(neg[0][0].item<int64_t>()) + " (0-based)");
    const int64_t K = L.max().item<int64_t>() + 1;
    if (K > n_) throw EngineError("E_ARG", "labels must be below the number of rows (" + std::to_string(n_) + ")");
    torch::Tensor Xs = X, Ls = L;
    if (n_ > sampleSize_) {
      at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed_);
      auto idx = std::get<0>(torch::randperm(n_, gen, torch::kLong).slice(0, 0, sampleSize_).sort());
      Xs = X.index_select(0, idx);
      Ls = L.index_select(0, idx);
    }
    Xs = Xs.to(torch::kDouble);
    const int64_t m = Xs.size(0);
    auto counts = torch::bincount(Ls, {}, K).to(torch::kDouble);
    const int64_t used = (counts > 0).sum().item<int64_t>();
    if (used < 2 || used > m - 1)
      throw EngineError("E_ARG", "the silhouette needs between 2 and " + std::to_string(m - 1) + " clusters among the " +
                                     std::to_string(m) + " rows it scores, got " + std::to_string(used));
    auto onehot = torch::zeros({m, K}, torch::kDouble).scatter_(1, Ls.unsqueeze(1), 1.0);
    auto absent = (counts == 0).unsqueeze(0);
    const double inf = std::numeric_limits<double>::infinity();
    // Rows in chunks: memory stays at chunk × m distances.
    const int64_t chunk = std::max<int64_t>(1, (int64_t{1} << 22) / m);
    double total = 0;
    for (int64_t b = 0; b < m; b += chunk) {
      const int64_t e = std::min(m, b + chunk);
      auto sums = torch::cdist(Xs.slice(0, b, e), Xs).mm(onehot);  // chunk × K: distance sums per cluster
      auto own = Ls.slice(0, b, e).unsqueeze(1);
      auto ownCount = counts.index_select(0, own.squeeze(1));
      auto a = sums.gather(1, own).squeeze(1) / (ownCount - 1).clamp_min(1);
      auto means = (sums / counts.clamp_min(1).unsqueeze(0)).masked_fill(absent, inf).scatter(1, own, inf);
      auto bb = std::get<0>(means.min(1));
      auto denom = torch::maximum(a, bb);
      auto s = torch::where((ownCount > 1) & (denom > 0), (bb - a) / denom, torch::zeros_like(a));
      total += s.sum().item<double>();
    }
    score_ = total / static_cast<double>(m);
  }

  HeldArray<float> x_;
  HeldArray<int32_t> labels_;
  int64_t n_, d_, sampleSize_;
  uint64_t seed_;
  int64_t threads_;
  int64_t blasThreads_;
  double score_ = 0;
};

// silhouette(x: Float32Array, n, d, labels: Int32Array, {sampleSize, seed, threads, blasThreads}) ->
// Promise<number>: the mean silhouette coefficient (Euclidean), exact for n ≤ sampleSize,
// otherwise over a seeded sample of sampleSize rows (distances within the sample).
Napi::Value Silhouette(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    if (info.Length() < 4) throw EngineError("E_ARG", "silhouette(x, n, d, labels, options) needs at least 4 arguments");
    const int64_t n = Dim(info[1], "n", 1), d = Dim(info[2], "d", 1);
    auto x = HoldTypedArray<float>(info[0], napi_float32_array, "x", SIZE_MAX);
    if (static_cast<double>(x.length) != static_cast<double>(n) * static_cast<double>(d))
      throw EngineError("E_ARG", "x has " + std::to_string(x.length) + " elements, expected n*d = " + std::to_string(n) +
                                     "*" + std::to_string(d) + " = " + std::to_string(n * d));
    auto labels = HoldTypedArray<int32_t>(info[3], napi_int32_array, "labels", static_cast<size_t>(n));
    int64_t sampleSize = 10000, threads = 1, blasThreads = 1;
    uint64_t seed = 0;
    if (info.Length() > 4 && !info[4].IsUndefined()) {
      Napi::Object opts = GetObject(info[4], "options");
      sampleSize = GetInt(opts, "sampleSize", sampleSize, 3, 1000000);
      seed = Seed(opts);
      threads = GetInt(opts, "threads", threads, 1, 1024);
      blasThreads = GetInt(opts, "blasThreads", threads, 1, 1024);
    }
    auto* w = new SilhouetteWorker(env, std::move(x), std::move(labels), n, d, sampleSize, seed, threads, blasThreads);
    w->Queue();
    return w->Promise();
  } catch (...) {
    RethrowAsJs(env, "silhouette");
  }
}

}  // namespace

void InitTorchKmeans(Napi::Env env, Napi::Object exports) {
  exports.Set("kmeans", Napi::Function::New(env, Kmeans, "kmeans"));
  exports.Set("silhouette", Napi::Function::New(env, Silhouette, "silhouette"));
}

}  // namespace lepton
