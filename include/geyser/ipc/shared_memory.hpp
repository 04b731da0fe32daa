// SharedMemory moved to the core (geyser/shared_memory.hpp), so that CpuTimeline is built
// over it; the IPC layer's code keeps its spelling through these names.
#pragma once

#include "geyser/shared_memory.hpp"

namespace geyser::ipc {

using geyser::SharedAccess;
using geyser::SharedMemory;

}  // namespace geyser::ipc
