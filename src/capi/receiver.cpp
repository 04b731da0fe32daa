// geyser_receiver_*: connect by API, acquire (the part of a frame every API has, from the
// channel core), release, state, stats, and views that keep a frame's memory.
#include "receiver.hpp"

#include <algorithm>
#include <cstddef>

#include "dlpack.hpp"
#include "options_init.hpp"
#include "status.hpp"

namespace geyser::capi {

Result<void> ReceiverEnd::cuda_wait(void*) {
  return not_cuda("geyser_receiver_cuda_wait");
}
Result<CudaRows> ReceiverEnd::cuda_rows() {
  return not_cuda("geyser_receiver_cuda_rows");
}
Result<const void*> ReceiverEnd::host_data() {
  return fail(ErrorCode::Validation, "the frame is not a host frame (a host receiver's)");
}
tl::unexpected<Error> ReceiverEnd::not_cuda(const char* what) {
  return fail(ErrorCode::Validation, std::string(what) + ": the receiver is not a CUDA one");
}

std::chrono::milliseconds millis(std::int32_t timeout_ms) noexcept {
  return std::chrono::milliseconds(std::max<std::int32_t>(timeout_ms, 0));
}

namespace {

// spin_us (C API version 5), when the caller's struct_size covers it: -1 keeps the default.
// On 64-bit targets a version-4 struct_size covers it too (it lies in that struct's tail
// padding), which holds -1 when the caller used geyser_receiver_options_init.
Result<void> read_spin(const geyser_receiver_options& options, channel::ReceiverOptions& out) {
  const std::size_t end = offsetof(geyser_receiver_options, spin_us) + sizeof(options.spin_us);
  if (options.struct_size < end || options.spin_us == -1) return {};
  if (options.spin_us < -1 || options.spin_us > GEYSER_RECEIVER_MAX_SPIN_US) {
    return fail(ErrorCode::Validation,
                "geyser_receiver_options: spin_us " + std::to_string(options.spin_us) +
                    " is out of range (-1: the default, 0: off, at most " +
                    std::to_string(GEYSER_RECEIVER_MAX_SPIN_US) +
                    " microseconds; fill the struct with geyser_receiver_options_init)");
  }
  out.spin = std::chrono::microseconds(options.spin_us);
  return {};
}

Result<channel::ReceiverOptions> receiver_options(const geyser_receiver_options* options) {
  channel::ReceiverOptions out;
  if (options == nullptr) return out;
  // Callers built against version 4 end the struct before `spin_us`.
  GEYSER_TRY_VOID(require_size(options->struct_size, offsetof(geyser_receiver_options, spin_us),
                               "geyser_receiver_options"));
  if (options->runtime_dir != nullptr) out.runtime_dir = options->runtime_dir;
  switch (options->transfer) {
    case GEYSER_TRANSFER_AUTO: out.transfer = TransferRequest::Auto; break;
    case GEYSER_TRANSFER_DEVICE: out.transfer = TransferRequest::Device; break;
    case GEYSER_TRANSFER_HOST: out.transfer = TransferRequest::Host; break;
    default:
      return fail(ErrorCode::Validation, "geyser_receiver_options: transfer " +
                                             std::to_string(options->transfer) +
                                             " is not a geyser_transfer");
  }
  if (options->handshake_timeout_ms >= 0) {
    out.handshake_timeout = std::chrono::milliseconds(options->handshake_timeout_ms);
  }
  if (options->gpu_timeout_ms >= 0)
    out.gpu_timeout = std::chrono::milliseconds(options->gpu_timeout_ms);
  GEYSER_TRY_VOID(read_spin(*options, out));
  return out;
}

Result<void> connect(const char* name, geyser_api api, const geyser_receiver_options* options,
                     std::int32_t timeout_ms, geyser_receiver** out) {
  GEYSER_TRY_VOID(require(out, "out"));
  *out = nullptr;
  GEYSER_TRY_VOID(require(name, "name"));
  GEYSER_TRY(const channel::ReceiverOptions opts, receiver_options(options));
  const geyser_device* device = options != nullptr ? options->device : nullptr;
  const auto timeout = millis(timeout_ms);
  Result<std::unique_ptr<ReceiverEnd>> end =
      fail(ErrorCode::Validation,
           "geyser_receiver_connect: api " + std::to_string(api) + " is not an API");
  switch (api) {
    case GEYSER_API_HOST: end = connect_host(name, timeout, opts); break;
    case GEYSER_API_VULKAN: end = connect_vulkan(device, name, timeout, opts); break;
    case GEYSER_API_OPENGL: end = connect_opengl(name, timeout, opts); break;
    case GEYSER_API_CUDA: end = connect_cuda(device, name, timeout, opts); break;
  }
  GEYSER_TRY(auto connected, std::move(end));
  *out = new geyser_receiver{std::move(connected)};
  return {};
}

// What every frame has: numbers, size, tiling and metadata from the core's held lease.
void fill_common(channel::ReceiverCore& core, geyser_frame& out) {
  const channel::FrameLease& lease = *core.held();
  const TextureDescriptor& desc = core.descriptor();
  const channel::ReceiverStats stats = core.stats();
  out.frame = lease.frame;
  out.generation = lease.generation;
  out.timestamp_ns = lease.timestamp_ns;
  out.connection = lease.connection;
  out.width = desc.width;
  out.height = desc.height;
  out.format = static_cast<geyser_format>(desc.format);
  out.tiling = stats.tiling == Tiling::Linear ? GEYSER_TILING_LINEAR : GEYSER_TILING_OPTIMAL;
  out.row_pitch = stats.row_pitch;
  out.metadata = lease.metadata.empty() ? nullptr : lease.metadata.data();
  out.metadata_size = static_cast<std::uint32_t>(lease.metadata.size());
}

Result<void> acquire(geyser_receiver* receiver, std::int32_t timeout_ms, geyser_frame* out) {
  GEYSER_TRY_VOID(require(receiver, "receiver"));
  GEYSER_TRY_VOID(require(out, "out"));
  GEYSER_TRY_VOID(require_size(out->struct_size, sizeof(geyser_frame), "geyser_frame"));
  const std::uint32_t size = out->struct_size;
  *out = geyser_frame{};
  out->struct_size = size;
  GEYSER_TRY_VOID(receiver->end->acquire(millis(timeout_ms), *out));
  fill_common(receiver->end->core(), *out);
  return {};
}

Result<std::shared_ptr<void>> held_memory(geyser_receiver* receiver) {
  GEYSER_TRY_VOID(require(receiver, "receiver"));
  const channel::FrameLease* lease = receiver->end->core().held();
  if (lease == nullptr) return fail(ErrorCode::Validation, "the receiver holds no frame");
  return std::shared_ptr<void>(lease->slot_import);
}

Result<void> retain(geyser_receiver* receiver, geyser_memory_ref** out) {
  GEYSER_TRY_VOID(require(out, "out"));
  *out = nullptr;
  GEYSER_TRY(auto memory, held_memory(receiver));
  std::shared_ptr<void> extra;
  if (auto rows = receiver->end->cuda_rows()) extra = rows->owner;
  *out = new geyser_memory_ref{std::move(memory), std::move(extra)};
  return {};
}

Result<void> to_dlpack(geyser_receiver* receiver, void* stream, void** out) {
  GEYSER_TRY_VOID(require(out, "managed_tensor"));
  *out = nullptr;
  GEYSER_TRY(auto memory, held_memory(receiver));
  channel::ReceiverCore& core = receiver->end->core();
  const TextureDescriptor& desc = core.descriptor();
  RowView view{nullptr, {}, desc.width, desc.height, desc.format, core.stats().row_pitch};
  std::shared_ptr<void> extra;
  if (auto host = receiver->end->host_data()) {
    view.data = const_cast<void*>(*host);
    view.device = DLDevice{kDLCPU, 0};
  } else {
    GEYSER_TRY(CudaRows rows, receiver->end->cuda_rows());
    GEYSER_TRY_VOID(receiver->end->cuda_wait(stream));
    view.data = reinterpret_cast<void*>(rows.data);
    view.device = DLDevice{kDLCUDA, rows.device_ordinal};
    view.row_pitch = rows.row_pitch;
    extra = std::move(rows.owner);
  }
  auto keep =
      std::make_shared<geyser_memory_ref>(geyser_memory_ref{std::move(memory), std::move(extra)});
  GEYSER_TRY(DLManagedTensor * tensor, make_tensor(view, std::move(keep)));
  *out = tensor;
  return {};
}

Result<void> stats(const geyser_receiver* receiver, geyser_receiver_stats* out) {
  GEYSER_TRY_VOID(require(receiver, "receiver"));
  GEYSER_TRY_VOID(require(out, "out"));
  GEYSER_TRY_VOID(
      require_size(out->struct_size, sizeof(geyser_receiver_stats), "geyser_receiver_stats"));
  const channel::ReceiverStats s = receiver->end->core().stats();
  const std::uint32_t size = out->struct_size;
  *out = geyser_receiver_stats{};
  out->struct_size = size;
  out->frames_acquired = s.frames_acquired;
  out->frames_skipped = s.frames_skipped;
  out->reconnects = s.reconnects;
  out->imports = s.imports;
  out->gpu_sync = s.sync_mode == SyncMode::Gpu ? 1 : 0;
  out->host_frames = s.transfer == Transfer::Host ? 1 : 0;
  out->tiling = s.tiling == Tiling::Linear ? GEYSER_TILING_LINEAR : GEYSER_TILING_OPTIMAL;
  out->row_pitch = s.row_pitch;
  return {};
}

// geyser_receiver_options before version 5's spin_us (versions 1 to 4, which never changed
// it), as a compiler laid it out: ending after gpu_timeout_ms, rounded up to the struct's
// alignment (a pointer's; spin_us does not change it). That is the smallest struct_size an
// init accepts: 40 bytes on 64-bit targets, where spin_us lies in this struct's tail
// padding so version 4's size equals version 5's, and 24 on 32-bit ones, where spin_us
// ends past it. (Connecting accepts offsetof(spin_us) and up, 36 on 64-bit targets, which a
// caller may have written by hand; an init is given a compiler's sizeof, never below this.)
constexpr std::size_t kReceiverOptionsV1Size =
    round_up(offsetof(geyser_receiver_options, gpu_timeout_ms) + sizeof(std::int32_t),
             alignof(geyser_receiver_options));
static_assert(kReceiverOptionsV1Size == round_up(offsetof(geyser_receiver_options, spin_us),
                                                 alignof(geyser_receiver_options)));
// ... and as version 5 laid it out (ending after spin_us): what the old
// geyser_receiver_options_init symbol writes. Version 6 appended nothing; a field appended
// later must not change it.
constexpr std::size_t kReceiverOptionsV5Size =
    round_up(offsetof(geyser_receiver_options, spin_us) + sizeof(std::int32_t),
             alignof(geyser_receiver_options));
static_assert(kReceiverOptionsV5Size == sizeof(geyser_receiver_options),
              "version 6 appends no receiver option");

// Zeros the first min(size, sizeof) bytes of *options, sets struct_size to their number and
// the defaults that lie wholly in them (transfer AUTO, which is 0; the timeouts and spin_us
// -1). Touches no error state.
void fill_options(geyser_receiver_options* options, std::size_t size) noexcept {
  size = zero_prefix(options, size, sizeof(geyser_receiver_options));
  const geyser_transfer transfer = GEYSER_TRANSFER_AUTO;
  const std::int32_t unset = -1;
  put_default(options, size, offsetof(geyser_receiver_options, transfer), transfer);
  put_default(options, size, offsetof(geyser_receiver_options, handshake_timeout_ms), unset);
  put_default(options, size, offsetof(geyser_receiver_options, gpu_timeout_ms), unset);
  put_default(options, size, offsetof(geyser_receiver_options, spin_us), unset);
}

}  // namespace
}  // namespace geyser::capi

