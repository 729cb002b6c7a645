// MLP (logistic regression = no hidden layers) on the libtorch C++ frontend. This file builds
// the network from its spec; fit, predict, cancel, state dicts and dispose are the model core
// shared with TorchNet (torch_net.h), which also holds the process-wide RNG lock.
#include "torch_mlp.h"

#include <torch/torch.h>

#include <limits>
#include <mutex>

#include "common.h"
#include "torch_net.h"

namespace lepton {
namespace {

struct MlpSpec {
  int64_t inputDim = 0;
  int64_t outputDim = 0;
  std::vector<int64_t> hidden;
  std::string activation = "relu";
  double dropout = 0;
  bool batchNorm = false;
  int64_t seed = 0;
};

MlpSpec ParseSpec(const Napi::Value& v) {
  Napi::Object o = GetObject(v, "spec");
  MlpSpec s;
  s.inputDim = GetInt(o, "inputDim", -1, 1, 1 << 24);
  s.outputDim = GetInt(o, "outputDim", -1, 1, 1 << 20);
  Napi::Value h = o.Get("hidden");
  if (!h.IsUndefined()) {
    if (!h.IsArray()) throw EngineError("E_ARG", "spec.hidden must be an array of layer widths");
    auto arr = h.As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); i++) {
      Napi::Value w = arr.Get(i);
      if (!w.IsNumber() || w.As<Napi::Number>().Int64Value() < 1)
        throw EngineError("E_ARG", "spec.hidden[" + std::to_string(i) + "] must be a positive integer");
      s.hidden.push_back(w.As<Napi::Number>().Int64Value());
    }
  }
  s.activation = GetString(o, "activation", "relu");
  if (s.activation != "relu" && s.activation != "gelu" && s.activation != "tanh" && s.activation != "silu")
    throw EngineError("E_ARG", "spec.activation must be one of relu, gelu, tanh, silu (got '" + s.activation + "')");
  s.dropout = GetNumber(o, "dropout", 0);
  if (s.dropout < 0 || s.dropout >= 1) throw EngineError("E_ARG", "spec.dropout must be in [0, 1)");
  s.batchNorm = GetBool(o, "batchNorm", false);
  s.seed = GetInt(o, "seed", 0, 0, std::numeric_limits<int32_t>::max());
  return s;
}

torchmodel::SequentialNet BuildNet(const MlpSpec& s) {
  torchmodel::SequentialNet seq;
  int64_t in = s.inputDim;
  for (int64_t width : s.hidden) {
    seq->push_back(torch::nn::Linear(in, width));
    if (s.batchNorm) seq->push_back(torch::nn::BatchNorm1d(width));
    if (s.activation == "relu") seq->push_back(torch::nn::ReLU());
    else if (s.activation == "gelu") seq->push_back(torch::nn::GELU());
    else if (s.activation == "tanh") seq->push_back(torch::nn::Tanh());
    else seq->push_back(torch::nn::SiLU());
    if (s.dropout > 0) seq->push_back(torch::nn::Dropout(s.dropout));
    in = width;
  }
  seq->push_back(torch::nn::Linear(in, s.outputDim));
  return seq;
}

class TorchMlp : public torchmodel::ModelWrap<TorchMlp> {
 public:
  static Napi::Function Define(Napi::Env env) { return DefineModel(env, "TorchMlp"); }

  explicit TorchMlp(const Napi::CallbackInfo& info) : ModelWrap(info) {
    try {
      MlpSpec spec = ParseSpec(info[0]);
      std::lock_guard<std::mutex> lock(torchmodel::RngMutex());
      torch::manual_seed(spec.seed);
      core_.net = torch::nn::AnyModule(BuildNet(spec));
      core_.inputShape = {spec.inputDim};
      core_.rowSize = spec.inputDim;
      core_.outputDim = spec.outputDim;
      core_.rowWhat = "inputDim " + std::to_string(spec.inputDim);
      core_.batchNorm = spec.batchNorm;
      core_.evalRows = 8192;
    } catch (...) {
      std::string code, msg;
      torchmodel::DescribeTorchException("TorchMlp", &code, &msg);
      throw MakeError(info.Env(), code, msg);
    }
  }
};

}  // namespace

void InitTorchMlp(Napi::Env env, Napi::Object exports) {
  exports.Set("TorchMlp", TorchMlp::Define(env));
}

}  // namespace lepton
