// The producer's own buffer memory (PW_STREAM_FLAG_ALLOC_BUFFERS): one sealed memfd per
// buffer, mapped here and handed to the consumer as SPA_DATA_MemFd.
#pragma once

#include <spa/buffer/buffer.h>

#include <cstddef>

#include "geyser/error.hpp"

namespace geyser::bench::pipewire {

/// Gives `plane` a memfd of `bytes`, mapped read-write. Unsupported when the link did not
/// allow MemFd for it, Internal (with errno) when a call fails.
[[nodiscard]] Result<void> attach_memfd(spa_data& plane, std::size_t bytes);

/// Unmaps and closes what attach_memfd gave `plane`; nothing when it gave nothing.
void release_memfd(spa_data& plane) noexcept;

}  // namespace geyser::bench::pipewire
