// The "bert" TorchNet layer: a BERT encoder (Hugging Face BertModel's layout and parameter
// names) over token ids, ending in the pooled [CLS] vector; optionally with LoRA adapters.
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <vector>

namespace lepton {

// Builds a bert layer from its spec object; `shape` goes from token ids [seqLen] to [hidden].
// Throws EngineError (E_ARG) naming the bad field.
torch::nn::AnyModule MakeBertLayer(const Napi::Object& spec, std::vector<int64_t>* shape);

}  // namespace lepton
