// The torch model core (fit / predict / state dicts over any network; see torch_net.h) and
// TorchNet, a network assembled from a layer spec: conv2d, batchnorm2d, relu, gelu, maxpool2d,
// avgpool2d, globalavgpool, dropout, flatten, linear, residual blocks, branches (one sub-network
// per slice of the row, concatenated: mixed inputs), and for sequences
// embedding, mask, lstm, gru, transformer and pool (with a padding mask; see SeqLayer). JS hands over rows as
// Float32Array views that are read in place (from_blob) as N × inputShape; training and
// prediction run on libuv worker threads, epochs are reported through an
// AsyncProgressQueueWorker (a thread-safe function underneath).
#include "torch_net.h"

#include <ATen/CPUGeneratorImpl.h>
#include <dlfcn.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "common.h"
#include "omp_thread.h"
#include "torch_augment.h"
#include "torch_bert.h"

namespace lepton {

int64_t SpecInt(const Napi::Object& o, const char* key, int64_t fallback, int64_t min) {
  Napi::Value v = o.Get(key);
  if (fallback < 0 && (v.IsUndefined() || v.IsNull())) throw EngineError("E_ARG", std::string("'") + key + "' is required");
  double d = v.IsUndefined() || v.IsNull() ? static_cast<double>(fallback) : (v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN);
  if (!(d == std::floor(d)) || d < static_cast<double>(min) || d > (1 << 24))
    throw EngineError("E_ARG", std::string("'") + key + "' must be an integer in [" + std::to_string(min) + ", " +
                                   std::to_string(1 << 24) + "]");
  return static_cast<int64_t>(d);
}

double SpecProb(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return 0;
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (!(d >= 0 && d < 1)) throw EngineError("E_ARG", std::string("'") + key + "' must be a number in [0, 1)");
  return d;
}

namespace torchmodel {

std::mutex& RngMutex() {
  static std::mutex m;
  return m;
}

namespace {

// An OpenBLAS function, or null when the BLAS behind libblas.so.3 is another (Debian's
// alternatives choose it). The addon's libraries are loaded RTLD_LOCAL, so the lookup goes
// through handles of the libraries already loaded, not the global scope.
void* OpenBlasSymbol(const char* name) {
  for (const char* lib : {"libopenblas.so.0", "libblas.so.3"}) {
    void* h = dlopen(lib, RTLD_LAZY | RTLD_NOLOAD);
    if (h == nullptr) continue;
    void* f = dlsym(h, name);
    dlclose(h);
    if (f != nullptr) return f;
  }
  return nullptr;
}

}  // namespace

int BlasThreads() {
  using GetFn = int (*)();
  static const GetFn openblasGet = reinterpret_cast<GetFn>(OpenBlasSymbol("openblas_get_num_threads"));
  return openblasGet != nullptr ? openblasGet() : -1;
}

void SetThreads(int intraOp, int blas) {
  at::set_num_threads(intraOp);
  // Only on a change: resizing OpenBLAS's pool while another thread multiplies (a prediction)
  // is best kept rare.
  using SetFn = void (*)(int);
  static const SetFn openblasSet = reinterpret_cast<SetFn>(OpenBlasSymbol("openblas_set_num_threads"));
  if (openblasSet != nullptr && BlasThreads() != blas) openblasSet(blas);
}

void DescribeTorchException(const std::string& where, std::string* code, std::string* msg) {
  try {
    throw;
  } catch (const c10::Error& e) {
    *code = "E_TORCH";
    *msg = where + ": " + e.what_without_backtrace();
  } catch (...) {
    DescribeCurrentException(where, code, msg);
  }
}

void Core::EnsureUsable(bool forWrite) const {
  if (disposed) throw EngineError("E_DISPOSED", "model was disposed");
  if (training) throw EngineError("E_BUSY", "model is training; await fit() first");
  if (forWrite && predicting > 0) throw EngineError("E_BUSY", "predictions are in flight; await them first");
}

namespace {

// Rows [b, e) of a batch-first tensor.
torch::Tensor Rows(const torch::Tensor& t, int64_t b, int64_t e) {
  return t.index({torch::indexing::Slice(b, e)});
}

// A Float32Array of n rows read in place as n × inputShape.
torch::Tensor RowsView(const Core& core, float* data, int64_t n) {
  std::vector<int64_t> sizes{n};
  sizes.insert(sizes.end(), core.inputShape.begin(), core.inputShape.end());
  return torch::from_blob(data, sizes, torch::kFloat32);
}

struct EpochReport {
  int64_t epoch;
  double trainLoss;
  double valLoss;
  double lr;
  double seconds;
};

struct FitOptions {
  bool classification = true;
  int64_t epochs = 100;
  int64_t batchSize = 64;
  std::string optimizer = "adam";
  std::vector<double> lrPerEpoch;  // the schedule is policy, computed in TS
  double weightDecay = 0;
  double momentum = 0.9;
  int64_t patience = 10;
  double minDelta = 0;
  int64_t seed = 0;
  int64_t threads = 1;
  int64_t blasThreads = 1;
  // Training batches of image rows get a fresh augmented copy each time (seeded from `seed`).
  std::optional<AugmentOptions> augment;
};

class FitWorker : public PromiseWorker<Napi::AsyncProgressQueueWorker<EpochReport>> {
 public:
  FitWorker(Napi::Env env, Core* model, Napi::Object self, FitOptions opts, HeldArray<float> x, HeldArray<float> yReg,
            HeldArray<int32_t> yCls, HeldArray<float> xVal, HeldArray<float> yValReg, HeldArray<int32_t> yValCls,
            HeldArray<float> classWeights, Napi::Function onEpoch)
      : PromiseWorker(env, "lepton:fit", self),
        model_(model),
        opts_(std::move(opts)),
        x_(std::move(x)),
        yReg_(std::move(yReg)),
        yCls_(std::move(yCls)),
        xVal_(std::move(xVal)),
        yValReg_(std::move(yValReg)),
        yValCls_(std::move(yValCls)),
        classWeights_(std::move(classWeights)) {
    if (!onEpoch.IsEmpty()) onEpoch_ = Napi::Persistent(onEpoch);
  }

  void Execute(const ExecutionProgress& progress) override {
    try {
      // On the engine's OpenMP thread (omp_thread.h): a fit on several threads starts a team.
      OmpThread::Run([&] {
        std::lock_guard<std::mutex> lock(RngMutex());
        Run(progress);
      });
    } catch (...) {
      DescribeTorchException("fit", &errCode_, &errMsg_);
    }
  }

  void OnProgress(const EpochReport* data, size_t count) override {
    if (onEpoch_.IsEmpty()) return;
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    for (size_t i = 0; i < count; i++) {
      Napi::Object r = Napi::Object::New(env);
      r.Set("epoch", static_cast<double>(data[i].epoch));
      r.Set("trainLoss", data[i].trainLoss);
      r.Set("valLoss", std::isnan(data[i].valLoss) ? env.Null() : Napi::Number::New(env, data[i].valLoss));
      r.Set("lr", data[i].lr);
      r.Set("seconds", data[i].seconds);
      try {
        onEpoch_.Call({r});
      } catch (const Napi::Error& e) {
        // A throwing progress callback must not take the process down; training continues.
        e.Value();
      }
    }
  }

  void Settle() override { model_->training = false; }

  Napi::Value Result(Napi::Env env) override {
    Napi::Object r = Napi::Object::New(env);
    r.Set("epochs", static_cast<double>(epochsRun_));
    r.Set("bestEpoch", static_cast<double>(bestEpoch_));
    r.Set("bestLoss", bestLoss_);
    r.Set("stopReason", stopReason_);
    return r;
  }

