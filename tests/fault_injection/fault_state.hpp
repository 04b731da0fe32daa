// The fault-injection layer's state: which call fails, the log of a recording run, and the
// live object counts. Shared by the layer's call wrappers and its C control interface.
#pragma once

#include <vulkan/vulkan.h>

#include "fault_control.h"

namespace geyser::fault {

/// A new owner (instance or device) ordinal, in creation order from 0.
[[nodiscard]] int new_owner();

/// Counts a failable call `name` on `owner`: true when it is the armed one, which must then
/// return `error` without reaching the next layer.
[[nodiscard]] bool should_fail(int owner, const char* name, VkResult error);

/// Object accounting: a successful create, a destroy of a non-null handle.
void created(geyser_fault_kind kind);
void destroyed(geyser_fault_kind kind);

}  // namespace geyser::fault
