// MLP (logistic regression = no hidden layers) on the libtorch C++ frontend.
// JS hands over feature matrices as Float32Array views that are read in place (from_blob);
// training and prediction run on libuv worker threads, epochs are reported through an
// AsyncProgressQueueWorker (a thread-safe function underneath).
#include "torch_mlp.h"

#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <set>
#include <limits>
#include <mutex>

#include "common.h"

namespace lepton {
namespace {

// libtorch's default generator is process-global; training holds this lock so that a seed
// gives the same weights and dropout masks whatever else runs. Parallel trials use processes.
std::mutex& TorchRngMutex() {
  static std::mutex m;
  return m;
}

struct MlpSpec {
  int64_t inputDim = 0;
  int64_t outputDim = 0;
  std::vector<int64_t> hidden;
  std::string activation = "relu";
  double dropout = 0;
  bool batchNorm = false;
  int64_t seed = 0;
};

MlpSpec ParseSpec(const Napi::Value& v) {
  Napi::Object o = GetObject(v, "spec");
  MlpSpec s;
  s.inputDim = GetInt(o, "inputDim", -1, 1, 1 << 24);
  s.outputDim = GetInt(o, "outputDim", -1, 1, 1 << 20);
  Napi::Value h = o.Get("hidden");
  if (!h.IsUndefined()) {
    if (!h.IsArray()) throw EngineError("E_ARG", "spec.hidden must be an array of layer widths");
    auto arr = h.As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); i++) {
      Napi::Value w = arr.Get(i);
      if (!w.IsNumber() || w.As<Napi::Number>().Int64Value() < 1)
        throw EngineError("E_ARG", "spec.hidden[" + std::to_string(i) + "] must be a positive integer");
      s.hidden.push_back(w.As<Napi::Number>().Int64Value());
    }
  }
  s.activation = GetString(o, "activation", "relu");
  if (s.activation != "relu" && s.activation != "gelu" && s.activation != "tanh" && s.activation != "silu")
    throw EngineError("E_ARG", "spec.activation must be one of relu, gelu, tanh, silu (got '" + s.activation + "')");
  s.dropout = GetNumber(o, "dropout", 0);
  if (s.dropout < 0 || s.dropout >= 1) throw EngineError("E_ARG", "spec.dropout must be in [0, 1)");
  s.batchNorm = GetBool(o, "batchNorm", false);
  s.seed = GetInt(o, "seed", 0, 0, std::numeric_limits<int32_t>::max());
  return s;
}

torch::nn::Sequential BuildNet(const MlpSpec& s) {
  torch::nn::Sequential seq;
  int64_t in = s.inputDim;
  for (int64_t width : s.hidden) {
    seq->push_back(torch::nn::Linear(in, width));
    if (s.batchNorm) seq->push_back(torch::nn::BatchNorm1d(width));
    if (s.activation == "relu") seq->push_back(torch::nn::ReLU());
    else if (s.activation == "gelu") seq->push_back(torch::nn::GELU());
    else if (s.activation == "tanh") seq->push_back(torch::nn::Tanh());
    else seq->push_back(torch::nn::SiLU());
    if (s.dropout > 0) seq->push_back(torch::nn::Dropout(s.dropout));
    in = width;
  }
  seq->push_back(torch::nn::Linear(in, s.outputDim));
  return seq;
}

// c10::Error carries a C++ backtrace in what(); users get the message only.
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

struct EpochReport {
  int64_t epoch;
  double trainLoss;
  double valLoss;
  double lr;
  double seconds;
};

class TorchMlp;

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
};

class TorchMlp : public Napi::ObjectWrap<TorchMlp> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit TorchMlp(const Napi::CallbackInfo& info);

  MlpSpec spec;
  torch::nn::Sequential net{nullptr};
  std::atomic<bool> training{false};
  std::atomic<int> predicting{0};
  std::atomic<bool> cancelRequested{false};
  bool disposed = false;

  void EnsureUsable(const char* where, bool forWrite) {
    if (disposed) throw EngineError("E_DISPOSED", "model was disposed");
    if (training) throw EngineError("E_BUSY", "model is training; await fit() first");
    if (forWrite && predicting > 0)
      throw EngineError("E_BUSY", "predictions are in flight; await them first");
  }

 private:
  Napi::Value Fit(const Napi::CallbackInfo& info);
  Napi::Value Predict(const Napi::CallbackInfo& info);
  Napi::Value PredictSync(const Napi::CallbackInfo& info);
  Napi::Value Cancel(const Napi::CallbackInfo& info);
  Napi::Value StateDict(const Napi::CallbackInfo& info);
  Napi::Value LoadStateDict(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value GetDisposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), disposed); }
  Napi::Value GetNumParameters(const Napi::CallbackInfo& info);
};

