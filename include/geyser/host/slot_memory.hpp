// Mapping the host slots of a stream (docs/host-frames.md), for every receiver that takes
// host frames: the host backend, and GPU receivers that upload them into their own device.
#pragma once

#include "geyser/channel/backend.hpp"
#include "geyser/error.hpp"
#include "geyser/ipc/shared_memory.hpp"

namespace geyser::host {

/// Maps `slot`'s memory read-only, consuming its handle. Unsupported for anything but
/// MemoryHandleType::HostMemfd; Validation for memory that is not a memfd of exactly the
/// announced size sealed against resizing and against writable mappings (a hostile sender
/// could otherwise shrink it under our reads, or another receiver write it), or that is
/// too small for its rows.
[[nodiscard]] Result<ipc::SharedMemory> map_slot(channel::SlotImport& slot);

}  // namespace geyser::host
