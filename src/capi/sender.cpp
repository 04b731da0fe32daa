// geyser_sender_*: publish by API, the slot cycle (acquire, present, cancel), writes from
// host memory, device memory and DLPack tensors, poll, event fd and stats.
#include "sender.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <vector>

#include "dlpack.hpp"
#include "geyser/format.hpp"
#include "options_init.hpp"
#include "receiver.hpp"
#include "status.hpp"

namespace geyser::capi {

Result<std::uint64_t> SenderEnd::write_cuda(std::uint64_t, std::uint64_t, void*,
                                            std::chrono::milliseconds) {
  return fail(ErrorCode::Unsupported,
              "writing from CUDA memory needs a CUDA sender (GEYSER_API_CUDA)");
}

Result<PresentSignals> SenderEnd::vk_present_signals(const geyser_slot&) {
  return fail(ErrorCode::Unsupported,
              "present signals are Vulkan semaphores: they need a Vulkan sender "
              "(GEYSER_API_VULKAN)");
}

namespace {

Result<channel::SenderOptions> sender_options(const geyser_sender_options* options) {
  channel::SenderOptions out;
  if (options == nullptr) return out;
  GEYSER_TRY_VOID(
      require_size(options->struct_size, sizeof(geyser_sender_options), "geyser_sender_options"));
  if (options->runtime_dir != nullptr) out.runtime_dir = options->runtime_dir;
  if (options->slots != 0) out.slots = options->slots;
  if (options->tiling != GEYSER_TILING_OPTIMAL && options->tiling != GEYSER_TILING_LINEAR) {
    return fail(ErrorCode::Validation, "geyser_sender_options: tiling " +
                                           std::to_string(options->tiling) + " is not a tiling");
  }
  out.tiling = options->tiling == GEYSER_TILING_LINEAR ? Tiling::Linear : Tiling::Optimal;
  if (options->max_receivers != 0) out.max_receivers = options->max_receivers;
  if (options->gpu_timeout_ms >= 0)
    out.gpu_timeout = std::chrono::milliseconds(options->gpu_timeout_ms);
  return out;
}

// Sets desc's size and format; Validation for a value outside the format enum.
Result<void> describe(std::uint32_t width, std::uint32_t height, geyser_format format,
                      TextureDescriptor& desc) {
  if (static_cast<std::size_t>(format) >= all_formats().size()) {
    return fail(ErrorCode::Validation,
                "geyser_format " + std::to_string(format) + " is not a format");
  }
  desc.width = width;
  desc.height = height;
  desc.format = static_cast<TextureFormat>(format);
  return {};
}

Result<void> publish(const char* name, geyser_api api, std::uint32_t width, std::uint32_t height,
                     geyser_format format, const geyser_sender_options* options,
                     geyser_sender** out) {
  GEYSER_TRY_VOID(require(out, "out"));
  *out = nullptr;
  GEYSER_TRY_VOID(require(name, "name"));
  GEYSER_TRY(const channel::SenderOptions opts, sender_options(options));
  TextureDescriptor desc;
  GEYSER_TRY_VOID(describe(width, height, format, desc));
  const geyser_device* device = options != nullptr ? options->device : nullptr;
  Result<std::unique_ptr<SenderEnd>> end =
      fail(ErrorCode::Validation, "geyser_sender_publish: api " + std::to_string(api) +
                                      " cannot send (HOST, VULKAN, OPENGL or CUDA)");
  if (api == GEYSER_API_HOST) end = publish_host(device, name, desc, opts);
  if (api == GEYSER_API_VULKAN) end = publish_vulkan(device, name, desc, opts);
  if (api == GEYSER_API_OPENGL) end = publish_opengl(name, desc, opts);
  if (api == GEYSER_API_CUDA) end = publish_cuda(device, name, desc, opts);
  GEYSER_TRY(auto published, std::move(end));
  *out = new geyser_sender{std::move(published)};
  return {};
}

// A frame's packed size, and Validation for a pitch below a packed row.
Result<std::size_t> packed_row(const TextureDescriptor& desc, std::size_t row_pitch) {
  const std::size_t row = std::size_t{desc.width} * format_info(desc.format).texel_size;
  if (row_pitch != 0 && row_pitch < row) {
    return fail(ErrorCode::Validation,
                "a row pitch of " + std::to_string(row_pitch) + " bytes is less than a row of " +
                    std::to_string(desc.width) + " texels (" + std::to_string(row) + " bytes)");
  }
  return row;
}

Result<std::uint64_t> write_host(SenderEnd& end, const void* data, std::size_t row_pitch,
                                 std::chrono::milliseconds timeout) {
  GEYSER_TRY_VOID(require(data, "data"));
  const TextureDescriptor& desc = end.core().descriptor();
  GEYSER_TRY(const std::size_t row, packed_row(desc, row_pitch));
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  if (row_pitch == 0 || row_pitch == row) return end.write({bytes, row * desc.height}, timeout);
  std::vector<std::uint8_t> packed(row * desc.height);
  for (std::uint32_t y = 0; y < desc.height; ++y) {
    std::memcpy(packed.data() + y * row, bytes + y * row_pitch, row);
  }
  return end.write(packed, timeout);
}

Result<std::uint64_t> write_tensor(SenderEnd& end, void* managed, void* stream,
                                   std::chrono::milliseconds timeout) {
  GEYSER_TRY_VOID(require(managed, "managed_tensor"));
  auto* tensor = static_cast<DLManagedTensor*>(managed);
  const TensorOwner owner(tensor);  // the deleter runs last, after the copy was queued
  const TextureDescriptor& desc = end.core().descriptor();
  GEYSER_TRY(TensorRows rows, tensor_rows(tensor->dl_tensor, desc.width, desc.height, desc.format));
  switch (rows.device.device_type) {
    case kDLCPU:
    case kDLCUDAHost: return write_host(end, rows.data, rows.row_pitch, timeout);
    case kDLCUDA:
    case kDLCUDAManaged:
      return end.write_cuda(reinterpret_cast<std::uint64_t>(rows.data), rows.row_pitch, stream,
                            timeout);
    default:
      return fail(ErrorCode::Unsupported, "a DLPack tensor on device type " +
                                              std::to_string(rows.device.device_type) +
                                              " (kDLCPU or kDLCUDA only)");
  }
}

// Runs a write and stores its frame number.
template <typename Write>
Result<void> written(geyser_sender* sender, std::uint64_t* frame, Write&& write) {
  GEYSER_TRY_VOID(require(sender, "sender"));
  GEYSER_TRY(const std::uint64_t number, write(*sender->end));
  if (frame != nullptr) *frame = number;
  return {};
}

geyser_sender_stats stats_of(const channel::SenderStats& s) {
  geyser_sender_stats out{};
  out.frames = s.frames;
  out.fps = s.fps;
  out.receivers = s.receivers;
  out.host_receivers = s.host_receivers;
  out.generation = s.generation;
  out.gpu_sync = s.sync_mode == SyncMode::Gpu ? 1 : 0;
  out.dropped_connections = s.dropped_connections;
  out.wakes_skipped = s.wakes_skipped;
  return out;
}

Result<void> stats(const geyser_sender* sender, geyser_sender_stats* out) {
  GEYSER_TRY_VOID(require(sender, "sender"));
  GEYSER_TRY_VOID(require(out, "out"));
  // A version-4 caller's stats end before wakes_skipped: only its own fields are written.
  GEYSER_TRY_VOID(require_size(out->struct_size, offsetof(geyser_sender_stats, wakes_skipped),
                               "geyser_sender_stats"));
  geyser_sender_stats filled = stats_of(sender->end->core().stats());
  filled.struct_size = out->struct_size;
  std::memcpy(out, &filled, std::min<std::size_t>(filled.struct_size, sizeof filled));
  return {};
}

// geyser_sender_options has had the same fields since C API version 1: its size then is both
// the smallest struct_size an init accepts (as publish requires) and what the old
// geyser_sender_options_init symbol writes (the version-5 struct). A field appended later
// must change neither.
constexpr std::size_t kSenderOptionsV1Size =
    round_up(offsetof(geyser_sender_options, gpu_timeout_ms) + sizeof(std::int32_t),
             alignof(geyser_sender_options));
constexpr std::size_t kSenderOptionsV5Size = kSenderOptionsV1Size;
static_assert(kSenderOptionsV1Size == sizeof(geyser_sender_options),
              "version 6 appends no sender option");

// Zeros the first min(size, sizeof) bytes of *options, sets struct_size to their number and
// the defaults that lie wholly in them (gpu_timeout_ms -1; slots and max_receivers 0, their
// defaults; tiling OPTIMAL). Touches no error state.
void fill_options(geyser_sender_options* options, std::size_t size) noexcept {
  size = zero_prefix(options, size, sizeof(geyser_sender_options));
  const std::int32_t unset = -1;
  put_default(options, size, offsetof(geyser_sender_options, gpu_timeout_ms), unset);
}

}  // namespace
}  // namespace geyser::capi

