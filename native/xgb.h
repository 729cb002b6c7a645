#pragma once
#include <napi.h>

namespace lepton {
// Registers the XgbModel class (gradient-boosted trees through XGBoost's C API) on `exports`.
void InitXgb(Napi::Env env, Napi::Object exports);
}  // namespace lepton
