#pragma once
#include <napi.h>

namespace lepton {
// Registers k-means clustering (k-means++ seeding, Lloyd iterations) and the silhouette score
// on `exports`. Both run on a libuv worker thread and return Promises.
void InitTorchKmeans(Napi::Env env, Napi::Object exports);
}  // namespace lepton
