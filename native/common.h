// Shared helpers for the engine: errors with codes, typed-array checks, option readers.
// Every entry point converts C++ exceptions into JS Errors carrying a `code`
// (E_ARG, E_TORCH, E_XGB, E_OOM, E_BUSY, E_DISPOSED) so TS can map them to user messages.
#pragma once
#include <napi.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace lepton {

struct EngineError : std::runtime_error {
  std::string code;
  EngineError(std::string c, const std::string& msg) : std::runtime_error(msg), code(std::move(c)) {}
};

// Builds a JS Error with a `code` property.
Napi::Error MakeError(Napi::Env env, const std::string& code, const std::string& msg);

// Converts the exception currently being handled into a JS exception (call inside catch(...)).
[[noreturn]] void RethrowAsJs(Napi::Env env, const std::string& where);

// Converts the current exception into {code, message} for async workers (no JS access).
void DescribeCurrentException(const std::string& where, std::string* code, std::string* msg);

const char* TypedArrayName(napi_typedarray_type t);

// A view on a JS typed array that keeps it alive while native work reads it.
template <typename T>
struct HeldArray {
  T* data = nullptr;
  size_t length = 0;
  Napi::Reference<Napi::TypedArray> ref;
  bool present() const { return data != nullptr || length > 0; }
};

template <typename T>
HeldArray<T> HoldTypedArray(const Napi::Value& v, napi_typedarray_type want, const std::string& what,
                            size_t expectLength, bool optional = false) {
  HeldArray<T> out;
  if (optional && (v.IsUndefined() || v.IsNull())) return out;
  if (!v.IsTypedArray()) throw EngineError("E_ARG", what + " must be a " + TypedArrayName(want));
  auto ta = v.As<Napi::TypedArray>();
  if (ta.TypedArrayType() != want)
    throw EngineError("E_ARG", what + " must be a " + TypedArrayName(want) + " (got " +
                                   TypedArrayName(ta.TypedArrayType()) + ")");
  if (expectLength != SIZE_MAX && ta.ElementLength() != expectLength)
    throw EngineError("E_ARG", what + " has " + std::to_string(ta.ElementLength()) + " elements, expected " +
                                   std::to_string(expectLength));
  out.length = ta.ElementLength();
  out.data = reinterpret_cast<T*>(static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset());
  out.ref = Napi::Persistent(ta);
  return out;
}

double GetNumber(const Napi::Object& o, const char* key, double fallback);
int64_t GetInt(const Napi::Object& o, const char* key, int64_t fallback, int64_t min, int64_t max);
std::string GetString(const Napi::Object& o, const char* key, const std::string& fallback);
bool GetBool(const Napi::Object& o, const char* key, bool fallback);
Napi::Object GetObject(const Napi::Value& v, const std::string& what);

}  // namespace lepton

namespace lepton {

// A worker that settles a Promise: Base is Napi::AsyncWorker or AsyncProgressQueueWorker<T>.
// Execute() records failures in errCode_/errMsg_ (it may not touch JS); OnOK() then rejects
// with a coded Error or resolves with Result(). `self_` keeps the JS model object (and so its
// native handle) alive until the work is done.
template <typename Base>
class PromiseWorker : public Base {
 public:
  PromiseWorker(Napi::Env env, const char* name, Napi::Object self)
      : Base(env, name), deferred_(Napi::Promise::Deferred::New(env)), self_(Napi::Persistent(self)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  // Called on the JS thread before settling, on success and failure alike (clear busy flags).
  virtual void Settle() = 0;
  // The resolved value; only called when Execute() recorded no error.
  virtual Napi::Value Result(Napi::Env env) = 0;

  void OnOK() override {
    Napi::Env env = Base::Env();
    Settle();
    if (!errMsg_.empty()) {
      deferred_.Reject(MakeError(env, errCode_, errMsg_).Value());
      return;
    }
    deferred_.Resolve(Result(env));
  }
  void OnError(const Napi::Error& e) override {
    Settle();
    deferred_.Reject(e.Value());
  }

  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference self_;
  std::string errCode_, errMsg_;
};

}  // namespace lepton
