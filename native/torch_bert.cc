// The "bert" TorchNet layer. Modules and parameters are laid out and named exactly as Hugging
// Face's BertModel ("embeddings.word_embeddings.weight", "encoder.layer.0.attention.self.query.weight",
// "pooler.dense.bias", ...), so a checkpoint's tensors load by name. The forward pass follows
// BertModel's eager path operation by operation (additions in the same order, erf GELU, the
// attention mask added as (1 - mask) · float32 min), so the logits match PyTorch on the same
// weights: bit for bit against a float32 eager forward in test/models/bert.test.ts.
//
// LoRA (Hu et al. 2021, as PEFT implements it): a targeted linear map gains lora_A (r × in,
// Kaiming-uniform with a = √5) and lora_B (out × r, zeros), y = W x + b + (alpha / r) · B A drop(x).
// Targets are 'query', 'key', 'value' and 'dense' (attention output, intermediate, output and
// pooler: every module PEFT's suffix match on "dense" would pick).
// With adapters on, every base parameter of the layer has requires_grad = false, so the fit's
// optimizer (built over trainable parameters) only moves the adapters and the layers after this one.
#include "torch_bert.h"

#include <cmath>
#include <limits>
#include <set>
#include <string>

#include "common.h"
#include "torch_net.h"

namespace lepton {
namespace {

struct Lora {
  int64_t r = 0;
  double alpha = 0, dropout = 0;
  std::set<std::string> targets;
  bool On(const std::string& name) const { return r > 0 && targets.count(name) > 0; }
};

struct LoraLinearImpl : torch::nn::Module {
  LoraLinearImpl(int64_t in, int64_t out, int64_t r, double alpha, double p) : p(p) {
    // HF's initialisation (normal, std 0.02; zero bias); a checkpoint overwrites both.
    weight = register_parameter("weight", torch::randn({out, in}) * 0.02);
    bias = register_parameter("bias", torch::zeros({out}));
    if (r > 0) {
      lora_A = register_parameter("lora_A", torch::empty({r, in}));
      torch::nn::init::kaiming_uniform_(lora_A, std::sqrt(5.0));
      lora_B = register_parameter("lora_B", torch::zeros({out, r}));
      scaling = alpha / static_cast<double>(r);
    }
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto y = torch::linear(x, weight, bias);
    if (!lora_A.defined()) return y;
    auto h = p > 0 ? torch::dropout(x, p, is_training()) : x;
    return y + torch::linear(torch::linear(h, lora_A), lora_B) * scaling;
  }
  torch::Tensor weight, bias, lora_A, lora_B;
  double scaling = 0, p;
};
TORCH_MODULE(LoraLinear);

LoraLinear Dense(int64_t in, int64_t out, const Lora& lora, const std::string& name) {
  return lora.On(name) ? LoraLinear(in, out, lora.r, lora.alpha, lora.dropout) : LoraLinear(in, out, 0, 0, 0);
}

torch::nn::LayerNorm Norm(int64_t dim, double eps) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(eps));
}

struct BertConfig {
  int64_t vocab, hidden, layers, heads, intermediate, maxPositions, typeVocab, padIndex;
  double eps, dropout;
};

torch::nn::Embedding Table(int64_t rows, int64_t dim, int64_t pad = -1) {
  auto o = torch::nn::EmbeddingOptions(rows, dim);
  if (pad >= 0) o.padding_idx(pad);
  torch::nn::Embedding e(o);
  torch::NoGradGuard ng;
  e->weight.normal_(0, 0.02);
  if (pad >= 0) e->weight[pad].zero_();
  return e;
}

struct EmbeddingsImpl : torch::nn::Module {
  explicit EmbeddingsImpl(const BertConfig& c)
      : word(register_module("word_embeddings", Table(c.vocab, c.hidden, c.padIndex))),
        position(register_module("position_embeddings", Table(c.maxPositions, c.hidden))),
        tokenType(register_module("token_type_embeddings", Table(c.typeVocab, c.hidden))),
        norm(register_module("LayerNorm", Norm(c.hidden, c.eps))),
        p(c.dropout) {}
  torch::Tensor forward(const torch::Tensor& ids) {
    // Token type 0 and positions 0..L-1 for every row, as BertModel uses when given neither.
    auto positions = torch::arange(ids.size(1), torch::kLong).unsqueeze(0);
    auto e = word(ids) + tokenType(torch::zeros_like(ids));
    e = e + position(positions);
    return torch::dropout(norm(e), p, is_training());
  }
  torch::nn::Embedding word, position, tokenType;
  torch::nn::LayerNorm norm;
  double p;
};
TORCH_MODULE(Embeddings);

