// The parameters both streams announce: one fixed RGBA video format of the benchmark's
// size, memfd buffers of one tightly packed frame each, and a header meta.
#pragma once

#include <spa/pod/builder.h>

#include <cstdint>

#include "scenarios.hpp"

namespace geyser::bench::pipewire {

inline constexpr std::uint32_t kBytesPerPixel = 4;  // SPA_VIDEO_FORMAT_RGBA

/// EnumFormat: video/raw, RGBA, exactly `size`, variable frame rate.
[[nodiscard]] const spa_pod* video_format(spa_pod_builder& builder, Resolution size);

/// Buffers: 2 to 16 (8 preferred) of one block, `size` bytes, data type MemFd only.
[[nodiscard]] const spa_pod* memfd_buffers(spa_pod_builder& builder, Resolution size);

/// Meta: a spa_meta_header on every buffer (the producer stamps its pts).
[[nodiscard]] const spa_pod* header_meta(spa_pod_builder& builder);

/// The spa_data type's name, e.g. "MemFd".
[[nodiscard]] const char* data_type_name(std::uint32_t type) noexcept;

}  // namespace geyser::bench::pipewire
