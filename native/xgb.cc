// Gradient-boosted trees through XGBoost's C API. Training loops over boosting rounds on a
// worker thread, evaluates the validation set each round, stops early and slices the booster
// back to its best iteration. Parameters arrive as strings: XGBoost's own vocabulary.
#include "xgb.h"

#include <xgboost/c_api.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>

#include "common.h"
#include "omp_thread.h"

namespace lepton {
namespace {

void Check(int rc, const char* what) {
  if (rc != 0) throw EngineError("E_XGB", std::string(what) + ": " + XGBGetLastError());
}

struct DMatrix {
  DMatrixHandle h = nullptr;
  DMatrix(const float* x, size_t n, size_t d, const float* y) {
    // NaN marks a missing value; XGBoost learns a default direction for it.
    Check(XGDMatrixCreateFromMat(x, n, d, std::nanf(""), &h), "XGDMatrixCreateFromMat");
    if (y) Check(XGDMatrixSetFloatInfo(h, "label", y, n), "XGDMatrixSetFloatInfo(label)");
  }
  ~DMatrix() {
    if (h) XGDMatrixFree(h);
  }
  DMatrix(const DMatrix&) = delete;
  DMatrix& operator=(const DMatrix&) = delete;
};

struct RoundReport {
  int64_t round;
  double valScore;
  double seconds;
};

class XgbModel : public Napi::ObjectWrap<XgbModel> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit XgbModel(const Napi::CallbackInfo& info);
  ~XgbModel() override { Free(); }

  BoosterHandle booster = nullptr;
  int64_t numFeatures = 0;
  std::atomic<bool> training{false};
  std::atomic<int> predicting{0};
  std::atomic<bool> cancelRequested{false};
  bool disposed = false;

  void Free() {
    if (booster) XGBoosterFree(booster);
    booster = nullptr;
  }
  void EnsureUsable(const char* where, bool forWrite, bool needTrained) {
    if (disposed) throw EngineError("E_DISPOSED", "model was disposed");
    if (training) throw EngineError("E_BUSY", "model is training; await fit() first");
    if (forWrite && predicting > 0)
      throw EngineError("E_BUSY", "predictions are in flight; await them first");
    if (needTrained && !booster) throw EngineError("E_ARG", "model has not been trained or loaded");
  }

 private:
  Napi::Value Fit(const Napi::CallbackInfo& info);
  Napi::Value Predict(const Napi::CallbackInfo& info);
  Napi::Value PredictSync(const Napi::CallbackInfo& info);
  Napi::Value Save(const Napi::CallbackInfo& info);
  Napi::Value Cancel(const Napi::CallbackInfo& info) {
    cancelRequested = true;
    return info.Env().Undefined();
  }
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value GetDisposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), disposed); }
  Napi::Value GetNumFeatures(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(numFeatures));
  }
};

// new XgbModel() is empty; new XgbModel(buffer) loads a model saved by save() (UBJSON or JSON).
XgbModel::XgbModel(const Napi::CallbackInfo& info) : Napi::ObjectWrap<XgbModel>(info) {
  Napi::Env env = info.Env();
  try {
    if (info.Length() > 0 && !info[0].IsUndefined()) {
      if (!info[0].IsBuffer()) throw EngineError("E_ARG", "XgbModel(buffer): buffer must be a Buffer/Uint8Array");
      auto buf = info[0].As<Napi::Buffer<uint8_t>>();
      bst_ulong nf = 0;
      // XGBoost loads the trees in parallel: on its thread, or on one thread here.
      OmpThread::RunIfIdle([&] {
        Check(XGBoosterCreate(nullptr, 0, &booster), "XGBoosterCreate");
        Check(XGBoosterLoadModelFromBuffer(booster, buf.Data(), buf.Length()), "XGBoosterLoadModelFromBuffer");
        Check(XGBoosterGetNumFeature(booster, &nf), "XGBoosterGetNumFeature");
      });
      numFeatures = static_cast<int64_t>(nf);
    }
  } catch (...) {
    Free();
    RethrowAsJs(env, "XgbModel");
  }
}