TorchMlp::TorchMlp(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TorchMlp>(info) {
  try {
    spec = ParseSpec(info[0]);
    std::lock_guard<std::mutex> lock(TorchRngMutex());
    torch::manual_seed(spec.seed);
    net = BuildNet(spec);
  } catch (...) {
    std::string code, msg;
    DescribeTorchException("TorchMlp", &code, &msg);
    throw MakeError(info.Env(), code, msg);
  }
}

class FitWorker : public PromiseWorker<Napi::AsyncProgressQueueWorker<EpochReport>> {
 public:
  FitWorker(Napi::Env env, TorchMlp* model, Napi::Object self, FitOptions opts, HeldArray<float> x,
            HeldArray<float> yReg, HeldArray<int32_t> yCls, HeldArray<float> xVal, HeldArray<float> yValReg,
            HeldArray<int32_t> yValCls, HeldArray<float> classWeights, Napi::Function onEpoch)
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
      std::lock_guard<std::mutex> lock(TorchRngMutex());
      Run(progress);
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
    using torch::indexing::Slice;
    at::set_num_threads(static_cast<int>(opts_.threads));
    torch::manual_seed(opts_.seed);
    const MlpSpec& s = model_->spec;
    auto net = model_->net;
    const int64_t n = static_cast<int64_t>(x_.length) / s.inputDim;
    const int64_t nVal = static_cast<int64_t>(xVal_.length) / s.inputDim;
    auto X = torch::from_blob(x_.data, {n, s.inputDim}, torch::kFloat32);
    torch::Tensor Y, XV, YV, W;
    if (opts_.classification) {
      Y = torch::from_blob(yCls_.data, {n}, torch::kInt32).to(torch::kLong);
      CheckLabels(Y, "y");
    } else {
      Y = torch::from_blob(yReg_.data, {n, s.outputDim}, torch::kFloat32);
    }
    if (nVal > 0) {
      XV = torch::from_blob(xVal_.data, {nVal, s.inputDim}, torch::kFloat32);
      if (opts_.classification) {
        YV = torch::from_blob(yValCls_.data, {nVal}, torch::kInt32).to(torch::kLong);
        CheckLabels(YV, "yVal");
      } else {
        YV = torch::from_blob(yValReg_.data, {nVal, s.outputDim}, torch::kFloat32);
      }
    }
    if (classWeights_.present()) W = torch::from_blob(classWeights_.data, {s.outputDim}, torch::kFloat32).clone();

    auto params = net->parameters();
    std::unique_ptr<torch::optim::Optimizer> opt;
    double lr0 = opts_.lrPerEpoch.empty() ? 1e-3 : opts_.lrPerEpoch[0];
    if (opts_.optimizer == "adam")
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

    std::vector<torch::Tensor> best;
    bestLoss_ = std::numeric_limits<double>::infinity();
    stopReason_ = "max_epochs";
    const auto start = std::chrono::steady_clock::now();
    for (int64_t epoch = 1; epoch <= opts_.epochs; epoch++) {
      double lr = opts_.lrPerEpoch.empty() ? lr0 : opts_.lrPerEpoch[std::min<size_t>(epoch - 1, opts_.lrPerEpoch.size() - 1)];
      for (auto& g : opt->param_groups()) g.options().set_lr(lr);
      net->train();
      auto perm = torch::randperm(n, torch::kLong);
      double total = 0;
      int64_t seen = 0;
      for (int64_t b = 0; b < n; b += opts_.batchSize) {
        if (model_->cancelRequested) break;
        int64_t e = std::min(n, b + opts_.batchSize);
        // BatchNorm cannot normalise a batch of one sample in training mode.
        if (s.batchNorm && e - b < 2) break;
        auto idx = perm.index({Slice(b, e)});
        auto xb = X.index_select(0, idx);
        auto yb = Y.index_select(0, idx);
        opt->zero_grad();
        auto l = loss(net->forward(xb), yb);
        l.backward();
        opt->step();
        total += l.item<double>() * static_cast<double>(e - b);
        seen += e - b;
      }
      if (model_->cancelRequested) {
        stopReason_ = "cancelled";
        break;
      }
      epochsRun_ = epoch;
      double trainLoss = seen > 0 ? total / static_cast<double>(seen) : std::nan("");
      double valLoss = std::nan("");
      if (nVal > 0) {
        torch::NoGradGuard ng;
        net->eval();
        std::vector<torch::Tensor> outs;
        for (int64_t b = 0; b < nVal; b += 8192) outs.push_back(net->forward(XV.index({Slice(b, std::min(nVal, b + 8192))})));
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
    }
    if (!best.empty()) Restore(best);
    net->eval();
  }

  void CheckLabels(const torch::Tensor& y, const char* what) {
    if (y.numel() == 0) return;
    int64_t lo = y.min().item<int64_t>(), hi = y.max().item<int64_t>();
    if (lo < 0 || hi >= model_->spec.outputDim)
      throw EngineError("E_ARG", std::string(what) + " contains class index " + std::to_string(lo < 0 ? lo : hi) +
                                     " outside [0, " + std::to_string(model_->spec.outputDim) + ")");
  }

  void Snapshot(std::vector<torch::Tensor>* out) {
    torch::NoGradGuard ng;
    out->clear();
    for (auto& p : model_->net->parameters()) out->push_back(p.detach().clone());
    for (auto& b : model_->net->buffers()) out->push_back(b.detach().clone());
  }

  void Restore(const std::vector<torch::Tensor>& saved) {
    torch::NoGradGuard ng;
    size_t i = 0;
    for (auto& p : model_->net->parameters()) p.copy_(saved[i++]);
    for (auto& b : model_->net->buffers()) b.copy_(saved[i++]);
  }

  TorchMlp* model_;
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

// fit({x, y, xVal?, yVal?}, options, onEpoch?) -> Promise<{epochs, bestEpoch, bestLoss, stopReason}>
Napi::Value TorchMlp::Fit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    EnsureUsable("fit", true);
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
    if (opts.optimizer != "adam" && opts.optimizer != "adamw" && opts.optimizer != "sgd")
      throw EngineError("E_ARG", "option 'optimizer' must be adam, adamw or sgd (got '" + opts.optimizer + "')");
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

    const size_t d = static_cast<size_t>(spec.inputDim), k = static_cast<size_t>(spec.outputDim);
    auto x = HoldTypedArray<float>(data.Get("x"), napi_float32_array, "x", SIZE_MAX);
    if (x.length == 0 || x.length % d != 0)
      throw EngineError("E_ARG", "x has " + std::to_string(x.length) + " elements, not a non-empty multiple of inputDim " +
                                     std::to_string(d));
    const size_t n = x.length / d;
    auto xVal = HoldTypedArray<float>(data.Get("xVal"), napi_float32_array, "xVal", SIZE_MAX, true);
    if (xVal.length % d != 0)
      throw EngineError("E_ARG", "xVal has " + std::to_string(xVal.length) + " elements, not a multiple of inputDim " +
                                     std::to_string(d));
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
    cancelRequested = false;
    training = true;
    auto* w = new FitWorker(env, this, info.This().As<Napi::Object>(), std::move(opts), std::move(x), std::move(yReg),
                            std::move(yCls), std::move(xVal), std::move(yValReg), std::move(yValCls), std::move(cw),
                            onEpoch);
    w->Queue();
    return w->Promise();
  } catch (...) {
    RethrowAsJs(env, "fit");
  }
}

