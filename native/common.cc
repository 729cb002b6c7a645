#include "common.h"

#include <cmath>
#include <new>

namespace lepton {

Napi::Error MakeError(Napi::Env env, const std::string& code, const std::string& msg) {
  Napi::Error err = Napi::Error::New(env, msg);
  err.Set("code", Napi::String::New(env, code));
  return err;
}

void DescribeCurrentException(const std::string& where, std::string* code, std::string* msg) {
  try {
    throw;
  } catch (const EngineError& e) {
    *code = e.code;
    *msg = where + ": " + e.what();
  } catch (const std::bad_alloc&) {
    *code = "E_OOM";
    *msg = where + ": out of memory; use a smaller batch size or fewer rows";
  } catch (const std::exception& e) {
    *code = "E_NATIVE";
    *msg = where + ": " + e.what();
  } catch (...) {
    *code = "E_NATIVE";
    *msg = where + ": unknown native error";
  }
}

void RethrowAsJs(Napi::Env env, const std::string& where) {
  try {
    throw;
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    std::string code, msg;
    DescribeCurrentException(where, &code, &msg);
    throw MakeError(env, code, msg);
  }
}

const char* TypedArrayName(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array: return "Int8Array";
    case napi_uint8_array: return "Uint8Array";
    case napi_uint8_clamped_array: return "Uint8ClampedArray";
    case napi_int16_array: return "Int16Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_float32_array: return "Float32Array";
    case napi_float64_array: return "Float64Array";
    case napi_bigint64_array: return "BigInt64Array";
    case napi_biguint64_array: return "BigUint64Array";
  }
  return "TypedArray";
}

Napi::Object GetObject(const Napi::Value& v, const std::string& what) {
  if (!v.IsObject() || v.IsArray()) throw EngineError("E_ARG", what + " must be an object");
  return v.As<Napi::Object>();
}

double GetNumber(const Napi::Object& o, const char* key, double fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsNumber()) throw EngineError("E_ARG", std::string("option '") + key + "' must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) throw EngineError("E_ARG", std::string("option '") + key + "' must be finite");
  return d;
}

int64_t GetInt(const Napi::Object& o, const char* key, int64_t fallback, int64_t min, int64_t max) {
  double d = GetNumber(o, key, static_cast<double>(fallback));
  if (d != std::floor(d) || d < static_cast<double>(min) || d > static_cast<double>(max))
    throw EngineError("E_ARG", std::string("option '") + key + "' must be an integer in [" + std::to_string(min) +
                                   ", " + std::to_string(max) + "], got " + std::to_string(d));
  return static_cast<int64_t>(d);
}

std::string GetString(const Napi::Object& o, const char* key, const std::string& fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsString()) throw EngineError("E_ARG", std::string("option '") + key + "' must be a string");
  return v.As<Napi::String>().Utf8Value();
}

bool GetBool(const Napi::Object& o, const char* key, bool fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsBoolean()) throw EngineError("E_ARG", std::string("option '") + key + "' must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

}  // namespace lepton