 private:
  void Run(const ExecutionProgress& progress) {
    SetThreads(static_cast<int>(opts_.threads), static_cast<int>(opts_.blasThreads));
    torch::manual_seed(opts_.seed);
    // Its own stream, so turning augmentation on leaves the shuffles and dropout masks as they were.
    at::Generator augmentGen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(opts_.seed) + 0x9e3779b9ULL);
    Core& m = *model_;
    torch::nn::Module& net = m.module();
    const int64_t n = static_cast<int64_t>(x_.length) / m.rowSize;
    const int64_t nVal = static_cast<int64_t>(xVal_.length) / m.rowSize;
    auto X = RowsView(m, x_.data, n);
    torch::Tensor Y, XV, YV, W;
    if (opts_.classification) {
      Y = torch::from_blob(yCls_.data, {n}, torch::kInt32).to(torch::kLong);
      CheckLabels(Y, "y");
    } else {
      Y = torch::from_blob(yReg_.data, {n, m.outputDim}, torch::kFloat32);
    }
    if (nVal > 0) {
      XV = RowsView(m, xVal_.data, nVal);
      if (opts_.classification) {
        YV = torch::from_blob(yValCls_.data, {nVal}, torch::kInt32).to(torch::kLong);
        CheckLabels(YV, "yVal");
      } else {
        YV = torch::from_blob(yValReg_.data, {nVal, m.outputDim}, torch::kFloat32);
      }
    }
    if (classWeights_.present()) W = torch::from_blob(classWeights_.data, {m.outputDim}, torch::kFloat32).clone();

    // Frozen parameters (a LoRA layer's base weights) stay out of the optimizer: no updates, no weight decay.
    std::vector<torch::Tensor> params;
    for (auto& p : net.parameters())
      if (p.requires_grad()) params.push_back(p);
    if (params.empty()) throw EngineError("E_ARG", "the network has no trainable parameters");
    std::unique_ptr<torch::optim::Optimizer> opt;
    double lr0 = opts_.lrPerEpoch.empty() ? 1e-3 : opts_.lrPerEpoch[0];
    // L-BFGS solves the penalised problem to its optimum (what scikit-learn's logistic regression
    // does): full batch, a strong-Wolfe line search (so no learning rate), and weight decay as an
    // explicit L2 penalty on the weight matrices only, leaving biases free. One epoch is one
    // optimizer step of up to 20 iterations, so validation, early stopping and ASHA still see epochs.
    const bool lbfgs = opts_.optimizer == "lbfgs";
    if (lbfgs)
      opt = std::make_unique<torch::optim::LBFGS>(
          params, torch::optim::LBFGSOptions(1.0).max_iter(20).history_size(20).line_search_fn("strong_wolfe"));
    else if (opts_.optimizer == "adam")
      opt = std::make_unique<torch::optim::Adam>(params, torch::optim::AdamOptions(lr0).weight_decay(opts_.weightDecay));
    else if (opts_.optimizer == "adamw")
      opt = std::make_unique<torch::optim::AdamW>(params, torch::optim::AdamWOptions(lr0).weight_decay(opts_.weightDecay));
    else
      opt = std::make_unique<torch::optim::SGD>(
          params, torch::optim::SGDOptions(lr0).momentum(opts_.momentum).weight_decay(opts_.weightDecay));

    auto loss = [&](const torch::Tensor& out, const torch::Tensor& target) {
      if (opts_.classification) {
        auto o = torch::nn::functional::CrossEntropyFuncOptions();
        if (W.defined()) o.weight(W);
        return torch::nn::functional::cross_entropy(out, target, o);
      }
      return torch::mse_loss(out, target);
    };

    auto penalty = [&]() {
      torch::Tensor sum = torch::zeros({}, torch::kFloat32);
      for (auto& p : params)
        if (p.dim() >= 2) sum = sum + p.pow(2).sum();
      return 0.5 * opts_.weightDecay * sum;
    };
    double lastTrainLoss = std::numeric_limits<double>::infinity();

    std::vector<torch::Tensor> best;
    bestLoss_ = std::numeric_limits<double>::infinity();
    stopReason_ = "max_epochs";
    const auto start = std::chrono::steady_clock::now();
    for (int64_t epoch = 1; epoch <= opts_.epochs; epoch++) {
      double lr = opts_.lrPerEpoch.empty() ? lr0 : opts_.lrPerEpoch[std::min<size_t>(epoch - 1, opts_.lrPerEpoch.size() - 1)];
      if (!lbfgs)
        for (auto& g : opt->param_groups()) g.options().set_lr(lr);
      net.train();
      double total = 0;
      int64_t seen = 0;
      if (lbfgs && !m.cancelRequested) {
        opt->step([&]() {
          opt->zero_grad();
          auto l = loss(m.net.forward(X), Y) + penalty();
          l.backward();
          return l;
        });
        torch::NoGradGuard ng;
        total = (loss(m.net.forward(X), Y) + penalty()).item<double>() * static_cast<double>(n);
        seen = n;
      }
      auto perm = lbfgs ? torch::Tensor() : torch::randperm(n, torch::kLong);
      for (int64_t b = 0; !lbfgs && b < n; b += opts_.batchSize) {
        if (m.cancelRequested) break;
        int64_t e = std::min(n, b + opts_.batchSize);
        // BatchNorm cannot normalise a batch of one sample in training mode.
        if (m.batchNorm && e - b < 2) break;
        auto idx = Rows(perm, b, e);
        auto xb = X.index_select(0, idx);
        auto yb = Y.index_select(0, idx);
        if (opts_.augment) xb = AugmentBatch(xb, *opts_.augment, augmentGen);
        opt->zero_grad();
        auto l = loss(m.net.forward(xb), yb);
        l.backward();
        opt->step();
        total += l.item<double>() * static_cast<double>(e - b);
        seen += e - b;
      }
      if (m.cancelRequested) {
        stopReason_ = "cancelled";
        break;
      }
      epochsRun_ = epoch;
      double trainLoss = seen > 0 ? total / static_cast<double>(seen) : std::nan("");
      double valLoss = std::nan("");
      if (nVal > 0) {
        torch::NoGradGuard ng;
        net.eval();
        std::vector<torch::Tensor> outs;
        for (int64_t b = 0; b < nVal; b += m.evalRows) outs.push_back(m.net.forward(Rows(XV, b, std::min(nVal, b + m.evalRows))));
        valLoss = loss(torch::cat(outs), YV).item<double>();
      }
      if (!std::isfinite(trainLoss))
        throw EngineError("E_DIVERGED", "training loss became " + std::to_string(trainLoss) + " at epoch " +
                                            std::to_string(epoch) + "; lower the learning rate or check inputs for NaN");
      double monitored = nVal > 0 ? valLoss : trainLoss;
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      EpochReport report{epoch, trainLoss, valLoss, lr, secs};
      progress.Send(&report, 1);  // copied into the queue
      if (monitored < bestLoss_ - opts_.minDelta) {
        bestLoss_ = monitored;
        bestEpoch_ = epoch;
        if (nVal > 0) Snapshot(&best);
      } else if (nVal > 0 && opts_.patience > 0 && epoch - bestEpoch_ >= opts_.patience) {
        stopReason_ = "early_stopping";
        break;
      }
      // At the optimum L-BFGS stops moving; further epochs would only repeat it.
      if (lbfgs && std::abs(lastTrainLoss - trainLoss) <= 1e-7 * std::max(1.0, std::abs(trainLoss))) {
        stopReason_ = "converged";
        break;
      }
      lastTrainLoss = trainLoss;
    }
    if (!best.empty()) Restore(best);
    net.eval();
  }

  void CheckLabels(const torch::Tensor& y, const char* what) {
    if (y.numel() == 0) return;
    int64_t lo = y.min().item<int64_t>(), hi = y.max().item<int64_t>();
    if (lo < 0 || hi >= model_->outputDim)
      throw EngineError("E_ARG", std::string(what) + " contains class index " + std::to_string(lo < 0 ? lo : hi) +
                                     " outside [0, " + std::to_string(model_->outputDim) + ")");
  }