// Inference in eval mode without autograd; read-only on the weights, so concurrent calls are safe.
void Forward(TorchMlp& model, const float* x, size_t length, bool softmax, std::vector<float>* out) {
  using torch::indexing::Slice;
  torch::NoGradGuard ng;
  const int64_t d = model.spec.inputDim, k = model.spec.outputDim;
  const int64_t n = static_cast<int64_t>(length) / d;
  auto X = torch::from_blob(const_cast<float*>(x), {n, d}, torch::kFloat32);
  out->resize(static_cast<size_t>(n * k));
  for (int64_t b = 0; b < n; b += 8192) {
    int64_t e = std::min(n, b + 8192);
    auto y = model.net->forward(X.index({Slice(b, e)}));
    if (softmax) y = torch::softmax(y, 1);
    y = y.contiguous();
    std::memcpy(out->data() + b * k, y.data_ptr<float>(), static_cast<size_t>((e - b) * k) * sizeof(float));
  }
}

class PredictWorker : public PromiseWorker<Napi::AsyncWorker> {
 public:
  PredictWorker(Napi::Env env, TorchMlp* model, Napi::Object self, HeldArray<float> x, bool softmax)
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
  TorchMlp* model_;
  HeldArray<float> x_;
  bool softmax_;
  std::vector<float> out_;
};

