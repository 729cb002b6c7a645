#pragma once
#include <napi.h>

namespace lepton {
// Registers stateless tensor operations (nearest neighbours, …) on `exports`.
void InitTorchOps(Napi::Env env, Napi::Object exports);
}  // namespace lepton