struct XgbFitOptions {
  std::vector<std::pair<std::string, std::string>> params;
  int64_t rounds = 100;
  int64_t earlyStoppingRounds = 0;
  bool maximize = false;
};

class XgbFitWorker : public PromiseWorker<Napi::AsyncProgressQueueWorker<RoundReport>> {
 public:
  XgbFitWorker(Napi::Env env, XgbModel* model, Napi::Object self, XgbFitOptions opts, size_t d, HeldArray<float> x,
               HeldArray<float> y, HeldArray<float> w, HeldArray<float> xVal, HeldArray<float> yVal, Napi::Function onRound)
      : PromiseWorker(env, "lepton:xgb-fit", self),
        model_(model),
        opts_(std::move(opts)),
        d_(d),
        x_(std::move(x)),
        y_(std::move(y)),
        w_(std::move(w)),
        xVal_(std::move(xVal)),
        yVal_(std::move(yVal)) {
    if (!onRound.IsEmpty()) onRound_ = Napi::Persistent(onRound);
  }
  ~XgbFitWorker() override {
    if (result_) XGBoosterFree(result_);  // only when the booster was not handed to the model
  }

  void Execute(const ExecutionProgress& progress) override {
    OmpThread::Run([&] { Fit(progress); });
  }

  void Fit(const ExecutionProgress& progress) {
    BoosterHandle b = nullptr;
    try {
      const size_t n = x_.length / d_, nVal = xVal_.length / d_;
      DMatrix train(x_.data, n, d_, y_.data);
      if (w_.present()) Check(XGDMatrixSetFloatInfo(train.h, "weight", w_.data, n), "XGDMatrixSetFloatInfo(weight)");
      std::unique_ptr<DMatrix> val;
      if (nVal > 0) val = std::make_unique<DMatrix>(xVal_.data, nVal, d_, yVal_.data);
      DMatrixHandle cache[2] = {train.h, val ? val->h : nullptr};
      Check(XGBoosterCreate(cache, val ? 2 : 1, &b), "XGBoosterCreate");
      for (auto& kv : opts_.params)
        Check(XGBoosterSetParam(b, kv.first.c_str(), kv.second.c_str()), ("parameter '" + kv.first + "'").c_str());
      bestScore_ = opts_.maximize ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
      stopReason_ = "max_rounds";
      const auto start = std::chrono::steady_clock::now();
      for (int64_t i = 0; i < opts_.rounds; i++) {
        if (model_->cancelRequested) {
          stopReason_ = "cancelled";
          break;
        }
        Check(XGBoosterUpdateOneIter(b, static_cast<int>(i), train.h), "XGBoosterUpdateOneIter");
        rounds_ = i + 1;
        double score = std::nan("");
        if (val) {
          const char* names[1] = {"valid"};
          const char* out = nullptr;
          Check(XGBoosterEvalOneIter(b, static_cast<int>(i), &val->h, names, 1, &out), "XGBoosterEvalOneIter");
          // "[3]\tvalid-logloss:0.52\tvalid-auc:0.81": the last metric drives early stopping,
          // as in XGBoost's Python package.
          const char* colon = std::strrchr(out, ':');
          if (colon) score = std::strtod(colon + 1, nullptr);
        }
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        RoundReport report{i + 1, score, secs};
        progress.Send(&report, 1);
        if (!val) continue;
        bool better = opts_.maximize ? score > bestScore_ : score < bestScore_;
        if (better) {
          bestScore_ = score;
          bestIteration_ = i;
        } else if (opts_.earlyStoppingRounds > 0 && i - bestIteration_ >= opts_.earlyStoppingRounds) {
          stopReason_ = "early_stopping";
          break;
        }
      }
      if (val && bestIteration_ + 1 < rounds_) {
        BoosterHandle sliced = nullptr;
        Check(XGBoosterSlice(b, 0, static_cast<int>(bestIteration_ + 1), 1, &sliced), "XGBoosterSlice");
        XGBoosterFree(b);
        b = sliced;
      }
    } catch (...) {
      if (b) XGBoosterFree(b);
      b = nullptr;
      DescribeCurrentException("fit", &errCode_, &errMsg_);
    }
    result_ = b;
  }

