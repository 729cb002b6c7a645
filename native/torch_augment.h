#pragma once
#include <napi.h>

#include <ATen/core/Generator.h>
#include <torch/torch.h>

#include <string>

namespace lepton {
// Registers seeded image augmentation (flips, padded crops, rotation, brightness, contrast, noise).
void InitTorchAugment(Napi::Env env, Napi::Object exports);

// Which augmentations apply and how strongly; every field off (0) by default.
struct AugmentOptions {
  double hflip = 0, vflip = 0;
  int64_t cropPadding = 0;
  std::string cropPaddingMode = "zeros";
  double rotateDegrees = 0, brightness = 0, contrast = 0, noiseStd = 0;
};

// Reads and checks the options object for images of h × w (errors name the option).
AugmentOptions ParseAugmentOptions(const Napi::Object& o, int64_t h, int64_t w);

// One augmented copy of an NCHW float batch; every random draw comes from `gen`.
torch::Tensor AugmentBatch(const torch::Tensor& batch, const AugmentOptions& o, at::Generator& gen);
}  // namespace lepton
