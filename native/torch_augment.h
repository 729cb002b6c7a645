#pragma once
#include <napi.h>

namespace lepton {
// Registers seeded image augmentation (flips, padded crops, rotation, brightness, contrast, noise).
void InitTorchAugment(Napi::Env env, Napi::Object exports);
}  // namespace lepton
