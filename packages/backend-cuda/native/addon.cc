// The N-API surface of @tensile/backend-cuda: a few handle-based calls, declared once on
// the TypeScript side in src/native.ts. Device memory is addressed by plain numbers
// (device pointers, below 2^53); every kernel is launched by its codes (family, op code,
// input dtype code: never by an op's name) with one packed argument block (an argument
// struct generated into kernels/generated/ops.h); all op logic lives in TypeScript.
//
// One CUDA stream carries every copy and launch, in order. `download` is asynchronous: a
// device-to-host copy into pinned memory, then cudaLaunchHostFunc signals a threadsafe
// function that resolves the promise on the JS thread, so Node's event loop never blocks.
// The CUDA runtime is linked statically and opens the driver (libcuda.so.1) on first use,
// so loading this addon works on machines without a driver; deviceCount() reports why
// there is no device.
#include <napi.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "generated/ops.h"
#include "registry.h"

namespace {

cudaStream_t g_stream = nullptr;
int g_device = -1;
// family -> (op code, dtype code) -> kernel
std::unordered_map<std::string, std::unordered_map<int, const KernelEntry*>> g_kernels;
std::vector<const KernelEntry*> g_kernel_list;

int KernelKey(int op, int dtype) { return op * 256 + dtype; }

// ---- helpers ----------------------------------------------------------------------------------

std::string Describe(cudaError_t err) {
  return std::string(cudaGetErrorName(err)) + ": " + cudaGetErrorString(err);
}

void Check(Napi::Env env, cudaError_t err, const char* what) {
  if (err == cudaSuccess) return;
  cudaGetLastError();  // clear a non-sticky error so later calls are not blamed for it
  throw Napi::Error::New(env, std::string("cuda backend: ") + what + " failed (" + Describe(err) + ")");
}

void RequireStream(Napi::Env env) {
  if (g_stream == nullptr) throw Napi::Error::New(env, "cuda backend: the device is not initialised; call init() first");
}

void* PointerArg(const Napi::Value& v) {
  const double d = v.As<Napi::Number>().DoubleValue();
  return reinterpret_cast<void*>(static_cast<uintptr_t>(d));
}

void BuildKernelTable() {
  if (!g_kernel_list.empty()) return;
  const KernelTable tables[] = {tl_elementwise_kernels(), tl_reduce_kernels(), tl_matmul_kernels(), tl_conv_kernels(),
                                tl_pool_kernels(),        tl_indexing_kernels(), tl_random_kernels(),
                                tl_sort_kernels()};
  for (const KernelTable& t : tables) {
    for (size_t i = 0; i < t.count; ++i) {
      const KernelEntry& k = t.entries[i];
      g_kernels[k.family][KernelKey(k.op, k.dtype)] = &k;
      g_kernel_list.push_back(&k);
    }
  }
}

// A kernel the host asked for, in words: "unary 'sigmoid' on float32", "matmulTf32 on float16".
std::string DescribeKernel(const std::string& family, int op, int dtype) {
  std::string what = family;
#define TL_NAME_CASE(name, code) \
  case code:                     \
    what += " '" #name "'";     \
    break;
  if (family == "unary") {
    switch (op) { TL_UNARY_OPS(TL_NAME_CASE) default: what += " op " + std::to_string(op); }
  } else if (family == "binary") {
    switch (op) { TL_BINARY_OPS(TL_NAME_CASE) default: what += " op " + std::to_string(op); }
  } else if (family == "reduce") {
    switch (op) { TL_REDUCE_OPS(TL_NAME_CASE) default: what += " op " + std::to_string(op); }
  } else if (family == "argReduce") {
    switch (op) { TL_ARG_REDUCE_OPS(TL_NAME_CASE) default: what += " op " + std::to_string(op); }
  } else if (op != 0) {
    what += " op " + std::to_string(op);
  }
#undef TL_NAME_CASE
#define TL_DTYPE_CASE(name, code) \
  case code:                      \
    what += " on " #name;         \
    break;
  switch (dtype) {
    TL_DTYPE_CODES(TL_DTYPE_CASE)
    default: what += " on dtype " + std::to_string(dtype);
  }
#undef TL_DTYPE_CASE
  return what;
}

// ---- pinned staging buffers for asynchronous reads (size classes: powers of two) --------------

std::mutex g_pinned_mutex;
std::map<size_t, std::vector<void*>> g_pinned_free;
size_t g_pinned_bytes = 0;   // all pinned memory held
size_t g_pinned_cached = 0;  // of which idle in the free lists

size_t PinnedClass(size_t bytes) {
  size_t c = 4096;
  while (c < bytes) c <<= 1;
  return c;
}

void* PinnedTake(size_t cls) {
  {
    std::lock_guard<std::mutex> lock(g_pinned_mutex);
    auto it = g_pinned_free.find(cls);
    if (it != g_pinned_free.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      g_pinned_cached -= cls;
      return p;
    }
  }
  void* p = nullptr;
  if (cudaHostAlloc(&p, cls, cudaHostAllocDefault) != cudaSuccess) {
    cudaGetLastError();
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(g_pinned_mutex);
  g_pinned_bytes += cls;
  return p;
}

void PinnedGive(void* p, size_t cls) {
  std::lock_guard<std::mutex> lock(g_pinned_mutex);
  g_pinned_free[cls].push_back(p);
  g_pinned_cached += cls;
}

// ---- asynchronous completion: cudaLaunchHostFunc -> threadsafe function -> promise -------------

struct Pending {
  napi_deferred deferred = nullptr;
  napi_threadsafe_function tsfn = nullptr;
  void* pinned = nullptr;
  size_t cls = 0;
  size_t bytes = 0;
  bool wantsData = false;
};

// Runs on the JS thread.
void SettlePending(napi_env env, napi_value /*js_cb*/, void* /*context*/, void* data) {
  Pending* pending = static_cast<Pending*>(data);
  if (env != nullptr) {
    napi_handle_scope scope;
    napi_open_handle_scope(env, &scope);
    napi_value result;
    if (pending->wantsData) {
      void* out = nullptr;
      napi_create_arraybuffer(env, pending->bytes, &out, &result);
      if (pending->bytes > 0) std::memcpy(out, pending->pinned, pending->bytes);
    } else {
      napi_get_undefined(env, &result);
    }
    napi_resolve_deferred(env, pending->deferred, result);
    napi_close_handle_scope(env, scope);
  }
  if (pending->pinned != nullptr) PinnedGive(pending->pinned, pending->cls);
  delete pending;
}

// Runs on a CUDA driver thread once the stream reaches it: no CUDA calls allowed here.
void CUDART_CB StreamReached(void* data) {
  Pending* pending = static_cast<Pending*>(data);
  napi_threadsafe_function tsfn = pending->tsfn;
  napi_call_threadsafe_function(tsfn, pending, napi_tsfn_nonblocking);
  napi_release_threadsafe_function(tsfn, napi_tsfn_release);
}

// Queue a host callback after everything now on the stream; the promise settles then.
Napi::Value EnqueueCompletion(Napi::Env env, Pending* pending) {
  napi_value promise;
  napi_create_promise(env, &pending->deferred, &promise);
  napi_value name;
  napi_create_string_utf8(env, "tensile-cuda-completion", NAPI_AUTO_LENGTH, &name);
  napi_status s = napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, nullptr,
                                                  SettlePending, &pending->tsfn);
  if (s != napi_ok) {
    if (pending->pinned) PinnedGive(pending->pinned, pending->cls);
    delete pending;
    throw Napi::Error::New(env, "cuda backend: cannot create a threadsafe function");
  }
  cudaError_t err = cudaLaunchHostFunc(g_stream, StreamReached, pending);
  if (err != cudaSuccess) {
    cudaGetLastError();
    napi_value error = Napi::Error::New(env, "cuda backend: cudaLaunchHostFunc failed (" + Describe(err) + ")").Value();
    napi_reject_deferred(env, pending->deferred, error);
    napi_release_threadsafe_function(pending->tsfn, napi_tsfn_abort);
    if (pending->pinned) PinnedGive(pending->pinned, pending->cls);
    delete pending;
  }
  return Napi::Value(env, promise);
}

// ---- exported functions -------------------------------------------------------------------------

// { count, error }: error is null when the query succeeded. Any failure (no driver, no
// GPU, driver too old) means "no CUDA device" to the caller.
Napi::Value DeviceCount(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  Napi::Object result = Napi::Object::New(env);
  if (err != cudaSuccess) {
    cudaGetLastError();
    result.Set("count", 0);
    result.Set("error", Describe(err));
  } else {
    result.Set("count", count);
    result.Set("error", env.Null());
  }
  return result;
}

Napi::Value RuntimeVersion(const Napi::CallbackInfo& info) {
  int v = 0;
  cudaRuntimeGetVersion(&v);
  return Napi::Number::New(info.Env(), v);
}

// Select the device, create the stream, describe the device.
Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int device = info.Length() > 0 ? info[0].As<Napi::Number>().Int32Value() : 0;
  Check(env, cudaSetDevice(device), "cudaSetDevice");
  if (g_stream == nullptr || g_device != device) {
    Check(env, cudaStreamCreateWithFlags(&g_stream, cudaStreamNonBlocking), "cudaStreamCreate");
    g_device = device;
  }
  cudaDeviceProp prop;
  Check(env, cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
  int driver = 0, runtime = 0;
  cudaDriverGetVersion(&driver);
  cudaRuntimeGetVersion(&runtime);
  Napi::Object result = Napi::Object::New(env);
  result.Set("ordinal", device);
  result.Set("name", std::string(prop.name));
  result.Set("major", prop.major);
  result.Set("minor", prop.minor);
  result.Set("multiProcessorCount", prop.multiProcessorCount);
  result.Set("totalMemory", static_cast<double>(prop.totalGlobalMem));
  result.Set("sharedMemoryPerBlock", static_cast<double>(prop.sharedMemPerBlock));
  result.Set("driverVersion", driver);
  result.Set("runtimeVersion", runtime);
  return result;
}

Napi::Value Malloc(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const double bytes = info[0].As<Napi::Number>().DoubleValue();
  void* p = nullptr;
  cudaError_t err = cudaMalloc(&p, static_cast<size_t>(bytes));
  if (err == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    Napi::Error e = Napi::Error::New(env, "cuda backend: out of device memory (cudaMalloc of " +
                                              std::to_string(static_cast<size_t>(bytes)) + " bytes)");
    e.Set("code", "CUDA_OUT_OF_MEMORY");
    throw e;
  }
  Check(env, err, "cudaMalloc");
  const uintptr_t address = reinterpret_cast<uintptr_t>(p);
  if (address >= (uintptr_t(1) << 53)) {
    cudaFree(p);
    throw Napi::Error::New(env, "cuda backend: device address above 2^53 cannot be held in a JS number");
  }
  return Napi::Number::New(env, static_cast<double>(address));
}

Napi::Value Free(const Napi::CallbackInfo& info) {
  Check(info.Env(), cudaFree(PointerArg(info[0])), "cudaFree");
  return info.Env().Undefined();
}

// upload(ptr, typedArray): host -> device, ordered on the stream. The source may be reused
// as soon as this returns (pageable memory is staged before the call returns).
Napi::Value Upload(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireStream(env);
  Napi::TypedArray data = info[1].As<Napi::TypedArray>();
  const size_t bytes = data.ByteLength();
  if (bytes == 0) return env.Undefined();
  const uint8_t* src = static_cast<const uint8_t*>(data.ArrayBuffer().Data()) + data.ByteOffset();
  Check(env, cudaMemcpyAsync(PointerArg(info[0]), src, bytes, cudaMemcpyHostToDevice, g_stream), "upload (cudaMemcpyAsync)");
  return env.Undefined();
}

// downloadSync(ptr, bytes): waits for the stream, returns an ArrayBuffer.
Napi::Value DownloadSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireStream(env);
  const size_t bytes = static_cast<size_t>(info[1].As<Napi::Number>().DoubleValue());
  Napi::ArrayBuffer out = Napi::ArrayBuffer::New(env, bytes);
  if (bytes > 0) {
    Check(env, cudaMemcpyAsync(out.Data(), PointerArg(info[0]), bytes, cudaMemcpyDeviceToHost, g_stream), "download (cudaMemcpyAsync)");
  }
  Check(env, cudaStreamSynchronize(g_stream), "download (cudaStreamSynchronize)");
  return out;
}

