// Scenario d: device and host memory per channel and per receiver.
//
// Device bytes are the ring's allocation sizes. Host bytes are RSS deltas of the sender
// (publishing) and of a receiver (connecting, which imports every slot). On lavapipe the
// "device" memory is a memfd in host memory: the sender's pages count in its RssShmem once
// written, and a receiver's import maps the same memfd, so its pages show up in the
// receiver's RssShmem too once read, without a second copy: the proportional set size
// (Pss_Shmem) splits them between the processes that map them.
#include <set>
#include <type_traits>
#include <vector>

#include "control.hpp"
#include "geyser/ipc/socket.hpp"
#include "geyser/test_pattern.hpp"
#include "geyser/vulkan/receiver.hpp"
#include "geyser/vulkan/sender.hpp"
#include "process.hpp"
#include "scenarios.hpp"
#include "worker.hpp"

namespace geyser::bench {
namespace {

struct Shared {
  char errors[2][1024];
  MemoryRow row;
};
static_assert(std::is_trivially_destructible_v<MemorySnapshot>);

Result<void> sender_body(const Environment& env, Resolution res, const UniqueFd& ctl,
                         MemoryRow& row) {
  GEYSER_TRY(vulkan::Device device, make_device(env));
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(env.timeout);
  const TextureDescriptor desc{.width = res.width, .height = res.height};
  channel::SenderOptions options;
  options.runtime_dir = env.runtime_dir;
  row.slots = options.slots;
  row.frame_bytes = tight_size_bytes(desc);
  row.sender_before = memory_snapshot();
  GEYSER_TRY(channel::Sender sender,
             channel::Sender::publish(device, channel_name(env, "memory", 0), desc, options));
  row.sender_published = memory_snapshot();

  // Write every slot once (the oldest free slot comes next), summing the ring's allocations.
  std::vector<std::uint8_t> pixels(row.frame_bytes);
  fill_test_pattern(pixels, desc.width, desc.height, 4, 1);
  std::set<std::uint32_t> seen;
  for (std::uint32_t i = 0; i < 2 * options.slots && seen.size() < options.slots; ++i) {
    GEYSER_TRY(channel::SenderFrame frame, sender.acquire(2s));
    if (seen.insert(frame.slot).second) {
      row.ring_device_bytes += frame.texture->image_info().allocation_size;
    }
    GEYSER_TRY_VOID(vulkan::upload(*frame.texture, pixels));
    GEYSER_TRY_VOID(sender.present(frame));
  }
  pixels = {};
  row.sender_written = memory_snapshot();

  GEYSER_TRY_VOID(send_ctl(ctl, Ctl::Connect));
  const auto deadline = std::chrono::steady_clock::now() + env.timeout;
  while (sender.stats().receivers == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      return fail(ErrorCode::Timeout, "no receiver connected to " + sender.name());
    }
    GEYSER_TRY_VOID(sender.poll(5ms));
  }
  // One frame in each slot, so that the receiver reads every imported texture once.
  for (std::uint32_t i = 0; i < options.slots; ++i) {
    GEYSER_TRY(channel::SenderFrame frame, sender.acquire(2s));
    GEYSER_TRY_VOID(sender.present(frame));
    GEYSER_TRY_VOID(receive_ctl(ctl, Ctl::Released, timeout));
    GEYSER_TRY_VOID(sender.poll(0ms));
  }
  for (;;) {
    auto done = receive_ctl(ctl, Ctl::Done, 10ms);
    if (done) break;
    if (done.error().code() != ErrorCode::Timeout) return tl::unexpected(done.error());
    GEYSER_TRY_VOID(sender.poll(0ms));
  }
  return {};
}

Result<void> receiver_body(const Environment& env, const UniqueFd& ctl, MemoryRow& row) {
  GEYSER_TRY(vulkan::Device device, make_device(env));
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(env.timeout);
  GEYSER_TRY_VOID(receive_ctl(ctl, Ctl::Connect, timeout));
  row.receiver_before = memory_snapshot();
  channel::ReceiverOptions options;
  options.runtime_dir = env.runtime_dir;
  GEYSER_TRY(channel::Receiver receiver,
             channel::Receiver::connect(device, channel_name(env, "memory", 0), timeout, options));
  row.receiver_connected = memory_snapshot();
  for (std::uint32_t i = 0; i < row.slots; ++i) {
    GEYSER_TRY(channel::ReceivedFrame frame, receiver.acquire(timeout));
    GEYSER_TRY_VOID(vulkan::readback(*frame.texture));  // touches every page of the slot
    GEYSER_TRY_VOID(receiver.release());
    GEYSER_TRY_VOID(send_ctl(ctl, Ctl::Released));
  }
  // Taken while the sender still maps the ring, so that Pss shows the sharing.
  row.receiver_read = memory_snapshot();
  GEYSER_TRY_VOID(send_ctl(ctl, Ctl::Done));
  return {};
}

}  // namespace

Result<MemoryRow> run_memory(const Environment& env, Resolution resolution) {
  GEYSER_TRY(auto shared, SharedBlock<Shared>::create());
  shared->row.resolution = resolution;
  shared->row.slots = channel::SenderOptions{}.slots;
  GEYSER_TRY_VOID(run_worker_pair(
      shared->errors[0], shared->errors[1], "memory", env.timeout,
      [&](UniqueFd& socket) { return sender_body(env, resolution, socket, shared->row); },
      [&](UniqueFd& socket) { return receiver_body(env, socket, shared->row); }));
  return shared->row;
}

}  // namespace geyser::bench
