// Which device a sender or receiver is to work on, as a user names it: by index, by UUID or
// by a part of its name (`geyser send --device SPEC`, geyser_device_options). Pure logic:
// the backends list their devices, this picks among them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "geyser/device_identity.hpp"
#include "geyser/error.hpp"

namespace geyser {

/// What a device must be; every field that is set must match. Empty: any device.
struct DeviceSelector {
  /// Vulkan: the vkEnumeratePhysicalDevices index; CUDA: the device ordinal.
  std::optional<std::uint32_t> index;
  /// The deviceUUID (Vulkan VkPhysicalDeviceIDProperties, CUDA cuDeviceGetUuid: equal for
  /// one GPU).
  std::optional<Uuid> uuid;
  /// A part of the device's name (case-sensitive); empty: any name.
  std::string name_contains;

  [[nodiscard]] bool empty() const noexcept { return !index && !uuid && name_contains.empty(); }
};

/// One device a backend lists, as a selector sees it.
struct ListedDevice {
  std::uint32_t index = 0;
  std::string name;
  Uuid uuid{};
};

/// Parses 32 hexadecimal digits, with or without dashes anywhere ("6d657361-3232-...",
/// as to_string(Uuid) writes it); nullopt for anything else.
[[nodiscard]] std::optional<Uuid> parse_uuid(std::string_view text) noexcept;

/// Parses a device SPEC: a UUID (parse_uuid) is a UUID, other decimal digits an index, any
/// other non-empty text is a part of the name. nullopt for an empty SPEC.
[[nodiscard]] std::optional<DeviceSelector> parse_device_spec(std::string_view spec);

/// "index 7", "UUID 6d657361-...", "name containing \"llvmpipe\"", joined by " and ";
/// "any device" when empty.
[[nodiscard]] std::string to_string(const DeviceSelector& selector);

/// True when `device` is what `selector` asks for.
[[nodiscard]] bool matches(const DeviceSelector& selector, const ListedDevice& device) noexcept;

/// The first of `devices` that `selector` matches. Validation when none does, naming what
/// was asked and listing `devices` (index, name, UUID); `api` names them ("Vulkan", "CUDA").
[[nodiscard]] Result<ListedDevice> find_device(const DeviceSelector& selector,
                                               std::span<const ListedDevice> devices,
                                               std::string_view api);

}  // namespace geyser
