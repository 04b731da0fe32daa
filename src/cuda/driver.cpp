// Loading the CUDA driver API at run time: dlopen("libcuda.so.1"), then every entry point
// through cuGetProcAddress (docs/architecture.md, "Core decisions": no binary links
// libcuda, so every binary runs on a machine without a GPU).
#include "geyser/cuda/driver.hpp"

#include <dlfcn.h>

#include <string>
#include <utility>

#include "cuda_error.hpp"
#include "driver_api.hpp"

namespace geyser::cuda {
namespace {

using GetProcAddress = decltype(&::cuGetProcAddress);
using DriverGetVersion = decltype(&::cuDriverGetVersion);

// Closes a dlopen handle on the paths that fail before a Driver owns it.
struct LibraryCloser {
  void operator()(void* library) const noexcept { dlclose(library); }
};
using LibraryHandle = std::unique_ptr<void, LibraryCloser>;

Result<LibraryHandle> open_library(const std::string& library) {
  // RTLD_LOCAL: the driver's symbols stay out of the global namespace, so an application
  // that loads its own CUDA runtime is not affected.
  void* handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    return fail(ErrorCode::Unsupported,
                library + " not found: no NVIDIA driver on this machine" +
                    (why != nullptr ? std::string(" (dlopen: ") + why + ")" : std::string()));
  }
  return LibraryHandle(handle);
}

// Two symbols come from dlsym: the driver's version, to refuse a driver older than our
// headers before asking for entry points by that version, and cuGetProcAddress itself.
// cuda.h maps cuGetProcAddress to cuGetProcAddress_v2 (the five-argument form of CUDA 12
// and later); the plain "cuGetProcAddress" export is the old four-argument one.
template <typename Fn>
Result<Fn> library_symbol(void* library, const std::string& library_name, const char* symbol) {
  void* address = dlsym(library, symbol);
  if (address == nullptr) {
    return fail(ErrorCode::Unsupported,
                library_name + " has no " + symbol + ": the NVIDIA driver is older than CUDA 12");
  }
  return reinterpret_cast<Fn>(address);
}

Result<int> driver_version(DriverGetVersion get_version) {
  int version = 0;
  if (const CUresult result = get_version(&version); result != CUDA_SUCCESS) {
    return fail(detail::cuda_error(nullptr, result, "cuDriverGetVersion"));
  }
  // Entry points are asked for by the headers' version so that each has the signature
  // cuda.h declares; a driver older than that would answer CUDA_ERROR_INVALID_VALUE.
  if (version < CUDA_VERSION) {
    return fail(ErrorCode::Unsupported,
                "the NVIDIA driver supports CUDA " + cuda_version_string(version) +
                    ", this Geyser was built with the CUDA " + cuda_version_string(CUDA_VERSION) +
                    " headers: update the driver");
  }
  return version;
}

Result<void> resolve(GetProcAddress get, const char* name, void** out) {
  CUdriverProcAddressQueryResult status = CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND;
  const CUresult result = get(name, out, CUDA_VERSION, CU_GET_PROC_ADDRESS_DEFAULT, &status);
  if (result != CUDA_SUCCESS) {
    return fail(detail::cuda_error(nullptr, result, std::string("cuGetProcAddress(") + name + ")"));
  }
  if (*out == nullptr || status != CU_GET_PROC_ADDRESS_SUCCESS) {
    return fail(ErrorCode::Unsupported, std::string("cuGetProcAddress(") + name + ", CUDA " +
                                            cuda_version_string(CUDA_VERSION) + "): " +
                                            (status == CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT
                                                 ? "the driver has it only for another CUDA version"
                                                 : "the driver does not have it"));
  }
  return {};
}

Result<std::unique_ptr<detail::DriverApi>> resolve_all(GetProcAddress get) {
  auto api = std::make_unique<detail::DriverApi>();
#define GEYSER_CUDA_RESOLVE(name) \
  GEYSER_TRY_VOID(resolve(get, #name, reinterpret_cast<void**>(&api->name)));
  GEYSER_CUDA_ENTRY_POINTS(GEYSER_CUDA_RESOLVE)
#undef GEYSER_CUDA_RESOLVE
  return api;
}

}  // namespace

bool driver_installed() noexcept {
  void* library = dlopen(kDriverLibrary, RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) return false;
  dlclose(library);
  return true;
}

std::string cuda_version_string(int version) {
  return std::to_string(version / 1000) + "." + std::to_string((version % 1000) / 10);
}

Driver::Driver(void* library, std::unique_ptr<detail::DriverApi> api, int version) noexcept
    : library_(library), api_(std::move(api)), version_(version) {}

Driver::~Driver() {
  if (library_ != nullptr) dlclose(library_);
}

std::string Driver::version_string() const {
  return cuda_version_string(version_);
}

Result<std::unique_ptr<Driver>> Driver::open(const std::string& library) {
  GEYSER_TRY(LibraryHandle handle, open_library(library));
  GEYSER_TRY(auto get_version,
             library_symbol<DriverGetVersion>(handle.get(), library, "cuDriverGetVersion"));
  GEYSER_TRY(auto get_proc,
             library_symbol<GetProcAddress>(handle.get(), library, "cuGetProcAddress_v2"));
  GEYSER_TRY(const int version, driver_version(get_version));
  GEYSER_TRY(auto api, resolve_all(get_proc));
  // cuInit fails with CUDA_ERROR_NO_DEVICE where the library is installed but no GPU is
  // visible (a container without the device nodes): that is Unsupported too.
  if (const CUresult result = api->cuInit(0); result != CUDA_SUCCESS) {
    Error error = detail::cuda_error(api.get(), result, "cuInit");
    return fail(Error(ErrorCode::Unsupported, error.message(), NativeDomain::CUresult,
                      error.native_code()));
  }
  return std::unique_ptr<Driver>(new Driver(handle.release(), std::move(api), version));
}

Result<const Driver*> Driver::load() {
  // Loaded once; a static that is never destroyed, so that objects destroyed at exit
  // (after main) can still call the driver.
  static const Result<Driver*> loaded = []() -> Result<Driver*> {
    auto driver = open(kDriverLibrary);
    if (!driver) return tl::unexpected(std::move(driver).error());
    return driver->release();
  }();
  if (!loaded) return tl::unexpected(loaded.error());
  return *loaded;
}

}  // namespace geyser::cuda
