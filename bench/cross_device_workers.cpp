// The cross-device scenario's processes of one size. The sender presents one frame at a
// time on each mode's channel in turn (the order swapping every frame), each slot written
// with the test pattern of its frame number before it is presented (untimed), and waits
// for that channel's receiver to release it: every sample is one uncontended transfer, and
// the receiver gets every frame. Each receiver reads every frame back and checks it.
#include "cross_device_workers.hpp"

#include <sys/types.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "control.hpp"
#include "geyser/ipc/socket.hpp"
#include "geyser/test_pattern.hpp"
#include "geyser/transfer.hpp"
#include "geyser/vulkan/device_select.hpp"
#include "geyser/vulkan/receiver.hpp"
#include "geyser/vulkan/sender.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"
#include "process.hpp"
#include "worker.hpp"

namespace geyser::bench {
namespace {

std::string channel(const Environment& env, std::size_t m) {
  return channel_name(env, "cross_device", m);
}

std::chrono::milliseconds millis(std::chrono::seconds s) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(s);
}

TextureDescriptor descriptor(const CrossRun& run) {
  return {.width = run.resolution.width, .height = run.resolution.height};
}

// Writes the test pattern of the frame's number into its slot; upload waits for its copy,
// so the write is done before present() stamps the frame.
Result<void> write_pattern(vulkan::Sender& sender, const vulkan::SenderFrame& frame,
                           const TextureDescriptor& desc, std::vector<std::uint8_t>& pixels) {
  fill_test_pattern(pixels, desc.width, desc.height, 4, frame.frame);
  if (auto uploaded = vulkan::upload(*frame.texture, pixels); !uploaded) {
    sender.cancel(frame);
    return tl::unexpected(uploaded.error());
  }
  return {};
}

Result<void> present_pattern(vulkan::Sender& sender, const TextureDescriptor& desc,
                             std::vector<std::uint8_t>& pixels, std::chrono::milliseconds timeout) {
  GEYSER_TRY(vulkan::SenderFrame frame, sender.acquire(timeout));
  GEYSER_TRY_VOID(write_pattern(sender, frame, desc, pixels));
  return sender.present(frame);
}

// Channel m's receiver connects and takes a first frame, untimed, so that the timed ones
// find its slots imported (and, for host frames, the host ring made).
Result<void> connect_receiver(const Environment& env, vulkan::Sender& sender, std::size_t m,
                              const UniqueFd& ctl, const TextureDescriptor& desc,
                              std::vector<std::uint8_t>& pixels) {
  const auto timeout = millis(env.timeout);
  GEYSER_TRY_VOID(send_ctl(ctl, Ctl::Connect, static_cast<std::uint32_t>(m)));
  const auto deadline = std::chrono::steady_clock::now() + env.timeout;
  while (sender.stats().receivers < 1) {
    if (std::chrono::steady_clock::now() > deadline) {
      return fail(ErrorCode::Timeout, "cross_device: no receiver connected to " + sender.name());
    }
    GEYSER_TRY_VOID(sender.poll(5ms));
  }
  GEYSER_TRY_VOID(present_pattern(sender, desc, pixels, timeout));
  GEYSER_TRY_VOID(receive_ctl(ctl, Ctl::Connected, timeout));
  return sender.poll(0ms);
}

// The receivers disconnect first, so that the senders' teardown is not timed by anyone.
Result<void> wait_receivers_done(std::span<const UniqueFd* const> ctl,
                                 std::span<std::optional<vulkan::Sender>> senders) {
  for (const UniqueFd* socket : ctl) {
    for (;;) {
      auto done = receive_ctl(*socket, Ctl::Done, 10ms);
      if (done) break;
      if (done.error().code() != ErrorCode::Timeout) return tl::unexpected(done.error());
      for (auto& sender : senders) GEYSER_TRY_VOID(sender->poll(0ms));
    }
  }
  return {};
}

Result<void> sender_body(const Environment& env, const CrossRun& run,
                         std::span<const UniqueFd* const, kCrossModeCount> ctl,
                         CrossShared& shared) {
  GEYSER_TRY(vulkan::Device device, open_cross_device(env.device));
  const auto timeout = millis(env.timeout);
  const TextureDescriptor desc = descriptor(run);
  std::vector<std::uint8_t> pixels(tight_size_bytes(desc));
  std::optional<vulkan::Sender> senders[kCrossModeCount];
  channel::SenderOptions options;
  options.runtime_dir = env.runtime_dir;
  for (std::size_t m = 0; m < kCrossModeCount; ++m) {
    GEYSER_TRY(vulkan::Sender sender,
               vulkan::Sender::publish(device, channel(env, m), desc, options));
    senders[m].emplace(std::move(sender));
    GEYSER_TRY_VOID(connect_receiver(env, *senders[m], m, *ctl[m], desc, pixels));
  }
  std::uint32_t waits[kCrossModeCount] = {};
  for (std::uint32_t i = 0; i < run.frames(); ++i) {
    for (std::size_t j = 0; j < kCrossModeCount; ++j) {
      const std::size_t m = (i + j) % kCrossModeCount;  // no mode always follows the other
      vulkan::Sender& sender = *senders[m];
      GEYSER_TRY(vulkan::SenderFrame frame, sender.acquire(timeout));
      GEYSER_TRY_VOID(write_pattern(sender, frame, desc, pixels));
      GEYSER_TRY_VOID(let_receiver_sleep(shared.blocking[m], ++waits[m], timeout));
      GEYSER_TRY_VOID(sender.present(frame));
      GEYSER_TRY_VOID(receive_ctl(*ctl[m], Ctl::Released, timeout));
      GEYSER_TRY_VOID(sender.poll(0ms));
    }
  }
  GEYSER_TRY_VOID(wait_receivers_done(ctl, senders));
  return check_no_validation_messages("cross_device sender");
}

// What receiver m asks for: zero-copy only, or host frames: forced on the sender's own
// device, negotiated (Auto) on another, where the UUIDs differ.
TransferRequest transfer_request(const CrossRun& run, std::size_t m) {
  if (kCrossModes[m] == CrossMode::DeviceHandoff) return TransferRequest::Device;
  return run.same_device ? TransferRequest::Host : TransferRequest::Auto;
}

Transfer expected_transfer(std::size_t m) {
  return kCrossModes[m] == CrossMode::DeviceHandoff ? Transfer::Device : Transfer::Host;
}

// The held frame read back from the receiver's own texture and checked; false on a
// mismatch, which is described on stderr.
Result<bool> frame_matches(const vulkan::ReceivedFrame& frame, const TextureDescriptor& desc) {
  GEYSER_TRY(std::vector<std::uint8_t> texels, vulkan::readback(*frame.texture));
  const auto mismatch = check_test_pattern(texels, desc.width, desc.height, 4, frame.frame);
  if (mismatch) {
    std::fprintf(stderr, "geyser bench: cross_device: frame %llu (%ux%u) is bad: %s\n",
                 static_cast<unsigned long long>(frame.frame), desc.width, desc.height,
                 mismatch->to_string().c_str());
  }
  return !mismatch;
}

// The timed loop of receiver m: one frame at a time, each checked after it was timed.
Result<void> receive_frames(const CrossRun& run, std::size_t m, vulkan::Receiver& receiver,
                            const UniqueFd& ctl, CrossShared& shared,
                            std::chrono::milliseconds timeout) {
  const TextureDescriptor desc = descriptor(run);
  std::uint64_t last = 0;
  for (std::uint32_t i = 0; i < run.frames(); ++i) {
    shared.blocking[m].fetch_add(1, std::memory_order_release);
    GEYSER_TRY(const vulkan::ReceivedFrame frame, receiver.acquire(timeout));
    const std::uint64_t arrived = monotonic_ns();
    if (i >= run.warmup) shared.latency[m].push(micros(frame.timestamp_ns, arrived));
    if (last != 0 && frame.frame > last + 1) shared.skipped[m] += frame.frame - last - 1;
    last = frame.frame;
    GEYSER_TRY(const bool good, frame_matches(frame, desc));
    ++shared.verified[m];
    if (!good) ++shared.bad[m];
    GEYSER_TRY_VOID(receiver.release());
    GEYSER_TRY_VOID(send_ctl(ctl, Ctl::Released));
  }
  return {};
}

Result<void> receiver_body(const Environment& env, const CrossRun& run, std::size_t m,
                           const UniqueFd& ctl, CrossShared& shared) {
  const bool on_sender_device = kCrossModes[m] == CrossMode::DeviceHandoff;
  GEYSER_TRY(vulkan::Device device,
             open_cross_device(on_sender_device ? env.device : run.receiver_device));
  const auto timeout = millis(env.timeout);
  GEYSER_TRY(CtlMessage connect, receive_ctl(ctl, Ctl::Connect, timeout));
  channel::ReceiverOptions options;
  options.runtime_dir = env.runtime_dir;
  options.transfer = transfer_request(run, m);
  std::optional<vulkan::Receiver> receiver;  // after the device: destroyed first
  GEYSER_TRY(vulkan::Receiver connected,
             vulkan::Receiver::connect(device, channel(env, connect.arg), timeout, options));
  receiver.emplace(std::move(connected));
  GEYSER_TRY_VOID(receiver->acquire(timeout));  // the sender's connection frame
  GEYSER_TRY_VOID(receiver->release());
  const channel::ReceiverStats stats = receiver->stats();
  if (stats.transfer != expected_transfer(m)) {
    return fail(ErrorCode::Internal, std::string("cross_device: the ") + to_string(kCrossModes[m]) +
                                         " receiver got " + std::string(to_string(stats.transfer)) +
                                         " frames");
  }
  set_text(shared.transfer[m], to_string(stats.transfer));
  set_text(shared.sync_mode[m], to_string(stats.sync_mode));
  GEYSER_TRY_VOID(send_ctl(ctl, Ctl::Connected));
  GEYSER_TRY_VOID(receive_frames(run, m, *receiver, ctl, shared, timeout));
  receiver.reset();
  GEYSER_TRY_VOID(send_ctl(ctl, Ctl::Done));
  return check_no_validation_messages("cross_device receiver");
}

std::string receiver_role(std::size_t m) {
  return std::string("cross_device ") + to_string(kCrossModes[m]) + " receiver";
}

Result<void> collect_errors(Result<void> waited, const CrossShared& shared) {
  if (waited) return {};
  std::string why = waited.error().message();
  if (shared.sender_error[0] != '\0') why += " " + std::string(shared.sender_error);
  for (const char* text : shared.receiver_error) {
    if (text[0] != '\0') why += " " + std::string(text);
  }
  return fail(ErrorCode::Internal, why);
}

}  // namespace