  // Best weights so far: parameters, then buffers (BatchNorm running statistics).
  // Frozen parameters (a LoRA layer's base weights) cannot change during the fit: only the
  // trainable ones and the buffers are kept, so a frozen BERT is not copied at every improvement.
  void Snapshot(std::vector<torch::Tensor>* out) {
    torch::NoGradGuard ng;
    out->clear();
    for (auto& p : model_->module().parameters())
      if (p.requires_grad()) out->push_back(p.detach().clone());
    for (auto& b : model_->module().buffers()) out->push_back(b.detach().clone());
  }

  void Restore(const std::vector<torch::Tensor>& saved) {
    torch::NoGradGuard ng;
    size_t i = 0;
    for (auto& p : model_->module().parameters())
      if (p.requires_grad()) p.copy_(saved[i++]);
    for (auto& b : model_->module().buffers()) b.copy_(saved[i++]);
  }

  Core* model_;
  FitOptions opts_;
  HeldArray<float> x_, yReg_;
  HeldArray<int32_t> yCls_;
  HeldArray<float> xVal_, yValReg_;
  HeldArray<int32_t> yValCls_;
  HeldArray<float> classWeights_;
  Napi::FunctionReference onEpoch_;
  int64_t epochsRun_ = 0, bestEpoch_ = 0;
  double bestLoss_ = 0;
  std::string stopReason_;
};

// Inference in eval mode without autograd; read-only on the weights, so concurrent calls are safe.
void Forward(Core& model, const float* x, size_t length, bool softmax, std::vector<float>* out) {
  torch::NoGradGuard ng;
  const int64_t k = model.outputDim;
  const int64_t n = static_cast<int64_t>(length) / model.rowSize;
  auto X = RowsView(model, const_cast<float*>(x), n);
  out->resize(static_cast<size_t>(n * k));
  for (int64_t b = 0; b < n; b += model.evalRows) {
    int64_t e = std::min(n, b + model.evalRows);
    auto y = model.net.forward(Rows(X, b, e));
    if (softmax) y = torch::softmax(y, 1);
    y = y.contiguous();
    std::memcpy(out->data() + b * k, y.data_ptr<float>(), static_cast<size_t>((e - b) * k) * sizeof(float));
  }
}

class PredictWorker : public PromiseWorker<Napi::AsyncWorker> {
 public:
  PredictWorker(Napi::Env env, Core* model, Napi::Object self, HeldArray<float> x, bool softmax)
      : PromiseWorker(env, "lepton:predict", self), model_(model), x_(std::move(x)), softmax_(softmax) {}

  void Execute() override {
    try {
      Forward(*model_, x_.data, x_.length, softmax_, &out_);
    } catch (...) {
      DescribeTorchException("predict", &errCode_, &errMsg_);
    }
  }

  void Settle() override { model_->predicting--; }

  Napi::Value Result(Napi::Env env) override {
    auto arr = Napi::Float32Array::New(env, out_.size());
    std::memcpy(arr.Data(), out_.data(), out_.size() * sizeof(float));
    return arr;
  }

 private:
  Core* model_;
  HeldArray<float> x_;
  bool softmax_;
  std::vector<float> out_;
};

// Checks predict's arguments: whole rows, and whether to apply softmax.
HeldArray<float> PredictArgs(const Core& core, const Napi::CallbackInfo& info, bool* softmax) {
  auto x = HoldTypedArray<float>(info[0], napi_float32_array, "x", SIZE_MAX);
  if (x.length % static_cast<size_t>(core.rowSize) != 0)
    throw EngineError("E_ARG", "x has " + std::to_string(x.length) + " elements, not a multiple of " + core.rowWhat);
  if (info.Length() > 1 && info[1].IsObject()) *softmax = GetBool(info[1].As<Napi::Object>(), "softmax", true);
  return x;
}

}  // namespace

// fit({x, y, xVal?, yVal?}, options, onEpoch?) -> Promise<{epochs, bestEpoch, bestLoss, stopReason}>
Napi::Value Fit(Core& core, const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    core.EnsureUsable(true);
    Napi::Object data = GetObject(info[0], "fit data");
    Napi::Object o = GetObject(info[1], "fit options");
    FitOptions opts;
    std::string task = GetString(o, "task", "classification");
    if (task != "classification" && task != "regression")
      throw EngineError("E_ARG", "option 'task' must be 'classification' or 'regression'");
    opts.classification = task == "classification";
    opts.epochs = GetInt(o, "epochs", 100, 1, 1000000);
    opts.batchSize = GetInt(o, "batchSize", 64, 1, 1 << 24);
    opts.optimizer = GetString(o, "optimizer", "adam");
    if (opts.optimizer != "adam" && opts.optimizer != "adamw" && opts.optimizer != "sgd" && opts.optimizer != "lbfgs")
      throw EngineError("E_ARG", "option 'optimizer' must be adam, adamw, sgd or lbfgs (got '" + opts.optimizer + "')");
    Napi::Value lrs = o.Get("lrPerEpoch");
    if (lrs.IsTypedArray()) {
      auto held = HoldTypedArray<double>(lrs, napi_float64_array, "option 'lrPerEpoch'", SIZE_MAX);
      opts.lrPerEpoch.assign(held.data, held.data + held.length);
    } else {
      opts.lrPerEpoch.push_back(GetNumber(o, "lr", 1e-3));
    }
    for (double lr : opts.lrPerEpoch)
      if (!(lr > 0)) throw EngineError("E_ARG", "learning rates must be positive");
    opts.weightDecay = GetNumber(o, "weightDecay", 0);
    opts.momentum = GetNumber(o, "momentum", 0.9);
    opts.patience = GetInt(o, "patience", 10, 0, 1000000);
    opts.minDelta = GetNumber(o, "minDelta", 0);
    opts.seed = GetInt(o, "seed", 0, 0, std::numeric_limits<int32_t>::max());
    opts.threads = GetInt(o, "threads", 1, 1, 1024);
    opts.blasThreads = GetInt(o, "blasThreads", opts.threads, 1, 1024);
    Napi::Value augment = o.Get("augment");
    if (!augment.IsUndefined() && !augment.IsNull()) {
      if (core.inputShape.size() != 3)
        throw EngineError("E_ARG", "option 'augment' needs image rows [channels, height, width], this network reads " + core.rowWhat);
      opts.augment = ParseAugmentOptions(GetObject(augment, "option 'augment'"), core.inputShape[1], core.inputShape[2]);
    }

    const size_t d = static_cast<size_t>(core.rowSize), k = static_cast<size_t>(core.outputDim);
    auto x = HoldTypedArray<float>(data.Get("x"), napi_float32_array, "x", SIZE_MAX);
    if (x.length == 0 || x.length % d != 0)
      throw EngineError("E_ARG", "x has " + std::to_string(x.length) + " elements, not a non-empty multiple of " +
                                     core.rowWhat);
    const size_t n = x.length / d;
    auto xVal = HoldTypedArray<float>(data.Get("xVal"), napi_float32_array, "xVal", SIZE_MAX, true);
    if (xVal.length % d != 0)
      throw EngineError("E_ARG", "xVal has " + std::to_string(xVal.length) + " elements, not a multiple of " + core.rowWhat);
    const size_t nVal = xVal.length / d;
    HeldArray<float> yReg, yValReg, cw;
    HeldArray<int32_t> yCls, yValCls;
    if (opts.classification) {
      yCls = HoldTypedArray<int32_t>(data.Get("y"), napi_int32_array, "y (class indices)", n);
      if (nVal > 0) yValCls = HoldTypedArray<int32_t>(data.Get("yVal"), napi_int32_array, "yVal (class indices)", nVal);
      cw = HoldTypedArray<float>(o.Get("classWeights"), napi_float32_array, "option 'classWeights'", k, true);
    } else {
      yReg = HoldTypedArray<float>(data.Get("y"), napi_float32_array, "y (targets)", n * k);
      if (nVal > 0) yValReg = HoldTypedArray<float>(data.Get("yVal"), napi_float32_array, "yVal (targets)", nVal * k);
    }
    Napi::Function onEpoch;
    if (info.Length() > 2 && info[2].IsFunction()) onEpoch = info[2].As<Napi::Function>();
    core.cancelRequested = false;
    core.training = true;
    auto* w = new FitWorker(env, &core, info.This().As<Napi::Object>(), std::move(opts), std::move(x), std::move(yReg),
                            std::move(yCls), std::move(xVal), std::move(yValReg), std::move(yValCls), std::move(cw),
                            onEpoch);
    w->Queue();
    return w->Promise();
  } catch (...) {
    RethrowAsJs(env, "fit");
  }
}