  void OnProgress(const RoundReport* data, size_t count) override {
    if (onRound_.IsEmpty()) return;
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    for (size_t i = 0; i < count; i++) {
      Napi::Object r = Napi::Object::New(env);
      r.Set("round", static_cast<double>(data[i].round));
      r.Set("valScore", std::isnan(data[i].valScore) ? env.Null() : Napi::Number::New(env, data[i].valScore));
      r.Set("seconds", data[i].seconds);
      try {
        onRound_.Call({r});
      } catch (const Napi::Error&) {
      }
    }
  }

  void Settle() override { model_->training = false; }

  Napi::Value Result(Napi::Env env) override {
    model_->Free();
    model_->booster = result_;
    result_ = nullptr;
    model_->numFeatures = static_cast<int64_t>(d_);
    Napi::Object r = Napi::Object::New(env);
    r.Set("rounds", static_cast<double>(rounds_));
    r.Set("bestIteration", static_cast<double>(bestIteration_));
    r.Set("bestScore", std::isfinite(bestScore_) ? Napi::Number::New(env, bestScore_) : env.Null());
    r.Set("stopReason", stopReason_);
    return r;
  }

 private:
  XgbModel* model_;
  XgbFitOptions opts_;
  size_t d_;
  HeldArray<float> x_, y_, w_, xVal_, yVal_;
  Napi::FunctionReference onRound_;
  BoosterHandle result_ = nullptr;
  std::string stopReason_;
  int64_t rounds_ = 0, bestIteration_ = 0;
  double bestScore_ = 0;
};

// fit({x, y, weight?, xVal?, yVal?, numFeatures}, {params, rounds, earlyStoppingRounds, maximize}, onRound?)
Napi::Value XgbModel::Fit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    EnsureUsable("fit", true, false);
    Napi::Object data = GetObject(info[0], "fit data");
    Napi::Object o = GetObject(info[1], "fit options");
    const size_t d = static_cast<size_t>(GetInt(data, "numFeatures", -1, 1, 1 << 24));
    auto x = HoldTypedArray<float>(data.Get("x"), napi_float32_array, "x", SIZE_MAX);
    if (x.length == 0 || x.length % d != 0)
      throw EngineError("E_ARG", "x has " + std::to_string(x.length) + " elements, not a non-empty multiple of numFeatures " +
                                     std::to_string(d));
    const size_t n = x.length / d;
    auto y = HoldTypedArray<float>(data.Get("y"), napi_float32_array, "y", n);
    auto w = HoldTypedArray<float>(data.Get("weight"), napi_float32_array, "weight", n, true);
    auto xVal = HoldTypedArray<float>(data.Get("xVal"), napi_float32_array, "xVal", SIZE_MAX, true);
    if (xVal.length % d != 0)
      throw EngineError("E_ARG", "xVal has " + std::to_string(xVal.length) + " elements, not a multiple of numFeatures " +
                                     std::to_string(d));
    HeldArray<float> yVal;
    if (xVal.length > 0) yVal = HoldTypedArray<float>(data.Get("yVal"), napi_float32_array, "yVal", xVal.length / d);
    XgbFitOptions opts;
    opts.rounds = GetInt(o, "rounds", 100, 1, 1000000);
    opts.earlyStoppingRounds = GetInt(o, "earlyStoppingRounds", 0, 0, 1000000);
    opts.maximize = GetBool(o, "maximize", false);
    Napi::Value p = o.Get("params");
    if (!p.IsUndefined()) {
      Napi::Object po = GetObject(p, "option 'params'");
      Napi::Array keys = po.GetPropertyNames();
      for (uint32_t i = 0; i < keys.Length(); i++) {
        std::string k = keys.Get(i).As<Napi::String>().Utf8Value();
        Napi::Value v = po.Get(k);
        if (!v.IsString()) throw EngineError("E_ARG", "XGBoost parameter '" + k + "' must be passed as a string");
        opts.params.emplace_back(k, v.As<Napi::String>().Utf8Value());
      }
    }
    Napi::Function onRound;
    if (info.Length() > 2 && info[2].IsFunction()) onRound = info[2].As<Napi::Function>();
    cancelRequested = false;
    training = true;
    auto* worker = new XgbFitWorker(env, this, info.This().As<Napi::Object>(), std::move(opts), d, std::move(x),
                                    std::move(y), std::move(w), std::move(xVal), std::move(yVal), onRound);
    worker->Queue();
    return worker->Promise();
  } catch (...) {
    RethrowAsJs(env, "fit");
  }
}