using namespace geyser::capi;

extern "C" {

GEYSER_API geyser_status geyser_receiver_options_init_sized(geyser_receiver_options* options,
                                                            size_t struct_size) {
  return guard([&]() -> geyser::Result<void> {
    GEYSER_TRY_VOID(require_init(options, struct_size, kReceiverOptionsV1Size,
                                 "geyser_receiver_options_init_sized"));
    fill_options(options, struct_size);
    return {};
  });
}

// The symbol of C API versions 1 to 5 (geyser.h now makes the name a macro over the sized
// init): binaries built with those headers call it, and it writes the version-5 struct, as
// it always did. The parentheses keep the macro from expanding.
GEYSER_API void(geyser_receiver_options_init)(geyser_receiver_options* options) {
  if (options == nullptr) return;
  fill_options(options, kReceiverOptionsV5Size);
}

GEYSER_API geyser_status geyser_receiver_connect(const char* name, geyser_api api,
                                                 const geyser_receiver_options* options,
                                                 int32_t timeout_ms, geyser_receiver** out) {
  return guard([&] { return connect(name, api, options, timeout_ms, out); });
}

GEYSER_API void geyser_receiver_destroy(geyser_receiver* receiver) {
  delete receiver;
}

GEYSER_API geyser_status geyser_receiver_acquire(geyser_receiver* receiver, int32_t timeout_ms,
                                                 geyser_frame* out) {
  return guard([&] { return acquire(receiver, timeout_ms, out); });
}

GEYSER_API geyser_status geyser_receiver_release(geyser_receiver* receiver) {
  return guard([&]() -> geyser::Result<void> {
    GEYSER_TRY_VOID(require(receiver, "receiver"));
    return receiver->end->release();
  });
}

GEYSER_API geyser_receiver_state geyser_receiver_get_state(const geyser_receiver* receiver) {
  if (receiver == nullptr) return GEYSER_RECEIVER_DISCONNECTED;
  switch (receiver->end->core().state()) {
    case geyser::channel::ReceiverState::Connected: return GEYSER_RECEIVER_CONNECTED;
    case geyser::channel::ReceiverState::Waiting: return GEYSER_RECEIVER_WAITING;
    case geyser::channel::ReceiverState::Disconnected: return GEYSER_RECEIVER_DISCONNECTED;
  }
  return GEYSER_RECEIVER_DISCONNECTED;
}

GEYSER_API int geyser_receiver_event_fd(const geyser_receiver* receiver) {
  return receiver == nullptr ? -1 : receiver->end->core().native_event_handle();
}

GEYSER_API geyser_status geyser_receiver_get_stats(const geyser_receiver* receiver,
                                                   geyser_receiver_stats* out) {
  return guard([&] { return stats(receiver, out); });
}

GEYSER_API geyser_status geyser_receiver_cuda_wait(geyser_receiver* receiver, void* stream) {
  return guard([&]() -> geyser::Result<void> {
    GEYSER_TRY_VOID(require(receiver, "receiver"));
    return receiver->end->cuda_wait(stream);
  });
}

GEYSER_API geyser_status geyser_receiver_cuda_rows(geyser_receiver* receiver, uint64_t* data,
                                                   uint64_t* row_pitch) {
  return guard([&]() -> geyser::Result<void> {
    GEYSER_TRY_VOID(require(receiver, "receiver"));
    GEYSER_TRY_VOID(require(data, "data"));
    GEYSER_TRY_VOID(require(row_pitch, "row_pitch"));
    GEYSER_TRY(CudaRows rows, receiver->end->cuda_rows());
    *data = rows.data;
    *row_pitch = rows.row_pitch;
    return {};
  });
}

GEYSER_API geyser_status geyser_receiver_retain_memory(geyser_receiver* receiver,
                                                       geyser_memory_ref** out) {
  return guard([&] { return retain(receiver, out); });
}

GEYSER_API void geyser_memory_ref_free(geyser_memory_ref* ref) {
  delete ref;
}

GEYSER_API geyser_status geyser_receiver_dlpack(geyser_receiver* receiver, void* stream,
                                                void** managed_tensor) {
  return guard([&] { return to_dlpack(receiver, stream, managed_tensor); });
}

}  // extern "C"
