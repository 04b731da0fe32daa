// geyser_device_*: headless and adopted Vulkan devices, CUDA contexts (device_cuda.cpp),
// and what they are.
#include "device.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>

#include "geyser/vulkan/device_select.hpp"
#include "options_init.hpp"
#include "status.hpp"

namespace geyser::capi {

Result<DeviceSelector> selector_of(const geyser_device_options* options) {
  DeviceSelector selector;
  if (options == nullptr) return selector;
  // Callers built against version 1 end the struct before `uuid`.
  GEYSER_TRY_VOID(require_size(options->struct_size, offsetof(geyser_device_options, uuid),
                               "geyser_device_options"));
  if (options->index >= 0) selector.index = static_cast<std::uint32_t>(options->index);
  if (options->name_contains != nullptr) selector.name_contains = options->name_contains;
  const std::size_t uuid_end = offsetof(geyser_device_options, uuid) + sizeof(options->uuid);
  if (options->struct_size >= uuid_end && options->uuid != nullptr) {
    Uuid uuid{};
    std::memcpy(uuid.data(), options->uuid, uuid.size());
    selector.uuid = uuid;
  }
  return selector;
}

Result<SharedDevice> make_vulkan_device(const geyser_device_options* options) {
  GEYSER_TRY(const DeviceSelector selector, selector_of(options));
  vulkan::HeadlessOptions headless;
  if (options != nullptr && options->validation >= 0)
    headless.validation = options->validation != 0;
  GEYSER_TRY(auto device, vulkan::create_selected(selector, headless));
  auto state = std::make_shared<DeviceState>();
  state->api = GEYSER_API_VULKAN;
  state->vulkan.emplace(std::move(device));
  return state;
}

Result<SharedDevice> device_for(const geyser_device* handle, geyser_api api) {
  if (handle == nullptr) {
    if (api == GEYSER_API_CUDA) return make_cuda_device(DeviceSelector{});
    return make_vulkan_device(nullptr);
  }
  if (!handle->state || handle->state->api != api) {
    return fail(ErrorCode::Validation, "the geyser_device given is not a device of this API");
  }
  return handle->state;
}

namespace {

Result<void> adopt(const geyser_vulkan_adopt_info* info, geyser_device** out) {
  GEYSER_TRY_VOID(require(info, "info"));
  GEYSER_TRY_VOID(require(out, "out"));
  GEYSER_TRY_VOID(require_size(info->struct_size, sizeof(geyser_vulkan_adopt_info),
                               "geyser_vulkan_adopt_info"));
  if (info->device_extension_count > 0)
    GEYSER_TRY_VOID(require(info->device_extensions, "info->device_extensions"));
  vulkan::AdoptInfo adopt;
  adopt.instance = static_cast<VkInstance>(info->instance);
  adopt.physical_device = static_cast<VkPhysicalDevice>(info->physical_device);
  adopt.device = static_cast<VkDevice>(info->device);
  adopt.queue = static_cast<VkQueue>(info->queue);
  adopt.queue_family_index = info->queue_family_index;
  for (std::uint32_t i = 0; i < info->device_extension_count; ++i) {
    GEYSER_TRY_VOID(require(info->device_extensions[i], "a device extension name"));
    adopt.enabled_device_extensions.emplace_back(info->device_extensions[i]);
  }
  GEYSER_TRY(auto device, vulkan::Device::adopt(adopt));
  auto state = std::make_shared<DeviceState>();
  state->vulkan.emplace(std::move(device));
  *out = new geyser_device{std::move(state)};
  return {};
}

void copy_name(const std::string& name, char (&out)[256]) {
  const std::size_t n = std::min(name.size(), sizeof(out) - 1);
  std::memcpy(out, name.data(), n);
  out[n] = '\0';
}

Result<void> describe(const geyser_device* device, geyser_device_info* out) {
  GEYSER_TRY_VOID(require(device, "device"));
  GEYSER_TRY_VOID(require(out, "out"));
  GEYSER_TRY_VOID(require_size(out->struct_size, sizeof(geyser_device_info), "geyser_device_info"));
  const std::uint32_t size = out->struct_size;
  *out = geyser_device_info{};
  out->struct_size = size;
  const DeviceState& state = *device->state;
  out->api = state.api;
  if (state.vulkan) {
    const vulkan::Device& vk = *state.vulkan;
    copy_name(vk.name(), out->name);
    std::memcpy(out->uuid, vk.identity().device_uuid.data(), sizeof(out->uuid));
    out->vk_instance = vk.instance();
    out->vk_physical_device = vk.physical_device();
    out->vk_device = vk.device();
    out->vk_queue = vk.queue();
    out->vk_queue_family_index = vk.queue_family_index();
  }
  describe_cuda(state, *out);
  return {};
}

// geyser_device_options as C API version 1 laid it out, ending after `validation`: the
// smallest struct_size an init accepts (24 bytes on 64-bit targets, 16 on 32-bit). Version
// 2's `uuid` is a pointer, as is name_contains, so the struct's alignment is the same in
// both versions and this is offsetof(uuid).
constexpr std::size_t kDeviceOptionsV1Size =
    round_up(offsetof(geyser_device_options, validation) + sizeof(std::int32_t),
             alignof(geyser_device_options));
static_assert(kDeviceOptionsV1Size == offsetof(geyser_device_options, uuid));
// ... and as version 5 did (ending after `uuid`), what the old geyser_device_options_init
// symbol writes. Version 6 appended nothing; a field appended later must not change it.
constexpr std::size_t kDeviceOptionsV5Size =
    round_up(offsetof(geyser_device_options, uuid) + sizeof(const std::uint8_t*),
             alignof(geyser_device_options));
static_assert(kDeviceOptionsV5Size == sizeof(geyser_device_options),
              "version 6 appends no device option");

// Zeros the first min(size, sizeof) bytes of *options, sets struct_size to their number
// and the defaults that lie in them (index and validation -1; name_contains and uuid
// stay NULL). Touches no error state.
void fill_options(geyser_device_options* options, std::size_t size) noexcept {
  size = zero_prefix(options, size, sizeof(geyser_device_options));
  const std::int32_t unset = -1;
  put_default(options, size, offsetof(geyser_device_options, index), unset);
  put_default(options, size, offsetof(geyser_device_options, validation), unset);
}

}  // namespace

}  // namespace geyser::capi