// predict(x: Float32Array, {softmax}) -> Promise<Float32Array> of n * outputDim values.
Napi::Value Predict(Core& core, const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    core.EnsureUsable(false);
    bool softmax = true;
    auto x = PredictArgs(core, info, &softmax);
    core.predicting++;
    auto* w = new PredictWorker(env, &core, info.This().As<Napi::Object>(), std::move(x), softmax);
    w->Queue();
    return w->Promise();
  } catch (...) {
    RethrowAsJs(env, "predict");
  }
}

// predictSync(x, {softmax}) -> Float32Array, on the calling thread: for a few rows, where the
// thread-pool round trip would cost more than the forward pass. TS decides when.
Napi::Value PredictSync(Core& core, const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    core.EnsureUsable(false);
    bool softmax = true;
    auto x = PredictArgs(core, info, &softmax);
    std::vector<float> out;
    try {
      Forward(core, x.data, x.length, softmax, &out);
    } catch (const c10::Error& e) {
      throw EngineError("E_TORCH", e.what_without_backtrace());
    }
    auto arr = Napi::Float32Array::New(env, out.size());
    std::memcpy(arr.Data(), out.data(), out.size() * sizeof(float));
    return arr;
  } catch (...) {
    RethrowAsJs(env, "predictSync");
  }
}

// Named float tensors (parameters, then running statistics), copied out for saving.
Napi::Value StateDict(Core& core, const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    core.EnsureUsable(false);
    Napi::Array out = Napi::Array::New(env);
    uint32_t i = 0;
    auto add = [&](const std::string& name, const torch::Tensor& t) {
      if (t.scalar_type() != torch::kFloat32) return;  // e.g. BatchNorm's num_batches_tracked
      auto c = t.detach().contiguous();
      Napi::Object e = Napi::Object::New(env);
      e.Set("name", name);
      Napi::Array shape = Napi::Array::New(env, static_cast<size_t>(c.dim()));
      for (int64_t j = 0; j < c.dim(); j++) shape.Set(static_cast<uint32_t>(j), static_cast<double>(c.size(j)));
      e.Set("shape", shape);
      auto data = Napi::Float32Array::New(env, static_cast<size_t>(c.numel()));
      std::memcpy(data.Data(), c.data_ptr<float>(), static_cast<size_t>(c.numel()) * sizeof(float));
      e.Set("data", data);
      out.Set(i++, e);
    };
    for (auto& p : core.module().named_parameters(true)) add(p.key(), p.value());
    for (auto& b : core.module().named_buffers(true)) add(b.key(), b.value());
    return out;
  } catch (...) {
    RethrowAsJs(env, "stateDict");
  }
}

// loadStateDict([{name, shape, data}]) copies weights in after checking every name and shape.
Napi::Value LoadStateDict(Core& core, const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    core.EnsureUsable(true);
    if (!info[0].IsArray()) throw EngineError("E_ARG", "loadStateDict expects an array of {name, shape, data}");
    auto arr = info[0].As<Napi::Array>();
    std::map<std::string, torch::Tensor> targets;
    for (auto& p : core.module().named_parameters(true)) targets[p.key()] = p.value();
    for (auto& b : core.module().named_buffers(true))
      if (b.value().scalar_type() == torch::kFloat32) targets[b.key()] = b.value();
    std::set<std::string> seen;
    torch::NoGradGuard ng;
    for (uint32_t i = 0; i < arr.Length(); i++) {
      Napi::Object e = GetObject(arr.Get(i), "state entry");
      std::string name = GetString(e, "name", "");
      auto it = targets.find(name);
      if (it == targets.end()) throw EngineError("E_SHAPE", "unexpected tensor '" + name + "' for this model spec");
      auto held = HoldTypedArray<float>(e.Get("data"), napi_float32_array, "tensor '" + name + "'", SIZE_MAX);
      if (held.length != static_cast<size_t>(it->second.numel())) {
        std::string want = "[";
        for (int64_t j = 0; j < it->second.dim(); j++) want += (j ? ", " : "") + std::to_string(it->second.size(j));
        throw EngineError("E_SHAPE", "tensor '" + name + "' has " + std::to_string(held.length) +
                                         " values; the model expects shape " + want + "]");
      }
      it->second.copy_(torch::from_blob(held.data, it->second.sizes(), torch::kFloat32));
      seen.insert(name);
    }
    for (auto& t : targets)
      if (!seen.count(t.first)) throw EngineError("E_SHAPE", "weights are missing tensor '" + t.first + "'");
    core.module().eval();
    return env.Undefined();
  } catch (...) {
    RethrowAsJs(env, "loadStateDict");
  }
}

Napi::Value Dispose(Core& core, const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    if (core.disposed) return env.Undefined();
    core.EnsureUsable(true);
    core.disposed = true;
    core.net = torch::nn::AnyModule();
    return env.Undefined();
  } catch (...) {
    RethrowAsJs(env, "dispose");
  }
}

Napi::Value NumParameters(const Core& core, const Napi::CallbackInfo& info) {
  if (core.disposed) return Napi::Number::New(info.Env(), 0);
  int64_t count = 0;
  for (auto& p : core.module().parameters()) count += p.numel();
  return Napi::Number::New(info.Env(), static_cast<double>(count));
}

}  // namespace torchmodel

namespace {

using torchmodel::Core;

std::string ShapeText(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); i++) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

// A spec whose layers sit in a Sequential registered as "layers": state-dict names read
// "layers.3.weight", and "layers.5.layers.0.weight" / "layers.5.proj.weight" inside a residual block.
//
// Padding masks. A sequence of token ids is right-padded with padIndex; its length is one past
// its last non-pad token (at least 1, so that a row of pads still has a defined output). The
// mask is not module state (predictions may run concurrently on one network): the network's
// forward walks its layers itself and hands a per-call `lengths` tensor (N, int64, CPU) to every
// layer that reads or sets it (SeqLayer). The embedding layer sets it from its input ids and the
// mask layer from a numeric sequence's validity flag; LSTM and GRU pack their input by it, the
// transformer turns it into a key-padding mask and pooling ignores the steps past it. Without
// either (numeric sequences, no flag) it stays undefined: every step counts.
// (SeqLayer, PadMask and TokenIds are declared in torch_net.h for layers in other files.)

// Runs the layers of `seq` in order, through ForwardSeq where a layer takes the mask.
torch::Tensor RunLayers(torch::nn::Sequential& seq, torch::Tensor x, torch::Tensor* lengths) {
  for (auto& m : *seq) {
    if (auto* s = dynamic_cast<SeqLayer*>(m.ptr().get()))
      x = s->ForwardSeq(x, lengths);
    else
      x = m.forward(x);
  }
  return x;
}

struct NetImpl : torch::nn::Module {
  explicit NetImpl(torch::nn::Sequential seq) : layers(register_module("layers", std::move(seq))) {}
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor lengths;
    return RunLayers(layers, x, &lengths);
  }
  torch::nn::Sequential layers;
};
TORCH_MODULE(Net);

