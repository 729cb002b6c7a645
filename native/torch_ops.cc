// Stateless tensor operations on libtorch that data preparation and fitting need (SMOTE's
// neighbour search, the inverse behind EASE's item weights). Synchronous: callers use them on
// training splits, not on request paths.
#include "torch_ops.h"

#include <torch/torch.h>

#include <malloc.h>

#include <cstring>

#include "common.h"

namespace lepton {
namespace {

// nearestNeighbors(x: Float32Array, dim, k) -> Int32Array of n * k row indices: for each row its
// k nearest other rows by Euclidean distance, nearest first. Query rows go in chunks so memory
// stays at chunk × n distances.
Napi::Value NearestNeighbors(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    if (info.Length() < 3 || !info[1].IsNumber() || !info[2].IsNumber())
      throw EngineError("E_ARG", "nearestNeighbors(x, dim, k): dim and k must be numbers");
    const int64_t d = info[1].As<Napi::Number>().Int64Value();
    const int64_t k = info[2].As<Napi::Number>().Int64Value();
    if (d < 1) throw EngineError("E_ARG", "dim must be at least 1");
    auto x = HoldTypedArray<float>(info[0], napi_float32_array, "x", SIZE_MAX);
    if (x.length % static_cast<size_t>(d) != 0)
      throw EngineError("E_ARG", "x has " + std::to_string(x.length) + " elements, not a multiple of dim " + std::to_string(d));
    const int64_t n = static_cast<int64_t>(x.length) / d;
    if (k < 1 || k >= n) throw EngineError("E_ARG", "k must be in [1, " + std::to_string(n - 1) + "] for " + std::to_string(n) + " rows");
    torch::NoGradGuard ng;
    auto X = torch::from_blob(x.data, {n, d}, torch::kFloat32);
    auto out = Napi::Int32Array::New(env, static_cast<size_t>(n * k));
    const int64_t chunk = 1024;
    for (int64_t b = 0; b < n; b += chunk) {
      const int64_t e = std::min(n, b + chunk);
      auto dist = torch::cdist(X.slice(0, b, e), X);
      // A row is not its own neighbour.
      auto self = torch::arange(b, e, torch::kLong);
      dist.index_put_({torch::arange(0, e - b, torch::kLong), self}, std::numeric_limits<float>::infinity());
      auto idx = std::get<1>(dist.topk(k, 1, /*largest=*/false, /*sorted=*/true)).to(torch::kInt32).contiguous();
      std::memcpy(out.Data() + b * k, idx.data_ptr<int32_t>(), static_cast<size_t>((e - b) * k) * sizeof(int32_t));
    }
    return out;
  } catch (const c10::Error& e) {
    throw MakeError(env, "E_TORCH", std::string("nearestNeighbors: ") + e.what_without_backtrace());
  } catch (...) {
    RethrowAsJs(env, "nearestNeighbors");
  }
}

// inverse(a: Float64Array, n) -> Float64Array: the inverse of the n × n matrix a (row-major), in
// double precision (ridge systems such as EASE's item-item weights are ill-conditioned in float).
Napi::Value Inverse(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    if (info.Length() < 2 || !info[1].IsNumber()) throw EngineError("E_ARG", "inverse(a, n): n must be a number");
    const int64_t n = info[1].As<Napi::Number>().Int64Value();
    if (n < 1) throw EngineError("E_ARG", "n must be at least 1");
    auto a = HoldTypedArray<double>(info[0], napi_float64_array, "a", SIZE_MAX);
    if (a.length != static_cast<size_t>(n * n))
      throw EngineError("E_ARG", "a has " + std::to_string(a.length) + " elements, not n × n = " + std::to_string(n * n));
    torch::NoGradGuard ng;
    auto inv = torch::linalg_inv(torch::from_blob(a.data, {n, n}, torch::kFloat64)).contiguous();
    auto out = Napi::Float64Array::New(env, static_cast<size_t>(n * n));
    std::memcpy(out.Data(), inv.data_ptr<double>(), static_cast<size_t>(n * n) * sizeof(double));
    return out;
  } catch (const c10::Error& e) {
    throw MakeError(env, "E_TORCH", std::string("inverse: ") + e.what_without_backtrace());
  } catch (...) {
    RethrowAsJs(env, "inverse");
  }
}

// trimMemory(): hands the free memory of every glibc malloc arena back to the OS (malloc_trim),
// so that resident memory reflects what is in use (memory measurements, idle servers).
Napi::Value TrimMemory(const Napi::CallbackInfo& info) {
  malloc_trim(0);
  return info.Env().Undefined();
}

}  // namespace

void InitTorchOps(Napi::Env env, Napi::Object exports) {
  exports.Set("nearestNeighbors", Napi::Function::New(env, NearestNeighbors, "nearestNeighbors"));
  exports.Set("inverse", Napi::Function::New(env, Inverse, "inverse"));
  exports.Set("trimMemory", Napi::Function::New(env, TrimMemory, "trimMemory"));
}

}  // namespace lepton