using namespace geyser::capi;

extern "C" {

GEYSER_API geyser_status geyser_device_options_init_sized(geyser_device_options* options,
                                                          size_t struct_size) {
  return guard([&]() -> geyser::Result<void> {
    GEYSER_TRY_VOID(require_init(options, struct_size, kDeviceOptionsV1Size,
                                 "geyser_device_options_init_sized"));
    fill_options(options, struct_size);
    return {};
  });
}

// The symbol of C API versions 1 to 5 (geyser.h now makes the name a macro over the sized
// init): binaries built with those headers call it, and it writes the version-5 struct, as
// it always did. The parentheses keep the macro from expanding.
GEYSER_API void(geyser_device_options_init)(geyser_device_options* options) {
  if (options == nullptr) return;
  fill_options(options, kDeviceOptionsV5Size);
}

GEYSER_API geyser_status geyser_device_create(geyser_api api, const geyser_device_options* options,
                                              geyser_device** out) {
  return guard([&]() -> geyser::Result<void> {
    GEYSER_TRY_VOID(require(out, "out"));
    *out = nullptr;
    geyser::Result<SharedDevice> device = geyser::fail(
        geyser::ErrorCode::Validation,
        "geyser_device_create: api " + std::to_string(api) + " has no devices (VULKAN or CUDA)");
    if (api == GEYSER_API_VULKAN) device = make_vulkan_device(options);
    if (api == GEYSER_API_CUDA) {
      GEYSER_TRY(const geyser::DeviceSelector selector, selector_of(options));
      device = make_cuda_device(selector);
    }
    GEYSER_TRY(auto state, std::move(device));
    *out = new geyser_device{std::move(state)};
    return {};
  });
}

GEYSER_API geyser_status geyser_device_adopt_vulkan(const geyser_vulkan_adopt_info* info,
                                                    geyser_device** out) {
  return guard([&] { return adopt(info, out); });
}

GEYSER_API geyser_status geyser_device_get_info(const geyser_device* device,
                                                geyser_device_info* out) {
  return guard([&] { return describe(device, out); });
}

GEYSER_API void geyser_device_destroy(geyser_device* device) {
  delete device;
}

}  // extern "C"
