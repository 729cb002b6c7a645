// The N-API surface of Lepton's engine: registers one class per engine and a few functions.
// All policy (loops around fit, metrics, I/O, formats) lives in TypeScript (src/engine/).
#include <napi.h>
#include <torch/torch.h>
#include <xgboost/c_api.h>

#include "common.h"
#include "torch_augment.h"
#include "torch_kmeans.h"
#include "torch_mlp.h"
#include "torch_net.h"
#include "torch_ops.h"
#include "xgb.h"

namespace {

Napi::Value Versions(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int major = 0, minor = 0, patch = 0;
  XGBoostVersion(&major, &minor, &patch);
  Napi::Object v = Napi::Object::New(env);
  v.Set("torch", TORCH_VERSION);
  v.Set("xgboost", std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch));
  v.Set("torchThreads", at::get_num_threads());
  // null when the BLAS is not OpenBLAS; otherwise the pool the last fit sized (every core before one).
  const int blas = lepton::torchmodel::BlasThreads();
  v.Set("blasThreads", blas < 0 ? env.Null() : Napi::Number::New(env, blas));
  return v;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  lepton::InitTorchMlp(env, exports);
  lepton::InitTorchNet(env, exports);
  lepton::InitXgb(env, exports);
  lepton::InitTorchOps(env, exports);
  lepton::InitTorchAugment(env, exports);
  lepton::InitTorchKmeans(env, exports);
  exports.Set("versions", Napi::Function::New(env, Versions, "versions"));
  return exports;
}

}  // namespace

NODE_API_MODULE(lepton_engine, Init)