// y = block(x) + shortcut(x); the shortcut is the identity, a 1×1 convolution (channels or
// stride change) or a linear map (flat inputs of another width).
struct ResidualImpl : torch::nn::Module, SeqLayer {
  explicit ResidualImpl(torch::nn::Sequential seq) : layers(register_module("layers", std::move(seq))) {}
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor lengths;
    return ForwardSeq(x, &lengths);
  }
  torch::Tensor ForwardSeq(const torch::Tensor& x, torch::Tensor* lengths) override {
    torch::Tensor y = RunLayers(layers, x, lengths);
    if (!conv.is_empty()) return y + conv(x);
    if (!linear.is_empty()) return y + linear(x);
    return y + x;
  }
  torch::nn::Sequential layers;
  torch::nn::Conv2d conv{nullptr};
  torch::nn::Linear linear{nullptr};
};
TORCH_MODULE(Residual);

// N × L token ids (floats) -> N × L × dim; sets the lengths. Parameter: "weight" (vocab × dim),
// the row of padIndex zero and never trained, as in torch.nn.Embedding.
struct TokenEmbeddingImpl : torch::nn::EmbeddingImpl, SeqLayer {
  TokenEmbeddingImpl(int64_t vocab, int64_t dim, int64_t pad)
      : torch::nn::EmbeddingImpl(torch::nn::EmbeddingOptions(vocab, dim).padding_idx(pad)), vocab(vocab), pad(pad) {}
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor lengths;
    return ForwardSeq(x, &lengths);
  }
  torch::Tensor ForwardSeq(const torch::Tensor& x, torch::Tensor* lengths) override {
    return torch::nn::EmbeddingImpl::forward(TokenIds(x, vocab, pad, lengths, "embedding"));
  }
  int64_t vocab, pad;
};
TORCH_MODULE(TokenEmbedding);

// N × L × F -> N × L × (F - 1) for numeric sequences right-padded to seqLen: the last feature is
// a 0/1 validity flag. It sets the lengths (one past the last valid step, as the embedding does
// for token ids) and is dropped; the padded steps come out as 0.
struct StepMaskImpl : torch::nn::Module, SeqLayer {
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor lengths;
    return ForwardSeq(x, &lengths);
  }
  torch::Tensor ForwardSeq(const torch::Tensor& x, torch::Tensor* lengths) override {
    const int64_t L = x.size(1), F = x.size(2);
    auto pos = torch::arange(1, L + 1, torch::kLong).unsqueeze(0);
    *lengths = (x.select(2, F - 1).gt(0.5).to(torch::kLong) * pos).amax(1).clamp_min(1);
    return x.narrow(2, 0, F - 1).masked_fill(PadMask(*lengths, L).unsqueeze(2), 0);
  }
};
TORCH_MODULE(StepMask);

// N × L × F -> N × L × hidden·dirs (batch first); with lengths, the steps past a row's length
// come out as 0 and never influence the others. The forward direction runs fused over the padded
// batch (a step only sees the steps before it) and the padded steps are zeroed after; the
// reverse direction of a bidirectional layer runs on each row's valid prefix reversed in place
// (gather), so it starts at the row's last word, and its output is reversed back. Stacked
// bidirectional layers run layer by layer. (libtorch 1.13's packed-sequence CPU path is ~7×
// slower than the fused one, so it is not used.) Parameters as torch.nn.LSTM / GRU:
// "weight_ih_l0", "bias_hh_l1_reverse", ...
template <typename Base, typename Options>
struct RecurrentImpl : Base, SeqLayer {
  explicit RecurrentImpl(const Options& o, bool lstm) : Base(o), lstm(lstm) {}
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor lengths;
    return ForwardSeq(x, &lengths);
  }
  torch::Tensor ForwardSeq(const torch::Tensor& x, torch::Tensor* lengths) override {
    if (!lengths->defined()) return std::get<0>(Base::forward(x));
    const int64_t L = x.size(1);
    if (lengths->min().template item<int64_t>() >= L) return std::get<0>(Base::forward(x));
    auto pad = PadMask(*lengths, L).unsqueeze(2);
    if (!Base::options.bidirectional()) return std::get<0>(Base::forward(x)).masked_fill(pad, 0);
    // Row n's step t of the reversed prefix: len - 1 - t inside it, t (a pad) after it.
    auto t = torch::arange(L, torch::kLong).unsqueeze(0);
    auto rev = torch::where(t < lengths->unsqueeze(1), lengths->unsqueeze(1) - 1 - t, t);
    auto flip = [&](const torch::Tensor& h) { return h.gather(1, rev.unsqueeze(2).expand({h.size(0), L, h.size(2)})); };
    auto params = this->named_parameters(false);
    const int64_t layers = Base::options.num_layers();
    const double p = Base::options.dropout();
    torch::Tensor h = x;
    for (int64_t l = 0; l < layers; l++) {
      if (l > 0 && p > 0) h = torch::dropout(h, p, this->is_training());
      auto run = [&](const torch::Tensor& in, const std::string& sfx) {
        const std::string k = std::to_string(l) + sfx;
        std::vector<torch::Tensor> w{params["weight_ih_l" + k], params["weight_hh_l" + k]};
        if (Base::options.bias()) {
          w.push_back(params["bias_ih_l" + k]);
          w.push_back(params["bias_hh_l" + k]);
        }
        auto h0 = torch::zeros({1, in.size(0), Base::options.hidden_size()}, in.options());
        if (lstm) return std::get<0>(torch::lstm(in, {h0, h0}, w, Base::options.bias(), 1, 0.0, this->is_training(), false, true));
        return std::get<0>(torch::gru(in, h0, w, Base::options.bias(), 1, 0.0, this->is_training(), false, true));
      };
      h = torch::cat({run(h, ""), flip(run(flip(h), "_reverse"))}, 2).masked_fill(pad, 0);
    }
    return h;
  }
  bool lstm;
};
struct LstmImpl : RecurrentImpl<torch::nn::LSTMImpl, torch::nn::LSTMOptions> {
  explicit LstmImpl(const torch::nn::LSTMOptions& o) : RecurrentImpl(o, true) {}
};
TORCH_MODULE(Lstm);
struct GruImpl : RecurrentImpl<torch::nn::GRUImpl, torch::nn::GRUOptions> {
  explicit GruImpl(const torch::nn::GRUOptions& o) : RecurrentImpl(o, false) {}
};
TORCH_MODULE(Gru);

// One encoder block: multi-head self-attention and a GELU feed-forward, each in a residual
// branch with dropout; layer norm before each branch (pre) or after each sum (post).
struct EncoderBlockImpl : torch::nn::Module {
  EncoderBlockImpl(int64_t dim, int64_t heads, int64_t ff, double p, bool pre)
      : attn(register_module("attn", torch::nn::MultiheadAttention(torch::nn::MultiheadAttentionOptions(dim, heads).dropout(p)))),
        ff1(register_module("ff1", torch::nn::Linear(dim, ff))),
        ff2(register_module("ff2", torch::nn::Linear(ff, dim))),
        norm1(register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})))),
        norm2(register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})))),
        drop(register_module("drop", torch::nn::Dropout(p))),
        pre(pre) {}
  // x: N × L × D; padMask: N × L, true where a key is padding (or undefined).
  torch::Tensor forward(torch::Tensor x, const torch::Tensor& padMask) {
    auto sa = [&](const torch::Tensor& h) {
      auto t = h.transpose(0, 1);  // MultiheadAttention reads L × N × D
      return drop(std::get<0>(attn(t, t, t, padMask, /*need_weights=*/false)).transpose(0, 1));
    };
    auto ffn = [&](const torch::Tensor& h) { return drop(ff2(drop(torch::gelu(ff1(h))))); };
    if (pre) {
      x = x + sa(norm1(x));
      return x + ffn(norm2(x));
    }
    x = norm1(x + sa(x));
    return norm2(x + ffn(x));
  }
  torch::nn::MultiheadAttention attn;
  torch::nn::Linear ff1, ff2;
  torch::nn::LayerNorm norm1, norm2;
  torch::nn::Dropout drop;
  bool pre;
};
TORCH_MODULE(EncoderBlock);