// download(ptr, bytes): Promise<ArrayBuffer>, settled after the copy without blocking.
Napi::Value Download(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireStream(env);
  const size_t bytes = static_cast<size_t>(info[1].As<Napi::Number>().DoubleValue());
  Pending* pending = new Pending();
  pending->wantsData = true;
  pending->bytes = bytes;
  if (bytes > 0) {
    pending->cls = PinnedClass(bytes);
    pending->pinned = PinnedTake(pending->cls);
    if (pending->pinned == nullptr) {
      delete pending;
      throw Napi::Error::New(env, "cuda backend: cannot allocate pinned host memory for a read of " + std::to_string(bytes) + " bytes");
    }
    cudaError_t err = cudaMemcpyAsync(pending->pinned, PointerArg(info[0]), bytes, cudaMemcpyDeviceToHost, g_stream);
    if (err != cudaSuccess) {
      PinnedGive(pending->pinned, pending->cls);
      delete pending;
      Check(env, err, "download (cudaMemcpyAsync)");
    }
  }
  return EnqueueCompletion(env, pending);
}

// launch(family, op, dtype, gx, gy, gz, bx, by, bz, sharedBytes, args)
Napi::Value Launch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string family = info[0].As<Napi::String>().Utf8Value();
  const int op = info[1].As<Napi::Number>().Int32Value();
  const int dtype = info[2].As<Napi::Number>().Int32Value();
  const KernelEntry* k = nullptr;
  auto byFamily = g_kernels.find(family);
  if (byFamily != g_kernels.end()) {
    auto it = byFamily->second.find(KernelKey(op, dtype));
    if (it != byFamily->second.end()) k = it->second;
  }
  if (k == nullptr) {
    Napi::Error e = Napi::Error::New(env, "cuda backend: the addon has no kernel for " + DescribeKernel(family, op, dtype) +
                                              " (a stale build? rebuild with pnpm rebuild @tensile/backend-cuda)");
    e.Set("code", "CUDA_NO_KERNEL");
    throw e;
  }
  RequireStream(env);
  Napi::TypedArray args = info[10].As<Napi::TypedArray>();
  if (args.ByteLength() != k->paramBytes) {
    throw Napi::Error::New(env, std::string("cuda backend: kernel '") + k->name + "' takes " + std::to_string(k->paramBytes) +
                                    " bytes of " + k->paramType + ", got " + std::to_string(args.ByteLength()));
  }
  void* block = static_cast<uint8_t*>(args.ArrayBuffer().Data()) + args.ByteOffset();
  void* argv[1] = {block};
  const dim3 grid(info[3].As<Napi::Number>().Uint32Value(), info[4].As<Napi::Number>().Uint32Value(),
                  info[5].As<Napi::Number>().Uint32Value());
  const dim3 threads(info[6].As<Napi::Number>().Uint32Value(), info[7].As<Napi::Number>().Uint32Value(),
                     info[8].As<Napi::Number>().Uint32Value());
  const size_t shared = info[9].As<Napi::Number>().Uint32Value();
  cudaError_t err = cudaLaunchKernel(k->fn, grid, threads, argv, shared, g_stream);
  if (err == cudaSuccess) err = cudaGetLastError();
  if (err != cudaSuccess) Check(env, err, (std::string("launching ") + k->name).c_str());
  return env.Undefined();
}

