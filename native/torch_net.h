// Generic libtorch networks built from a JSON layer spec (TorchNet), and the model core they
// train on: one fit / predict / state-dict implementation over any torch::nn::AnyModule whose
// forward maps a batch of rows (N × inputShape) to N × outputDim. A model class only builds its
// network and fills a torchmodel::Core; ModelWrap<Derived> gives it the whole JS surface.
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "common.h"

namespace lepton {

// Registers the TorchNet class (convolutional, dense and sequence layers from a layer spec) on `exports`.
void InitTorchNet(Napi::Env env, Napi::Object exports);

// Padding masks (see torch_net.cc): a layer that reads or sets the per-call sequence lengths
// (N, int64) implements ForwardSeq; the network's forward hands the same tensor to each of them.
struct SeqLayer {
  virtual ~SeqLayer() = default;
  virtual torch::Tensor ForwardSeq(const torch::Tensor& x, torch::Tensor* lengths) = 0;
};

// N × L bool, true at the steps past each row's length (the key-padding mask convention).
inline torch::Tensor PadMask(const torch::Tensor& lengths, int64_t L) {
  return torch::arange(L, torch::kLong).unsqueeze(0).ge(lengths.unsqueeze(1));
}

// N × L token ids held as floats -> int64, checked to be integers in [0, vocab); sets *lengths
// to one past each row's last non-pad id (at least 1). `layer` names the layer in errors.
inline torch::Tensor TokenIds(const torch::Tensor& x, int64_t vocab, int64_t pad, torch::Tensor* lengths, const char* layer) {
  auto ids = x.to(torch::kLong);
  if (ids.numel() > 0) {
    const int64_t lo = ids.min().item<int64_t>(), hi = ids.max().item<int64_t>();
    if (lo < 0 || hi >= vocab || !x.eq(ids.to(x.scalar_type())).all().item<bool>())
      throw EngineError("E_ARG", std::string(layer) + ": token ids must be integers in [0, " + std::to_string(vocab) + "), got " +
                                     std::to_string(lo < 0 ? lo : hi));
  }
  // One past the last non-pad step: the largest position weight where the id is not a pad.
  auto pos = torch::arange(1, ids.size(1) + 1, torch::kLong).unsqueeze(0);
  *lengths = (ids.ne(pad).to(torch::kLong) * pos).amax(1).clamp_min(1);
  return ids;
}

// Layer-spec readers: an integer in [min, 2^24] (`fallback` < 0: required), a probability in [0, 1) (default 0).
int64_t SpecInt(const Napi::Object& o, const char* key, int64_t fallback, int64_t min);
double SpecProb(const Napi::Object& o, const char* key);

namespace torchmodel {

// libtorch's default generator and thread count are process-global: seeding, building and
// training hold this lock so that a seed gives the same weights and dropout masks whatever else
// runs. Parallel trials use processes.
std::mutex& RngMutex();

// Sets libtorch's intra-op (OpenMP) threads and the BLAS library's, each on its own: Debian's
// libtorch multiplies matrices with OpenBLAS, whose pthread pool ignores at::set_num_threads and
// defaults to every core (one "single-threaded" trial beside busy processes then ran 20-30x
// slower, each small GEMM waiting on a descheduled BLAS thread), and the two pools spin against
// each other when both have more than one thread. Which pool gets the cores is policy, in TS.
// Call with RngMutex held.
void SetThreads(int intraOp, int blas);

// OpenBLAS's thread count (-1 when the BLAS is not OpenBLAS).
int BlasThreads();

// Converts the exception being handled into {code, message}; c10::Error loses its backtrace.
void DescribeTorchException(const std::string& where, std::string* code, std::string* msg);

// A Sequential with a concrete forward(Tensor) -> Tensor, so that it fits an AnyModule (the
// plain one's forward is a template). Parameter names stay "0.weight", "1.running_mean", ...
struct SequentialNetImpl : torch::nn::SequentialImpl {
  using SequentialImpl::SequentialImpl;
  torch::Tensor forward(torch::Tensor x) { return SequentialImpl::forward(std::move(x)); }
};
TORCH_MODULE(SequentialNet);

// A trainable network and the state its JS object needs. Not copyable (atomics).
struct Core {
  torch::nn::AnyModule net;         // forward(Tensor) -> Tensor; empty once disposed
  std::vector<int64_t> inputShape;  // one row, e.g. {10} or {1, 28, 28}
  int64_t rowSize = 0;              // values per row: the product of inputShape
  int64_t outputDim = 0;
  std::string rowWhat;              // how errors name the row size, e.g. "inputDim 10"
  bool batchNorm = false;           // a training batch of one sample is skipped
  int64_t evalRows = 8192;          // rows per forward pass in predict and validation