// N × L × D -> N × L × D: a learned position embedding "pos" (L × D) added, then the blocks
// ("blocks.0.attn.in_proj_weight", ...), then a final layer norm "norm" when pre-norm.
struct TransformerImpl : torch::nn::Module, SeqLayer {
  TransformerImpl(int64_t L, int64_t dim, int64_t heads, int64_t ff, int64_t layers, double p, bool pre)
      : blocks(register_module("blocks", torch::nn::ModuleList())), drop(register_module("drop", torch::nn::Dropout(p))) {
    pos = register_parameter("pos", torch::randn({L, dim}) * 0.02);
    for (int64_t i = 0; i < layers; i++) blocks->push_back(EncoderBlock(dim, heads, ff, p, pre));
    if (pre) norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor lengths;
    return ForwardSeq(x, &lengths);
  }
  torch::Tensor ForwardSeq(const torch::Tensor& x, torch::Tensor* lengths) override {
    torch::Tensor padMask = lengths->defined() ? PadMask(*lengths, x.size(1)) : torch::Tensor();
    torch::Tensor h = drop(x + pos.unsqueeze(0));
    for (auto& b : *blocks) h = b->as<EncoderBlockImpl>()->forward(h, padMask);
    return norm.is_empty() ? h : norm(h);
  }
  torch::Tensor pos;
  torch::nn::ModuleList blocks;
  torch::nn::Dropout drop;
  torch::nn::LayerNorm norm{nullptr};
};
TORCH_MODULE(Transformer);

// N × L × F -> N × F over the steps within each row's length: mean, max, the last step, or the
// first ([CLS]) step.
struct SeqPoolImpl : torch::nn::Module, SeqLayer {
  explicit SeqPoolImpl(std::string mode) : mode(std::move(mode)) {}
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor lengths;
    return ForwardSeq(x, &lengths);
  }
  torch::Tensor ForwardSeq(const torch::Tensor& x, torch::Tensor* lengths) override {
    const int64_t L = x.size(1);
    if (mode == "cls") return x.select(1, 0);
    if (!lengths->defined()) {
      if (mode == "mean") return x.mean(1);
      if (mode == "max") return std::get<0>(x.max(1));
      return x.select(1, L - 1);
    }
    if (mode == "last") {
      auto idx = (*lengths - 1).view({-1, 1, 1}).expand({x.size(0), 1, x.size(2)});
      return x.gather(1, idx).squeeze(1);
    }
    auto pad = PadMask(*lengths, L).unsqueeze(2);  // N × L × 1
    if (mode == "max") return std::get<0>(x.masked_fill(pad, -std::numeric_limits<float>::infinity()).max(1));
    return x.masked_fill(pad, 0).sum(1) / lengths->to(x.scalar_type()).unsqueeze(1);
  }
  std::string mode;
};
TORCH_MODULE(SeqPool);

// N × C × H × W -> N × C.
struct GlobalAvgPoolImpl : torch::nn::Module {
  torch::Tensor forward(const torch::Tensor& x) { return x.mean({2, 3}); }
};
TORCH_MODULE(GlobalAvgPool);

// One branch of a `branches` layer: columns [from, to) of the flat row, reshaped to `shape`
// ([features], token ids [seqLen], [seqLen, features] or [channels, height, width]), through its
// own layers. Each branch starts with no padding mask (its own embedding sets one), so one
// branch's text lengths never leak into another's layers.
struct BranchImpl : torch::nn::Module {
  BranchImpl(torch::nn::Sequential seq, int64_t from, int64_t to, std::vector<int64_t> shape)
      : layers(register_module("layers", std::move(seq))), from(from), to(to), shape(std::move(shape)) {}
  torch::Tensor forward(const torch::Tensor& x) {
    std::vector<int64_t> sizes{x.size(0)};
    sizes.insert(sizes.end(), shape.begin(), shape.end());
    torch::Tensor lengths;
    return RunLayers(layers, x.narrow(1, from, to - from).reshape(sizes), &lengths);
  }
  torch::nn::Sequential layers;
  int64_t from, to;
  std::vector<int64_t> shape;
};
TORCH_MODULE(Branch);

// N × D -> N × (d_0 + d_1 + …): every branch reads its slice of the row and ends flat; the
// outputs are concatenated in order (mixed inputs: tabular features | token ids | pixels).
// Parameters "branches.1.layers.2.weight", so "layers.0.branches.1.layers.2.weight" in a network.
struct BranchesImpl : torch::nn::Module {
  BranchesImpl() : branches(register_module("branches", torch::nn::ModuleList())) {}
  torch::Tensor forward(const torch::Tensor& x) {
    std::vector<torch::Tensor> outs;
    for (auto& b : *branches) outs.push_back(b->as<BranchImpl>()->forward(x));
    return torch::cat(outs, 1);
  }
  torch::nn::ModuleList branches;
};
TORCH_MODULE(Branches);

const char* const kLayerTypes =
    "conv2d, batchnorm2d, relu, gelu, maxpool2d, avgpool2d, globalavgpool, dropout, flatten, linear, residual, branches, "
    "embedding, mask, lstm, gru, transformer, pool, bert";

// Builds the layers of a spec while following the shape of one row through them; every error
// names the layer by its path in the spec, e.g. "spec.layers[2].layers[0] (conv2d)".
class NetBuilder {
 public:
  bool batchNorm = false;
  bool sequence = false;  // an embedding, recurrent or transformer layer (smaller predict batches)

  torch::nn::Sequential Build(const Napi::Value& v, const std::string& path, std::vector<int64_t>* shape) {
    if (!v.IsArray()) throw EngineError("E_ARG", path + " must be an array of layers");
    auto arr = v.As<Napi::Array>();
    if (arr.Length() == 0) throw EngineError("E_ARG", path + " must hold at least one layer");
    torch::nn::Sequential seq;
    for (uint32_t i = 0; i < arr.Length(); i++) {
      std::string where = path + "[" + std::to_string(i) + "]";
      Napi::Object layer = GetObject(arr.Get(i), where);
      std::string type;
      try {
        type = GetString(layer, "type", "");
      } catch (const EngineError&) {
        throw EngineError("E_ARG", where + ": 'type' must be a string");
      }
      if (type == "residual") {
        AddResidual(seq, layer, where, shape);
        continue;
      }
      if (type == "branches") {
        AddBranches(seq, layer, where, shape);
        continue;
      }
      try {
        AddLayer(seq, layer, type, shape);
      } catch (const EngineError& e) {
        const bool known = (std::string(", ") + kLayerTypes + ", ").find(", " + type + ", ") != std::string::npos;
        throw EngineError(e.code, where + (known ? " (" + type + ")" : "") + ": " + e.what());
      }
    }
    return seq;
  }

 private:
  static int64_t Int(const Napi::Object& o, const char* key, int64_t fallback, int64_t min) { return SpecInt(o, key, fallback, min); }

  static void NeedSequence(const std::vector<int64_t>& shape) {
    if (shape.size() != 2)
      throw EngineError("E_ARG", "needs a sequence [seqLen, features], got " + ShapeText(shape) +
                                     (shape.size() == 1 ? " (token ids need an embedding layer first)" : ""));
  }

  static bool Bool(const Napi::Object& o, const char* key) {
    Napi::Value v = o.Get(key);
    if (v.IsUndefined() || v.IsNull()) return false;
    if (!v.IsBoolean()) throw EngineError("E_ARG", std::string("'") + key + "' must be a boolean");
    return v.As<Napi::Boolean>().Value();
  }

  static double Prob(const Napi::Object& o, const char* key) { return SpecProb(o, key); }