Napi::Value Synchronize(const Napi::CallbackInfo& info) {
  RequireStream(info.Env());
  Check(info.Env(), cudaStreamSynchronize(g_stream), "cudaStreamSynchronize");
  return info.Env().Undefined();
}

Napi::Value SynchronizeAsync(const Napi::CallbackInfo& info) {
  RequireStream(info.Env());
  return EnqueueCompletion(info.Env(), new Pending());
}

Napi::Value MemoryStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object result = Napi::Object::New(env);
  size_t freeBytes = 0, totalBytes = 0;
  if (g_stream != nullptr && cudaMemGetInfo(&freeBytes, &totalBytes) != cudaSuccess) cudaGetLastError();
  std::lock_guard<std::mutex> lock(g_pinned_mutex);
  result.Set("deviceFree", static_cast<double>(freeBytes));
  result.Set("deviceTotal", static_cast<double>(totalBytes));
  result.Set("pinnedBytes", static_cast<double>(g_pinned_bytes));
  result.Set("pinnedCachedBytes", static_cast<double>(g_pinned_cached));
  return result;
}

// Release the idle pinned staging buffers (device memory is cached on the TypeScript side).
Napi::Value EmptyCache(const Napi::CallbackInfo& info) {
  std::lock_guard<std::mutex> lock(g_pinned_mutex);
  for (auto& entry : g_pinned_free) {
    for (void* p : entry.second) {
      cudaFreeHost(p);
      g_pinned_bytes -= entry.first;
      g_pinned_cached -= entry.first;
    }
    entry.second.clear();
  }
  cudaGetLastError();
  return info.Env().Undefined();
}