// XGBoost keeps prediction buffers per thread, so concurrent calls on one booster are safe.
void PredictRows(const XgbModel& model, const float* x, size_t length, int type, std::vector<float>* out,
                 std::vector<double>* outShape) {
  const size_t d = static_cast<size_t>(model.numFeatures), n = length / d;
  DMatrix m(x, n, d, nullptr);
  std::string config = "{\"type\": " + std::to_string(type) +
                       ", \"training\": false, \"iteration_begin\": 0, \"iteration_end\": 0, \"strict_shape\": false}";
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* result = nullptr;
  Check(XGBoosterPredictFromDMatrix(model.booster, m.h, config.c_str(), &shape, &dim, &result), "XGBoosterPredictFromDMatrix");
  size_t total = 1;
  for (bst_ulong i = 0; i < dim; i++) {
    outShape->push_back(static_cast<double>(shape[i]));
    total *= static_cast<size_t>(shape[i]);
  }
  out->assign(result, result + total);
}

// {data: Float32Array, shape: number[]} for JS.
Napi::Object PredictionToJs(Napi::Env env, const std::vector<float>& out, const std::vector<double>& shape) {
  auto arr = Napi::Float32Array::New(env, out.size());
  std::memcpy(arr.Data(), out.data(), out.size() * sizeof(float));
  Napi::Array s = Napi::Array::New(env, shape.size());
  for (size_t i = 0; i < shape.size(); i++) s.Set(static_cast<uint32_t>(i), shape[i]);
  Napi::Object r = Napi::Object::New(env);
  r.Set("data", arr);
  r.Set("shape", s);
  return r;
}

class XgbPredictWorker : public PromiseWorker<Napi::AsyncWorker> {
 public:
  XgbPredictWorker(Napi::Env env, XgbModel* model, Napi::Object self, HeldArray<float> x, int type)
      : PromiseWorker(env, "lepton:xgb-predict", self), model_(model), x_(std::move(x)), type_(type) {}

  void Execute() override {
    try {
      OmpThread::RunIfIdle([&] { PredictRows(*model_, x_.data, x_.length, type_, &out_, &shape_); });
    } catch (...) {
      DescribeCurrentException("predict", &errCode_, &errMsg_);
    }
  }

  void Settle() override { model_->predicting--; }

  Napi::Value Result(Napi::Env env) override { return PredictionToJs(env, out_, shape_); }

 private:
  XgbModel* model_;
  HeldArray<float> x_;
  int type_;
  std::vector<float> out_;
  std::vector<double> shape_;
};

