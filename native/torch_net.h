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

namespace lepton {

// Registers the TorchNet class (convolutional, dense and sequence layers from a layer spec) on `exports`.
void InitTorchNet(Napi::Env env, Napi::Object exports);

namespace torchmodel {

// libtorch's default generator and thread count are process-global: seeding, building and
// training hold this lock so that a seed gives the same weights and dropout masks whatever else
// runs. Parallel trials use processes.
std::mutex& RngMutex();

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