Napi::Value Kernels(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array list = Napi::Array::New(env, g_kernel_list.size());
  for (size_t i = 0; i < g_kernel_list.size(); ++i) {
    Napi::Object k = Napi::Object::New(env);
    k.Set("name", g_kernel_list[i]->name);
    k.Set("family", g_kernel_list[i]->family);
    k.Set("op", g_kernel_list[i]->op);
    k.Set("dtype", g_kernel_list[i]->dtype);
    k.Set("paramBytes", static_cast<double>(g_kernel_list[i]->paramBytes));
    k.Set("paramType", g_kernel_list[i]->paramType);
    list.Set(static_cast<uint32_t>(i), k);
  }
  return list;
}

// sizeof and offsetof of every argument struct, to check the generated structs against the
// layouts src/params.ts packs (both come from its LAYOUTS; this catches a stale build or a
// renderer that pads or sizes a field differently).
#define TL_REPORT_FIELD(S, f) fields.Set(#f, static_cast<double>(offsetof(S, f)));
#define TL_REPORT_LAYOUT(S)                               \
  {                                                       \
    Napi::Object fields = Napi::Object::New(env);         \
    TL_FIELDS_##S(TL_REPORT_FIELD)                        \
    Napi::Object layout = Napi::Object::New(env);         \
    layout.Set("size", static_cast<double>(sizeof(S)));   \
    layout.Set("fields", fields);                         \
    result.Set(#S, layout);                               \
  }

Napi::Value Layouts(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object result = Napi::Object::New(env);
  TL_RECORDS(TL_REPORT_LAYOUT)
  return result;
}

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  BuildKernelTable();
  exports.Set("deviceCount", Napi::Function::New(env, DeviceCount));
  exports.Set("runtimeVersion", Napi::Function::New(env, RuntimeVersion));
  exports.Set("init", Napi::Function::New(env, Init));
  exports.Set("malloc", Napi::Function::New(env, Malloc));
  exports.Set("free", Napi::Function::New(env, Free));
  exports.Set("upload", Napi::Function::New(env, Upload));
  exports.Set("download", Napi::Function::New(env, Download));
  exports.Set("downloadSync", Napi::Function::New(env, DownloadSync));
  exports.Set("launch", Napi::Function::New(env, Launch));
  exports.Set("synchronize", Napi::Function::New(env, Synchronize));
  exports.Set("synchronizeAsync", Napi::Function::New(env, SynchronizeAsync));
  exports.Set("memoryStats", Napi::Function::New(env, MemoryStats));
  exports.Set("emptyCache", Napi::Function::New(env, EmptyCache));
  exports.Set("kernels", Napi::Function::New(env, Kernels));
  exports.Set("layouts", Napi::Function::New(env, Layouts));
  return exports;
}

}  // namespace

NODE_API_MODULE(tensile_cuda, InitModule)