  static void NeedImage(const std::vector<int64_t>& shape) {
    if (shape.size() != 3)
      throw EngineError("E_ARG", "needs a channels × height × width input, got " + ShapeText(shape) +
                                     (shape.size() == 1 ? " (flat rows: give inputShape as [channels, height, width])" : ""));
  }

  // Output size of a window of `kernel` sliding by `stride` over `size` cells (padding on each side).
  static int64_t Slide(int64_t size, int64_t kernel, int64_t stride, int64_t padding, const std::vector<int64_t>& shape) {
    if (size + 2 * padding < kernel)
      throw EngineError("E_ARG", "kernel " + std::to_string(kernel) + " is larger than the " +
                                     (padding ? "padded " : "") + "input " + std::to_string(shape[1]) + "×" +
                                     std::to_string(shape[2]) + (padding ? " (padding " + std::to_string(padding) + ")" : ""));
    return (size + 2 * padding - kernel) / stride + 1;
  }

  void AddLayer(torch::nn::Sequential& seq, const Napi::Object& L, const std::string& type, std::vector<int64_t>* shape) {
    std::vector<int64_t>& s = *shape;
    if (type == "conv2d") {
      NeedImage(s);
      const int64_t out = Int(L, "out", -1, 1), kernel = Int(L, "kernel", -1, 1), stride = Int(L, "stride", 1, 1);
      auto o = torch::nn::Conv2dOptions(s[0], out, kernel).stride(stride);
      Napi::Value p = L.Get("padding");
      if (p.IsString()) {
        if (p.As<Napi::String>().Utf8Value() != "same")
          throw EngineError("E_ARG", "'padding' must be 'same' or a non-negative integer");
        if (stride != 1) throw EngineError("E_ARG", "padding 'same' needs stride 1 (got stride " + std::to_string(stride) + ")");
        o.padding(torch::kSame);
        s = {out, s[1], s[2]};
      } else {
        const int64_t pad = Int(L, "padding", 0, 0);
        o.padding(pad);
        s = {out, Slide(s[1], kernel, stride, pad, s), Slide(s[2], kernel, stride, pad, s)};
      }
      seq->push_back(torch::nn::Conv2d(o));
    } else if (type == "batchnorm2d") {
      NeedImage(s);
      batchNorm = true;
      seq->push_back(torch::nn::BatchNorm2d(s[0]));
    } else if (type == "relu") {
      seq->push_back(torch::nn::ReLU());
    } else if (type == "gelu") {
      seq->push_back(torch::nn::GELU());
    } else if (type == "maxpool2d" || type == "avgpool2d") {
      NeedImage(s);
      const int64_t kernel = Int(L, "kernel", -1, 1), stride = Int(L, "stride", kernel, 1);
      s = {s[0], Slide(s[1], kernel, stride, 0, s), Slide(s[2], kernel, stride, 0, s)};
      if (type == "maxpool2d")
        seq->push_back(torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(kernel).stride(stride)));
      else
        seq->push_back(torch::nn::AvgPool2d(torch::nn::AvgPool2dOptions(kernel).stride(stride)));
    } else if (type == "globalavgpool") {
      NeedImage(s);
      s = {s[0]};
      seq->push_back(GlobalAvgPool());
    } else if (type == "dropout") {
      Napi::Value p = L.Get("p");
      double v = p.IsNumber() ? p.As<Napi::Number>().DoubleValue() : -1;
      if (!(v >= 0 && v < 1)) throw EngineError("E_ARG", "'p' must be a number in [0, 1)");
      seq->push_back(torch::nn::Dropout(v));
    } else if (type == "flatten") {
      int64_t size = 1;
      for (int64_t d : s) size *= d;
      s = {size};
      seq->push_back(torch::nn::Flatten());
    } else if (type == "linear") {
      if (s.size() != 1)
        throw EngineError("E_ARG", "needs a flat input, got " + ShapeText(s) + ": put a flatten or globalavgpool layer before it");
      const int64_t out = Int(L, "out", -1, 1);
      seq->push_back(torch::nn::Linear(s[0], out));
      s = {out};
    } else if (type == "embedding") {
      if (s.size() != 1) throw EngineError("E_ARG", "needs token ids [seqLen], got " + ShapeText(s));
      const int64_t vocab = Int(L, "vocab", -1, 2), dim = Int(L, "dim", -1, 1), pad = Int(L, "padIndex", 0, 0);
      if (pad >= vocab) throw EngineError("E_ARG", "'padIndex' " + std::to_string(pad) + " must be below vocab " + std::to_string(vocab));
      sequence = true;
      seq->push_back(TokenEmbedding(vocab, dim, pad));
      s = {s[0], dim};
    } else if (type == "mask") {
      NeedSequence(s);
      if (s[1] < 2) throw EngineError("E_ARG", "needs at least one feature besides the validity flag, got " + ShapeText(s));
      sequence = true;
      seq->push_back(StepMask());
      s = {s[0], s[1] - 1};
    } else if (type == "bert") {
      sequence = true;
      seq->push_back(MakeBertLayer(L, &s));
    } else if (type == "lstm" || type == "gru") {
      NeedSequence(s);
      const int64_t hidden = Int(L, "hidden", -1, 1), layers = Int(L, "layers", 1, 1);
      const bool bi = Bool(L, "bidirectional");
      const double p = Prob(L, "dropout");
      sequence = true;
      if (type == "lstm")
        seq->push_back(Lstm(torch::nn::LSTMOptions(s[1], hidden).num_layers(layers).bidirectional(bi).batch_first(true).dropout(p)));
      else
        seq->push_back(Gru(torch::nn::GRUOptions(s[1], hidden).num_layers(layers).bidirectional(bi).batch_first(true).dropout(p)));
      s = {s[0], hidden * (bi ? 2 : 1)};
    } else if (type == "transformer") {
      NeedSequence(s);
      const int64_t heads = Int(L, "heads", -1, 1), ff = Int(L, "ff", -1, 1), layers = Int(L, "layers", 1, 1);
      if (s[1] % heads != 0)
        throw EngineError("E_ARG", "the width " + std::to_string(s[1]) + " must be a multiple of heads " + std::to_string(heads));
      Napi::Value nv = L.Get("norm");
      std::string norm = nv.IsUndefined() || nv.IsNull() ? "pre" : (nv.IsString() ? nv.As<Napi::String>().Utf8Value() : "");
      if (norm != "pre" && norm != "post") throw EngineError("E_ARG", "'norm' must be 'pre' or 'post'");
      Napi::Value dv = L.Get("dropout");
      const double p = dv.IsUndefined() || dv.IsNull() ? 0.1 : Prob(L, "dropout");
      sequence = true;
      seq->push_back(Transformer(s[0], s[1], heads, ff, layers, p, norm == "pre"));
    } else if (type == "pool") {
      NeedSequence(s);
      Napi::Value mv = L.Get("mode");
      std::string mode = mv.IsString() ? mv.As<Napi::String>().Utf8Value() : "";
      if (mode != "mean" && mode != "max" && mode != "last" && mode != "cls")
        throw EngineError("E_ARG", "'mode' must be 'mean', 'max', 'last' or 'cls'");
      seq->push_back(SeqPool(mode));
      s = {s[1]};
    } else if (type.empty()) {
      throw EngineError("E_ARG", std::string("'type' is required (one of ") + kLayerTypes + ")");
    } else {
      throw EngineError("E_ARG", "unknown layer type '" + type + "' (known: " + kLayerTypes + ")");
    }
  }

  // {type: 'branches', branches: [{from, to, shape, layers}, …]} over a flat row; errors name the
  // branch, e.g. "spec.layers[0].branches[1]", and its layers "spec.layers[0].branches[1].layers[2]".
  void AddBranches(torch::nn::Sequential& seq, const Napi::Object& L, const std::string& where, std::vector<int64_t>* shape) {
    if (shape->size() != 1)
      throw EngineError("E_ARG", where + " (branches): needs a flat row [features], got " + ShapeText(*shape));
    const int64_t width = (*shape)[0];
    Napi::Value bv = L.Get("branches");
    if (!bv.IsArray() || bv.As<Napi::Array>().Length() == 0)
      throw EngineError("E_ARG", where + " (branches): 'branches' must be a non-empty array of {from, to, shape, layers}");
    auto arr = bv.As<Napi::Array>();
    Branches block;
    int64_t total = 0;
    for (uint32_t j = 0; j < arr.Length(); j++) {
      const std::string at = where + ".branches[" + std::to_string(j) + "]";
      Napi::Object b = GetObject(arr.Get(j), at);
      int64_t from = 0, to = 0;
      std::vector<int64_t> in;
      try {
        from = Int(b, "from", -1, 0);
        to = Int(b, "to", -1, 1);
        Napi::Value sv = b.Get("shape");
        if (!sv.IsArray()) throw EngineError("E_ARG", "'shape' must be an array such as [8], [64] or [3, 32, 32]");
        auto sa = sv.As<Napi::Array>();
        int64_t size = 1;
        for (uint32_t i = 0; i < sa.Length(); i++) {
          Napi::Value d = sa.Get(i);
          double v = d.IsNumber() ? d.As<Napi::Number>().DoubleValue() : 0;
          if (v != std::floor(v) || v < 1 || v > (1 << 24)) throw EngineError("E_ARG", "'shape[" + std::to_string(i) + "]' must be a positive integer");
          in.push_back(static_cast<int64_t>(v));
          size *= in.back();
        }
        if (in.empty() || in.size() > 3) throw EngineError("E_ARG", "'shape' must have 1 to 3 dimensions, got " + ShapeText(in));
        if (to <= from || to > width)
          throw EngineError("E_ARG", "columns [" + std::to_string(from) + ", " + std::to_string(to) +
                                         ") must be a non-empty range inside the row of " + std::to_string(width));
        if (size != to - from)
          throw EngineError("E_ARG", "'shape' " + ShapeText(in) + " holds " + std::to_string(size) + " values, but columns [" +
                                         std::to_string(from) + ", " + std::to_string(to) + ") are " + std::to_string(to - from));
      } catch (const EngineError& e) {
        throw EngineError(e.code, at + ": " + e.what());
      }
      std::vector<int64_t> s = in;
      torch::nn::Sequential layers = Build(b.Get("layers"), at + ".layers", &s);
      if (s.size() != 1)
        throw EngineError("E_ARG", at + ": a branch must end flat, got " + ShapeText(s) + " (end it with a pool, flatten or linear layer)");
      total += s[0];
      block->branches->push_back(Branch(layers, from, to, in));
    }
    *shape = {total};
    seq->push_back(block);
  }

  void AddResidual(torch::nn::Sequential& seq, const Napi::Object& L, const std::string& where, std::vector<int64_t>* shape) {
    const std::vector<int64_t> in = *shape;
    Residual block(Build(L.Get("layers"), where + ".layers", shape));
    const std::vector<int64_t>& out = *shape;
    auto fail = [&](const std::string& why) {
      throw EngineError("E_ARG", where + " (residual): " + why + " (input " + ShapeText(in) + ", block output " +
                                     ShapeText(out) + ")");
    };
    if (in.size() != out.size()) fail("the block must keep the rank of its input");
    if (in.size() == 1) {
      if (in[0] != out[0]) block->linear = block->register_module("proj", torch::nn::Linear(in[0], out[0]));
    } else if (in.size() == 2) {
      // A sequence: the same length; a linear map of the features per step when the width changes.
      if (in[0] != out[0]) fail("a block over a sequence must keep its length");
      if (in[1] != out[1]) block->linear = block->register_module("proj", torch::nn::Linear(in[1], out[1]));
    } else if (in != out) {
      // A 1×1 convolution with stride (sh, sw) maps H to floor((H - 1) / sh) + 1.
      auto stride = [&](int64_t a, int64_t b) {
        if (b > a) fail("a shortcut cannot grow the spatial size");
        int64_t st = (a + b - 1) / b;
        if ((a - 1) / st + 1 != b) fail("no strided 1×1 projection maps the input's height and width onto the output's");
        return st;
      };
      const int64_t sh = stride(in[1], out[1]), sw = stride(in[2], out[2]);
      block->conv = block->register_module(
          "proj", torch::nn::Conv2d(torch::nn::Conv2dOptions(in[0], out[0], 1).stride({sh, sw}).bias(false)));
    }
    seq->push_back(block);
  }
};