// Checks predict's arguments: features and the output type (0 value, 1 margin, 2 contribs).
static HeldArray<float> PredictArgs(const XgbModel& m, const Napi::CallbackInfo& info, int* type) {
  auto x = HoldTypedArray<float>(info[0], napi_float32_array, "x", SIZE_MAX);
  if (x.length == 0 || x.length % static_cast<size_t>(m.numFeatures) != 0)
    throw EngineError("E_ARG", "x has " + std::to_string(x.length) + " elements, not a non-empty multiple of the model's " +
                                   std::to_string(m.numFeatures) + " features");
  std::string output = "value";
  if (info.Length() > 1 && info[1].IsObject()) output = GetString(info[1].As<Napi::Object>(), "output", "value");
  *type = output == "value" ? 0 : output == "margin" ? 1 : output == "contribs" ? 2 : -1;
  if (*type < 0) throw EngineError("E_ARG", "option 'output' must be value, margin or contribs (got '" + output + "')");
  return x;
}

// predictSync(x, options) -> {data, shape} on the calling thread, for a few rows.
Napi::Value XgbModel::PredictSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    EnsureUsable("predictSync", false, true);
    int type = 0;
    auto x = PredictArgs(*this, info, &type);
    std::vector<float> out;
    std::vector<double> shape;
    OmpThread::RunIfIdle([&] { PredictRows(*this, x.data, x.length, type, &out, &shape); });
    return PredictionToJs(env, out, shape);
  } catch (...) {
    RethrowAsJs(env, "predictSync");
  }
}

// predict(x, {output: 'value'|'margin'|'contribs'}) -> Promise<{data, shape}>
Napi::Value XgbModel::Predict(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    EnsureUsable("predict", false, true);
    int type = 0;
    auto x = PredictArgs(*this, info, &type);
    predicting++;
    auto* w = new XgbPredictWorker(env, this, info.This().As<Napi::Object>(), std::move(x), type);
    w->Queue();
    return w->Promise();
  } catch (...) {
    RethrowAsJs(env, "predict");
  }
}

// save(format = 'ubj' | 'json') -> Buffer
Napi::Value XgbModel::Save(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    EnsureUsable("save", false, true);
    std::string format = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "ubj";
    if (format != "ubj" && format != "json") throw EngineError("E_ARG", "save format must be 'ubj' or 'json'");
    std::string config = "{\"format\": \"" + format + "\"}";
    std::string saved;
    // XGBoost writes the trees in parallel: on its thread, or on one thread here. The result
    // lives in the calling thread's XGBoost buffer, so it is copied out before returning.
    OmpThread::RunIfIdle([&] {
      bst_ulong len = 0;
      const char* buf = nullptr;
      Check(XGBoosterSaveModelToBuffer(booster, config.c_str(), &len, &buf), "XGBoosterSaveModelToBuffer");
      saved.assign(buf, len);
    });
    return Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<const uint8_t*>(saved.data()), saved.size());
  } catch (...) {
    RethrowAsJs(env, "save");
  }
}

Napi::Value XgbModel::Dispose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    if (disposed) return env.Undefined();
    EnsureUsable("dispose", true, false);
    disposed = true;
    Free();
    return env.Undefined();
  } catch (...) {
    RethrowAsJs(env, "dispose");
  }
}

Napi::Function XgbModel::Define(Napi::Env env) {
  return DefineClass(env, "XgbModel",
                     {InstanceMethod<&XgbModel::Fit>("fit"), InstanceMethod<&XgbModel::Predict>("predict"),
                      InstanceMethod<&XgbModel::PredictSync>("predictSync"),
                      InstanceMethod<&XgbModel::Save>("save"), InstanceMethod<&XgbModel::Cancel>("cancel"),
                      InstanceMethod<&XgbModel::Dispose>("dispose"),
                      InstanceAccessor<&XgbModel::GetDisposed>("disposed"),
                      InstanceAccessor<&XgbModel::GetNumFeatures>("numFeatures")});
}

}  // namespace

void InitXgb(Napi::Env env, Napi::Object exports) {
  exports.Set("XgbModel", XgbModel::Define(env));
}

}  // namespace lepton