using namespace geyser::capi;

extern "C" {

GEYSER_API geyser_status geyser_sender_options_init_sized(geyser_sender_options* options,
                                                          size_t struct_size) {
  return guard([&]() -> geyser::Result<void> {
    GEYSER_TRY_VOID(require_init(options, struct_size, kSenderOptionsV1Size,
                                 "geyser_sender_options_init_sized"));
    fill_options(options, struct_size);
    return {};
  });
}

// The symbol of C API versions 1 to 5 (geyser.h now makes the name a macro over the sized
// init): binaries built with those headers call it, and it writes the version-5 struct, as
// it always did. The parentheses keep the macro from expanding.
GEYSER_API void(geyser_sender_options_init)(geyser_sender_options* options) {
  if (options == nullptr) return;
  fill_options(options, kSenderOptionsV5Size);
}

GEYSER_API geyser_status geyser_sender_publish(const char* name, geyser_api api, uint32_t width,
                                               uint32_t height, geyser_format format,
                                               const geyser_sender_options* options,
                                               geyser_sender** out) {
  return guard([&] { return publish(name, api, width, height, format, options, out); });
}

GEYSER_API void geyser_sender_destroy(geyser_sender* sender) {
  delete sender;
}

GEYSER_API geyser_status geyser_sender_resize(geyser_sender* sender, uint32_t width,
                                              uint32_t height, geyser_format format) {
  return guard([&]() -> geyser::Result<void> {
    GEYSER_TRY_VOID(require(sender, "sender"));
    geyser::TextureDescriptor desc = sender->end->core().descriptor();
    GEYSER_TRY_VOID(describe(width, height, format, desc));
    return sender->end->resize(desc);
  });
}

GEYSER_API geyser_status geyser_sender_acquire(geyser_sender* sender, int32_t timeout_ms,
                                               geyser_slot* out) {
  return guard([&]() -> geyser::Result<void> {
    GEYSER_TRY_VOID(require(sender, "sender"));
    GEYSER_TRY_VOID(require(out, "out"));
    // A version-2 caller's slot ends before host_data: only its own fields are written.
    GEYSER_TRY_VOID(
        require_size(out->struct_size, offsetof(geyser_slot, host_data), "geyser_slot"));
    geyser_slot slot{};
    slot.struct_size = out->struct_size;
    GEYSER_TRY_VOID(sender->end->acquire(millis(timeout_ms), slot));
    std::memcpy(out, &slot, std::min<std::size_t>(slot.struct_size, sizeof slot));
    return {};
  });
}

GEYSER_API geyser_status geyser_sender_present(geyser_sender* sender, const geyser_slot* slot,
                                               const void* metadata, size_t metadata_size) {
  return guard([&]() -> geyser::Result<void> {
    GEYSER_TRY_VOID(require(sender, "sender"));
    GEYSER_TRY_VOID(require(slot, "slot"));
    if (metadata_size > 0) GEYSER_TRY_VOID(require(metadata, "metadata"));
    return sender->end->present(*slot, {static_cast<const std::uint8_t*>(metadata), metadata_size});
  });
}

GEYSER_API geyser_status geyser_sender_vk_present_signals(geyser_sender* sender,
                                                          const geyser_slot* slot,
                                                          const void** signals, uint32_t* count) {
  return guard([&]() -> geyser::Result<void> {
    GEYSER_TRY_VOID(require(signals, "signals"));
    GEYSER_TRY_VOID(require(count, "count"));
    *signals = nullptr;
    *count = 0;
    GEYSER_TRY_VOID(require(sender, "sender"));
    GEYSER_TRY_VOID(require(slot, "slot"));
    GEYSER_TRY(const PresentSignals got, sender->end->vk_present_signals(*slot));
    *signals = got.infos;
    *count = got.count;
    return {};
  });
}

GEYSER_API void geyser_sender_cancel(geyser_sender* sender, const geyser_slot* slot) {
  if (sender != nullptr && slot != nullptr) sender->end->cancel(*slot);
}

GEYSER_API geyser_status geyser_sender_write(geyser_sender* sender, const void* data,
                                             size_t row_pitch, int32_t timeout_ms,
                                             uint64_t* frame) {
  return guard([&] {
    return written(sender, frame, [&](SenderEnd& end) {
      return write_host(end, data, row_pitch, millis(timeout_ms));
    });
  });
}

GEYSER_API geyser_status geyser_sender_write_cuda(geyser_sender* sender, uint64_t data,
                                                  size_t row_pitch, void* stream,
                                                  int32_t timeout_ms, uint64_t* frame) {
  return guard([&] {
    return written(sender, frame, [&](SenderEnd& end) -> geyser::Result<std::uint64_t> {
      GEYSER_TRY(const std::size_t row, packed_row(end.core().descriptor(), row_pitch));
      return end.write_cuda(data, row_pitch == 0 ? row : row_pitch, stream, millis(timeout_ms));
    });
  });
}

GEYSER_API geyser_status geyser_sender_write_dlpack(geyser_sender* sender, void* managed_tensor,
                                                    void* stream, int32_t timeout_ms,
                                                    uint64_t* frame) {
  return guard([&]() -> geyser::Result<void> {
    if (sender == nullptr) {
      const TensorOwner owner(static_cast<DLManagedTensor*>(managed_tensor));
      return require(sender, "sender");
    }
    return written(sender, frame, [&](SenderEnd& end) {
      return write_tensor(end, managed_tensor, stream, millis(timeout_ms));
    });
  });
}

GEYSER_API geyser_status geyser_sender_poll(geyser_sender* sender, int32_t timeout_ms) {
  return guard([&]() -> geyser::Result<void> {
    GEYSER_TRY_VOID(require(sender, "sender"));
    return sender->end->core().poll(millis(timeout_ms));
  });
}

GEYSER_API int geyser_sender_event_fd(const geyser_sender* sender) {
  return sender == nullptr ? -1 : sender->end->core().native_event_handle();
}

GEYSER_API geyser_status geyser_sender_get_stats(const geyser_sender* sender,
                                                 geyser_sender_stats* out) {
  return guard([&] { return stats(sender, out); });
}

}  // extern "C"
