// Listing CUDA devices and retaining their primary contexts.
#include "geyser/cuda/device.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "cuda_error.hpp"
#include "primary_context.hpp"

namespace geyser::cuda {
namespace {

Result<DeviceInfo> describe_device(const detail::DriverApi& api, int ordinal, CUdevice* out) {
  CUdevice device = 0;
  GEYSER_TRY_VOID(detail::check(api, api.cuDeviceGet(&device, ordinal),
                                "cuDeviceGet(" + std::to_string(ordinal) + ")"));
  DeviceInfo info;
  info.ordinal = ordinal;
  char name[256] = {};
  GEYSER_TRY_VOID(detail::check(api, api.cuDeviceGetName(name, sizeof name - 1, device),
                                "cuDeviceGetName(device " + std::to_string(ordinal) + ")"));
  info.name = name;
  CUuuid uuid{};
  GEYSER_TRY_VOID(detail::check(api, api.cuDeviceGetUuid(&uuid, device),
                                "cuDeviceGetUuid(device " + std::to_string(ordinal) + ")"));
  static_assert(sizeof uuid.bytes == sizeof info.uuid);
  std::memcpy(info.uuid.data(), uuid.bytes, info.uuid.size());
  if (out != nullptr) *out = device;
  return info;
}

Result<int> device_count(const detail::DriverApi& api) {
  int count = 0;
  GEYSER_TRY_VOID(detail::check(api, api.cuDeviceGetCount(&count), "cuDeviceGetCount"));
  return count;
}

std::string uuid_list(const std::vector<DeviceInfo>& devices) {
  std::string out;
  for (const DeviceInfo& device : devices) {
    if (!out.empty()) out += ", ";
    out += std::to_string(device.ordinal) + " " + device.name + " " + to_string(device.uuid);
  }
  return out.empty() ? "none" : out;
}

}  // namespace

namespace detail {

PrimaryContext::~PrimaryContext() {
  (void)driver->api().cuDevicePrimaryCtxRelease(device);
}

Result<CurrentContext> CurrentContext::push(const PrimaryContext& context) {
  GEYSER_TRY_VOID(check(context.api(), context.api().cuCtxPushCurrent(context.context),
                        "cuCtxPushCurrent(" + context.info.name + ")"));
  return CurrentContext(context.api());
}

CurrentContext::~CurrentContext() {
  if (api_ == nullptr) return;
  CUcontext popped = nullptr;
  (void)api_->cuCtxPopCurrent(&popped);
}

}  // namespace detail

Result<std::vector<DeviceInfo>> list_devices(const Driver& driver) {
  const detail::DriverApi& api = driver.api();
  GEYSER_TRY(const int count, device_count(api));
  std::vector<DeviceInfo> devices;
  for (int ordinal = 0; ordinal < count; ++ordinal) {
    GEYSER_TRY(DeviceInfo info, describe_device(api, ordinal, nullptr));
    devices.push_back(std::move(info));
  }
  return devices;
}

Result<std::vector<DeviceInfo>> list_devices() {
  GEYSER_TRY(const Driver* driver, Driver::load());
  return list_devices(*driver);
}

Context::Context(std::shared_ptr<const detail::PrimaryContext> state) noexcept
    : state_(std::move(state)) {}
Context::Context(Context&&) noexcept = default;
Context& Context::operator=(Context&&) noexcept = default;
Context::~Context() = default;

Result<Context> Context::create(const Driver& driver, int ordinal) {
  const detail::DriverApi& api = driver.api();
  GEYSER_TRY(const int count, device_count(api));
  if (ordinal < 0 || ordinal >= count) {
    return fail(ErrorCode::Validation, "cuda::Context::create: device " + std::to_string(ordinal) +
                                           ", the driver lists " + std::to_string(count));
  }
  CUdevice device = 0;
  GEYSER_TRY(DeviceInfo info, describe_device(api, ordinal, &device));
  CUcontext context = nullptr;
  GEYSER_TRY_VOID(detail::check(api, api.cuDevicePrimaryCtxRetain(&context, device),
                                "cuDevicePrimaryCtxRetain(" + info.name + ")"));
  // Owned from here: the retain is released when the last holder goes.
  return Context(
      std::make_shared<const detail::PrimaryContext>(driver, device, context, std::move(info)));
}

Result<Context> Context::create(int ordinal) {
  GEYSER_TRY(const Driver* driver, Driver::load());
  return create(*driver, ordinal);
}

Result<Context> Context::for_uuid(const Uuid& uuid) {
  GEYSER_TRY(auto devices, list_devices());
  const auto match = std::find_if(devices.begin(), devices.end(),
                                  [&](const DeviceInfo& d) { return d.uuid == uuid; });
  if (match == devices.end() || is_zero(uuid)) {
    return fail(ErrorCode::DeviceMismatch, "no CUDA device has UUID " + to_string(uuid) +
                                               " (devices: " + uuid_list(devices) + ")");
  }
  return create(match->ordinal);
}

CUcontext Context::get() const noexcept {
  return state_->context;
}
CUdevice Context::device() const noexcept {
  return state_->device;
}
const DeviceInfo& Context::info() const noexcept {
  return state_->info;
}
const Driver& Context::driver() const noexcept {
  return *state_->driver;
}

}  // namespace geyser::cuda