Result<vulkan::Device> open_cross_device(const DeviceSelector& selector) {
  vulkan::HeadlessOptions options{.validation = std::nullopt,
                                  .application_name = "geyser-bench-cross-device"};
  return vulkan::create_selected(selector, options);
}

Result<void> check_no_validation_messages(const char* role) {
  const std::uint64_t messages = vulkan::validation_error_count();
  if (messages == 0) return {};
  return fail(ErrorCode::Internal, std::string(role) + ": " + std::to_string(messages) +
                                       " validation-layer messages (on stderr)");
}

Result<void> run_cross_workers(const Environment& env, const CrossRun& run, CrossShared& shared) {
  // Pair m joins the sender (first) and receiver m (second). Every process keeps only its
  // own ends, so a worker that dies ends the others' waits with EOF.
  std::pair<UniqueFd, UniqueFd> pairs[kCrossModeCount];
  for (auto& pair : pairs) {
    GEYSER_TRY(pair, ipc::socket_pair());
  }
  Children children;
  children.spawn([&] {
    const UniqueFd* ctl[kCrossModeCount];
    for (std::size_t m = 0; m < kCrossModeCount; ++m) {
      pairs[m].second.reset();
      ctl[m] = &pairs[m].first;
    }
    return run_worker(shared.sender_error, "cross_device sender",
                      [&] { return sender_body(env, run, ctl, shared); });
  });
  for (std::size_t m = 0; m < kCrossModeCount; ++m) {
    children.spawn([&, m] {
      for (std::size_t other = 0; other < kCrossModeCount; ++other) {
        pairs[other].first.reset();
        if (other != m) pairs[other].second.reset();
      }
      return run_worker(shared.receiver_error[m], receiver_role(m).c_str(),
                        [&] { return receiver_body(env, run, m, pairs[m].second, shared); });
    });
  }
  for (auto& pair : pairs) {
    pair.first.reset();
    pair.second.reset();
  }
  auto waited = children.wait(env.timeout);
  return collect_errors(std::move(waited), shared);
}

}  // namespace geyser::bench