class TorchNet : public torchmodel::ModelWrap<TorchNet> {
 public:
  static Napi::Function Define(Napi::Env env) { return DefineModel(env, "TorchNet"); }

  // new TorchNet({inputShape, layers, outputDim, seed})
  explicit TorchNet(const Napi::CallbackInfo& info) : ModelWrap(info) {
    try {
      Napi::Object o = GetObject(info[0], "spec");
      Napi::Value is = o.Get("inputShape");
      if (!is.IsArray()) throw EngineError("E_ARG", "spec.inputShape must be an array such as [1, 28, 28] or [64]");
      auto arr = is.As<Napi::Array>();
      std::vector<int64_t> shape;
      int64_t size = 1;
      for (uint32_t i = 0; i < arr.Length(); i++) {
        Napi::Value d = arr.Get(i);
        double v = d.IsNumber() ? d.As<Napi::Number>().DoubleValue() : 0;
        if (v != std::floor(v) || v < 1 || v > (1 << 24))
          throw EngineError("E_ARG", "spec.inputShape[" + std::to_string(i) + "] must be a positive integer");
        shape.push_back(static_cast<int64_t>(v));
        size *= shape.back();
      }
      if (shape.size() < 1 || shape.size() > 3)
        throw EngineError("E_ARG", "spec.inputShape must be [features] (or token ids [seqLen]), [seqLen, features] or [channels, height, width], got " + ShapeText(shape));
      if (size > (1 << 24)) throw EngineError("E_ARG", "spec.inputShape " + ShapeText(shape) + " is too large");
      const int64_t outputDim = GetInt(o, "outputDim", -1, 1, 1 << 20);
      const int64_t seed = GetInt(o, "seed", 0, 0, std::numeric_limits<int32_t>::max());

      std::lock_guard<std::mutex> lock(torchmodel::RngMutex());
      torch::manual_seed(seed);
      NetBuilder builder;
      std::vector<int64_t> out = shape;
      Net net(builder.Build(o.Get("layers"), "spec.layers", &out));
      if (out.size() != 1 || out[0] != outputDim)
        throw EngineError("E_ARG", "spec.layers end with output " + ShapeText(out) + ", but outputDim is " +
                                       std::to_string(outputDim) + ": end with a linear layer of out " +
                                       std::to_string(outputDim));
      core_.net = torch::nn::AnyModule(net);
      core_.inputShape = shape;
      core_.rowSize = size;
      core_.outputDim = outputDim;
      core_.rowWhat = shape.size() == 1 ? "inputShape " + ShapeText(shape)
                                        : "the row size " + std::to_string(size) + " (inputShape " + ShapeText(shape) + ")";
      core_.batchNorm = builder.batchNorm;
      // Convolutional activations are ~channels × the image per row: keep a pass near 100 MB.
      // Attention holds heads × seqLen² per row.
      core_.evalRows = shape.size() == 3 || builder.sequence ? 256 : 8192;
      core_.module().eval();
    } catch (...) {
      std::string code, msg;
      torchmodel::DescribeTorchException("TorchNet", &code, &msg);
      throw MakeError(info.Env(), code, msg);
    }
  }
};

}  // namespace

void InitTorchNet(Napi::Env env, Napi::Object exports) {
  exports.Set("TorchNet", TorchNet::Define(env));
}

}  // namespace lepton