struct SelfAttentionImpl : torch::nn::Module {
  SelfAttentionImpl(const BertConfig& c, const Lora& lora)
      : query(register_module("query", Dense(c.hidden, c.hidden, lora, "query"))),
        key(register_module("key", Dense(c.hidden, c.hidden, lora, "key"))),
        value(register_module("value", Dense(c.hidden, c.hidden, lora, "value"))),
        heads(c.heads),
        p(c.dropout) {}
  // h: N × L × D; mask: N × 1 × 1 × L, 0 for tokens and float32 min for padding.
  torch::Tensor forward(const torch::Tensor& h, const torch::Tensor& mask) {
    const int64_t N = h.size(0), L = h.size(1), D = h.size(2), d = D / heads;
    auto split = [&](const torch::Tensor& t) { return t.view({N, L, heads, d}).permute({0, 2, 1, 3}); };
    auto q = split(query(h)), k = split(key(h)), v = split(value(h));
    auto scores = torch::matmul(q, k.transpose(-1, -2)) / std::sqrt(static_cast<double>(d));
    auto probs = torch::dropout(torch::softmax(scores + mask, -1), p, is_training());
    return torch::matmul(probs, v).permute({0, 2, 1, 3}).contiguous().view({N, L, D});
  }
  LoraLinear query, key, value;
  int64_t heads;
  double p;
};
TORCH_MODULE(SelfAttention);

// dense → dropout → LayerNorm(· + residual): BertSelfOutput and BertOutput.
struct ResidualNormImpl : torch::nn::Module {
  ResidualNormImpl(int64_t in, const BertConfig& c, const Lora& lora)
      : dense(register_module("dense", Dense(in, c.hidden, lora, "dense"))), norm(register_module("LayerNorm", Norm(c.hidden, c.eps))), p(c.dropout) {}
  torch::Tensor forward(const torch::Tensor& h, const torch::Tensor& residual) {
    return norm(torch::dropout(dense(h), p, is_training()) + residual);
  }
  LoraLinear dense;
  torch::nn::LayerNorm norm;
  double p;
};
TORCH_MODULE(ResidualNorm);

struct AttentionImpl : torch::nn::Module {
  AttentionImpl(const BertConfig& c, const Lora& lora)
      : self(register_module("self", SelfAttention(c, lora))), output(register_module("output", ResidualNorm(c.hidden, c, lora))) {}
  torch::Tensor forward(const torch::Tensor& h, const torch::Tensor& mask) { return output(self(h, mask), h); }
  SelfAttention self;
  ResidualNorm output;
};
TORCH_MODULE(Attention);

struct IntermediateImpl : torch::nn::Module {
  IntermediateImpl(const BertConfig& c, const Lora& lora) : dense(register_module("dense", Dense(c.hidden, c.intermediate, lora, "dense"))) {}
  torch::Tensor forward(const torch::Tensor& h) { return torch::gelu(dense(h)); }  // exact (erf) GELU, BERT's "gelu"
  LoraLinear dense;
};
TORCH_MODULE(Intermediate);

struct EncoderLayerImpl : torch::nn::Module {
  EncoderLayerImpl(const BertConfig& c, const Lora& lora)
      : attention(register_module("attention", Attention(c, lora))),
        intermediate(register_module("intermediate", Intermediate(c, lora))),
        output(register_module("output", ResidualNorm(c.intermediate, c, lora))) {}
  torch::Tensor forward(const torch::Tensor& h, const torch::Tensor& mask) {
    auto a = attention(h, mask);
    return output(intermediate(a), a);
  }
  Attention attention;
  Intermediate intermediate;
  ResidualNorm output;
};
TORCH_MODULE(EncoderLayer);

struct EncoderImpl : torch::nn::Module {
  EncoderImpl(const BertConfig& c, const Lora& lora) : layer(register_module("layer", torch::nn::ModuleList())) {
    for (int64_t i = 0; i < c.layers; i++) layer->push_back(EncoderLayer(c, lora));
  }
  torch::nn::ModuleList layer;
};
TORCH_MODULE(Encoder);

struct PoolerImpl : torch::nn::Module {
  PoolerImpl(const BertConfig& c, const Lora& lora) : dense(register_module("dense", Dense(c.hidden, c.hidden, lora, "dense"))) {}
  torch::Tensor forward(const torch::Tensor& h) { return torch::tanh(dense(h.select(1, 0))); }
  LoraLinear dense;
};
TORCH_MODULE(Pooler);

