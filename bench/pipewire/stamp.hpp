// What the producer writes at the start of every frame it queues: the CLOCK_MONOTONIC time
// of the queueing and the frame's number, which the consumer reads back.
#pragma once

#include <cstdint>

namespace geyser::bench::pipewire {

struct FrameStamp {
  std::uint64_t queued_ns = 0;  ///< monotonic_ns() just before pw_stream_queue_buffer
  std::uint64_t sequence = 0;   ///< 0, 1, 2, ... over warmup and timed frames
};

}  // namespace geyser::bench::pipewire