// Checks predict's arguments: rows of inputDim features, and whether to apply softmax.
HeldArray<float> PredictArgs(const MlpSpec& spec, const Napi::CallbackInfo& info, bool* softmax) {
  auto x = HoldTypedArray<float>(info[0], napi_float32_array, "x", SIZE_MAX);
  if (x.length % static_cast<size_t>(spec.inputDim) != 0)
    throw EngineError("E_ARG", "x has " + std::to_string(x.length) + " elements, not a multiple of inputDim " +
                                   std::to_string(spec.inputDim));
  if (info.Length() > 1 && info[1].IsObject()) *softmax = GetBool(info[1].As<Napi::Object>(), "softmax", true);
  return x;
}

// predict(x: Float32Array, {softmax}) -> Promise<Float32Array> of n * outputDim values.
Napi::Value TorchMlp::Predict(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    EnsureUsable("predict", false);
    bool softmax = true;
    auto x = PredictArgs(spec, info, &softmax);
    predicting++;
    auto* w = new PredictWorker(env, this, info.This().As<Napi::Object>(), std::move(x), softmax);
    w->Queue();
    return w->Promise();
  } catch (...) {
    RethrowAsJs(env, "predict");
  }
}

// predictSync(x, {softmax}) -> Float32Array, on the calling thread: for a few rows, where the
// thread-pool round trip would cost more than the forward pass. TS decides when.
Napi::Value TorchMlp::PredictSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    EnsureUsable("predictSync", false);
    bool softmax = true;
    auto x = PredictArgs(spec, info, &softmax);
    std::vector<float> out;
    try {
      Forward(*this, x.data, x.length, softmax, &out);
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

Napi::Value TorchMlp::Cancel(const Napi::CallbackInfo& info) {
  cancelRequested = true;
  return info.Env().Undefined();
}

// Named float tensors (parameters, then running statistics), copied out for saving.
Napi::Value TorchMlp::StateDict(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    EnsureUsable("stateDict", false);
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
    for (auto& p : net->named_parameters(true)) add(p.key(), p.value());
    for (auto& b : net->named_buffers(true)) add(b.key(), b.value());
    return out;
  } catch (...) {
    RethrowAsJs(env, "stateDict");
  }
}

// loadStateDict([{name, shape, data}]) copies weights in after checking every name and shape.
Napi::Value TorchMlp::LoadStateDict(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    EnsureUsable("loadStateDict", true);
    if (!info[0].IsArray()) throw EngineError("E_ARG", "loadStateDict expects an array of {name, shape, data}");
    auto arr = info[0].As<Napi::Array>();
    std::map<std::string, torch::Tensor> targets;
    for (auto& p : net->named_parameters(true)) targets[p.key()] = p.value();
    for (auto& b : net->named_buffers(true))
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
    net->eval();
    return env.Undefined();
  } catch (...) {
    RethrowAsJs(env, "loadStateDict");
  }
}

Napi::Value TorchMlp::Dispose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    if (disposed) return env.Undefined();
    EnsureUsable("dispose", true);
    disposed = true;
    net = torch::nn::Sequential(nullptr);
    return env.Undefined();
  } catch (...) {
    RethrowAsJs(env, "dispose");
  }
}

Napi::Value TorchMlp::GetNumParameters(const Napi::CallbackInfo& info) {
  if (disposed) return Napi::Number::New(info.Env(), 0);
  int64_t count = 0;
  for (auto& p : net->parameters()) count += p.numel();
  return Napi::Number::New(info.Env(), static_cast<double>(count));
}

Napi::Function TorchMlp::Define(Napi::Env env) {
  return DefineClass(env, "TorchMlp",
                     {InstanceMethod<&TorchMlp::Fit>("fit"), InstanceMethod<&TorchMlp::Predict>("predict"),
                      InstanceMethod<&TorchMlp::PredictSync>("predictSync"),
                      InstanceMethod<&TorchMlp::Cancel>("cancel"), InstanceMethod<&TorchMlp::StateDict>("stateDict"),
                      InstanceMethod<&TorchMlp::LoadStateDict>("loadStateDict"),
                      InstanceMethod<&TorchMlp::Dispose>("dispose"),
                      InstanceAccessor<&TorchMlp::GetDisposed>("disposed"),
                      InstanceAccessor<&TorchMlp::GetNumParameters>("numParameters")});
}

}  // namespace

void InitTorchMlp(Napi::Env env, Napi::Object exports) {
  exports.Set("TorchMlp", TorchMlp::Define(env));
}

}  // namespace lepton