// N × L token ids -> N × hidden: the pooled [CLS] vector, tanh(pooler.dense(h[:, 0])).
struct BertImpl : torch::nn::Module, SeqLayer {
  BertImpl(const BertConfig& c, const Lora& lora)
      : embeddings(register_module("embeddings", Embeddings(c))),
        encoder(register_module("encoder", Encoder(c, lora))),
        pooler(register_module("pooler", Pooler(c, lora))),
        config(c) {
    if (lora.r > 0)
      for (auto& p : named_parameters(true))
        if (p.key().find("lora_") == std::string::npos) p.value().set_requires_grad(false);
  }
  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor lengths;
    return ForwardSeq(x, &lengths);
  }
  torch::Tensor ForwardSeq(const torch::Tensor& x, torch::Tensor* lengths) override {
    auto ids = TokenIds(x, config.vocab, config.padIndex, lengths, "bert");
    const int64_t L = ids.size(1);
    if (L > config.maxPositions)
      throw EngineError("E_ARG", "bert: " + std::to_string(L) + " tokens per row, the model reads at most maxPositions " +
                                     std::to_string(config.maxPositions));
    auto h = embeddings(ids);
    auto mask = PadMask(*lengths, L).to(h.scalar_type()).mul(std::numeric_limits<float>::lowest()).view({ids.size(0), 1, 1, L});
    for (auto& layer : *encoder->layer) h = layer->as<EncoderLayerImpl>()->forward(h, mask);
    return pooler(h);
  }
  Embeddings embeddings;
  Encoder encoder;
  Pooler pooler;
  BertConfig config;
};
TORCH_MODULE(Bert);

Lora ParseLora(const Napi::Value& v) {
  Lora lora;
  if (v.IsUndefined() || v.IsNull()) return lora;
  Napi::Object o = GetObject(v, "'lora'");
  lora.r = SpecInt(o, "r", -1, 1);
  lora.alpha = GetNumber(o, "alpha", static_cast<double>(lora.r));
  if (!(lora.alpha > 0)) throw EngineError("E_ARG", "'lora.alpha' must be positive");
  lora.dropout = SpecProb(o, "dropout");
  Napi::Value t = o.Get("targets");
  if (t.IsUndefined() || t.IsNull()) {
    lora.targets = {"query", "value"};
  } else {
    if (!t.IsArray() || t.As<Napi::Array>().Length() == 0) throw EngineError("E_ARG", "'lora.targets' must be a non-empty array");
    auto arr = t.As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); i++) {
      Napi::Value e = arr.Get(i);
      std::string name = e.IsString() ? e.As<Napi::String>().Utf8Value() : "";
      if (name != "query" && name != "key" && name != "value" && name != "dense")
        throw EngineError("E_ARG", "'lora.targets' entries must be 'query', 'key', 'value' or 'dense'");
      lora.targets.insert(name);
    }
  }
  return lora;
}

}  // namespace

torch::nn::AnyModule MakeBertLayer(const Napi::Object& L, std::vector<int64_t>* shape) {
  std::vector<int64_t>& s = *shape;
  if (s.size() != 1) throw EngineError("E_ARG", "needs token ids [seqLen], got a row of rank " + std::to_string(s.size()));
  BertConfig c;
  c.vocab = SpecInt(L, "vocab", -1, 2);
  c.hidden = SpecInt(L, "hidden", -1, 1);
  c.layers = SpecInt(L, "layers", -1, 1);
  c.heads = SpecInt(L, "heads", -1, 1);
  c.intermediate = SpecInt(L, "intermediate", -1, 1);
  c.maxPositions = SpecInt(L, "maxPositions", -1, 1);
  c.typeVocab = SpecInt(L, "typeVocab", 2, 1);
  c.padIndex = SpecInt(L, "padIndex", 0, 0);
  c.eps = GetNumber(L, "layerNormEps", 1e-12);
  Napi::Value dv = L.Get("dropout");
  c.dropout = dv.IsUndefined() || dv.IsNull() ? 0.1 : SpecProb(L, "dropout");
  if (!(c.eps > 0)) throw EngineError("E_ARG", "'layerNormEps' must be positive");
  if (c.hidden % c.heads != 0)
    throw EngineError("E_ARG", "hidden " + std::to_string(c.hidden) + " must be a multiple of heads " + std::to_string(c.heads));
  if (c.padIndex >= c.vocab)
    throw EngineError("E_ARG", "'padIndex' " + std::to_string(c.padIndex) + " must be below vocab " + std::to_string(c.vocab));
  if (s[0] > c.maxPositions)
    throw EngineError("E_ARG", "seqLen " + std::to_string(s[0]) + " is longer than maxPositions " + std::to_string(c.maxPositions));
  Lora lora = ParseLora(L.Get("lora"));
  s = {c.hidden};
  return torch::nn::AnyModule(Bert(c, lora));
}

}  // namespace lepton
