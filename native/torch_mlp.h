#pragma once
#include <napi.h>

namespace lepton {
// Registers the TorchMlp class (MLP / logistic regression on libtorch) on `exports`.
void InitTorchMlp(Napi::Env env, Napi::Object exports);
}  // namespace lepton
