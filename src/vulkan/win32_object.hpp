// Internal (Windows): what kind of kernel object a received HANDLE names, so that the
// OPAQUE_WIN32 services can refuse what is no memory or semaphore before a driver sees it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "geyser/error.hpp"
#include "geyser/unique_handle.hpp"

namespace geyser::vulkan::detail {

/// The object type's name, as NtQueryObject(ObjectTypeInformation) gives it ("Section",
/// "Event", "File"...). Validation naming `call` and `what` (what the handle should have
/// been) for an empty handle, one that is not open in this process (GetHandleInformation),
/// and one whose type cannot be read. `handle` stays the caller's.
[[nodiscard]] Result<std::string> win32_object_type(NativeHandle handle, std::string_view call,
                                                    std::string_view what);
/// "0x1a4", for messages.
[[nodiscard]] std::string win32_handle_text(NativeHandle handle);
/// False for the object types that are never a driver's exported memory (the OS's events,
/// semaphores, mutexes and timers, files and pipes, processes, threads, tokens, keys, ...);
/// true for sections and every other type, since what a driver exports is its own.
[[nodiscard]] bool could_be_memory(std::string_view type) noexcept;
/// The same for exported semaphores: false for sections (memory: a texture, a CPU
/// timeline), files and pipes, processes, threads, tokens, keys, ...; true for the rest.
[[nodiscard]] bool could_be_semaphore(std::string_view type) noexcept;
/// A section's size (NtQuerySection; Wine rounds it up to a page), or nothing when the
/// handle may not be queried.
[[nodiscard]] std::optional<std::uint64_t> section_size(NativeHandle handle) noexcept;

}  // namespace geyser::vulkan::detail