  std::atomic<bool> training{false};
  std::atomic<int> predicting{0};
  std::atomic<bool> cancelRequested{false};
  bool disposed = false;

  torch::nn::Module& module() const { return *net.ptr(); }
  void EnsureUsable(bool forWrite) const;
};

// The JS methods, each over one Core (info.This() is the model's JS object).
Napi::Value Fit(Core& core, const Napi::CallbackInfo& info);
Napi::Value Predict(Core& core, const Napi::CallbackInfo& info);
Napi::Value PredictSync(Core& core, const Napi::CallbackInfo& info);
Napi::Value StateDict(Core& core, const Napi::CallbackInfo& info);
Napi::Value LoadStateDict(Core& core, const Napi::CallbackInfo& info);
Napi::Value Dispose(Core& core, const Napi::CallbackInfo& info);
Napi::Value NumParameters(const Core& core, const Napi::CallbackInfo& info);

// fit, predict, predictSync, cancel, stateDict, loadStateDict, dispose, disposed and
// numParameters for a model class that fills core_ in its constructor.
template <typename Derived>
class ModelWrap : public Napi::ObjectWrap<Derived> {
 public:
  explicit ModelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Derived>(info) {}

 protected:
  using Wrap = Napi::ObjectWrap<Derived>;

  static Napi::Function DefineModel(Napi::Env env, const char* name) {
    return Wrap::DefineClass(env, name,
                             {Wrap::InstanceMethod("fit", &ModelWrap::JsFit),
                              Wrap::InstanceMethod("predict", &ModelWrap::JsPredict),
                              Wrap::InstanceMethod("predictSync", &ModelWrap::JsPredictSync),
                              Wrap::InstanceMethod("cancel", &ModelWrap::JsCancel),
                              Wrap::InstanceMethod("stateDict", &ModelWrap::JsStateDict),
                              Wrap::InstanceMethod("loadStateDict", &ModelWrap::JsLoadStateDict),
                              Wrap::InstanceMethod("dispose", &ModelWrap::JsDispose),
                              Wrap::InstanceAccessor("disposed", &ModelWrap::JsDisposed, nullptr),
                              Wrap::InstanceAccessor("numParameters", &ModelWrap::JsNumParameters, nullptr)});
  }

  Core core_;

 private:
  Napi::Value JsFit(const Napi::CallbackInfo& info) { return Fit(core_, info); }
  Napi::Value JsPredict(const Napi::CallbackInfo& info) { return Predict(core_, info); }
  Napi::Value JsPredictSync(const Napi::CallbackInfo& info) { return PredictSync(core_, info); }
  Napi::Value JsCancel(const Napi::CallbackInfo& info) {
    core_.cancelRequested = true;
    return info.Env().Undefined();
  }
  Napi::Value JsStateDict(const Napi::CallbackInfo& info) { return StateDict(core_, info); }
  Napi::Value JsLoadStateDict(const Napi::CallbackInfo& info) { return LoadStateDict(core_, info); }
  Napi::Value JsDispose(const Napi::CallbackInfo& info) { return Dispose(core_, info); }
  Napi::Value JsDisposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), core_.disposed); }
  Napi::Value JsNumParameters(const Napi::CallbackInfo& info) { return NumParameters(core_, info); }
};

}  // namespace torchmodel
}  // namespace lepton
