// Internal: a geyser_sender is one SenderEnd, by API (sender_host.cpp, sender_vulkan.cpp,
// sender_opengl.cpp, sender_cuda.cpp). TypedEnd holds a typed sender (vulkan::Sender, ...) and the
// slots handed out but not yet presented; each API says how its slot reads in C.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>

#include "device.hpp"
#include "geyser/channel/sender_core.hpp"
#include "geyser/error.hpp"
#include "geyser/geyser.h"

namespace geyser::capi {

/// VkSemaphoreSubmitInfo[count] as the C API hands them out (geyser.h includes no Vulkan).
struct PresentSignals {
  const void* infos = nullptr;
  std::uint32_t count = 0;
};

class SenderEnd {
 public:
  virtual ~SenderEnd() = default;
  [[nodiscard]] virtual Result<void> acquire(std::chrono::milliseconds timeout,
                                             geyser_slot& out) = 0;
  [[nodiscard]] virtual Result<void> present(const geyser_slot& slot,
                                             std::span<const std::uint8_t> metadata) = 0;
  virtual void cancel(const geyser_slot& slot) noexcept = 0;
  /// Tightly packed rows from host memory.
  [[nodiscard]] virtual Result<std::uint64_t> write(std::span<const std::uint8_t> bytes,
                                                    std::chrono::milliseconds timeout) = 0;
  /// Rows of device memory written on `stream` (CUDA senders; the others say Unsupported).
  [[nodiscard]] virtual Result<std::uint64_t> write_cuda(std::uint64_t data, std::uint64_t pitch,
                                                         void* stream,
                                                         std::chrono::milliseconds timeout);
  /// Vulkan senders: the semaphore signals that announce the slot's frame, for the
  /// application's own submission (vulkan::Sender::present_signals); the others say
  /// Unsupported.
  [[nodiscard]] virtual Result<PresentSignals> vk_present_signals(const geyser_slot& slot);
  /// A new generation; Validation while a slot is out.
  [[nodiscard]] virtual Result<void> resize(const TextureDescriptor& desc) = 0;
  [[nodiscard]] virtual channel::SenderCore& core() = 0;
};

/// A typed sender, the device it works on (kept until after it) and its outstanding slots,
/// by frame number.
template <typename Sender, typename Frame>
class TypedEnd : public SenderEnd {
 public:
  TypedEnd(SharedDevice device, Sender sender)
      : device_(std::move(device)), sender_(std::move(sender)) {}

  Result<void> acquire(std::chrono::milliseconds timeout, geyser_slot& out) override {
    GEYSER_TRY(Frame frame, sender_.acquire(timeout));
    out.frame = frame.frame;
    out.slot = frame.slot;
    out.generation = frame.generation;
    fill(frame, out);
    pending_.insert_or_assign(frame.frame, std::move(frame));
    return {};
  }
  Result<void> present(const geyser_slot& slot, std::span<const std::uint8_t> metadata) override {
    GEYSER_TRY(Frame frame, take(slot));
    return sender_.present(frame, metadata);
  }
  void cancel(const geyser_slot& slot) noexcept override {
    if (auto frame = take(slot)) sender_.cancel(*frame);
  }
  Result<std::uint64_t> write(std::span<const std::uint8_t> bytes,
                              std::chrono::milliseconds timeout) override {
    return sender_.write(bytes, timeout);
  }
  Result<void> resize(const TextureDescriptor& desc) override {
    if (!pending_.empty()) {
      return fail(ErrorCode::Validation, "resize: frame " +
                                             std::to_string(pending_.begin()->first) +
                                             " was acquired and neither presented nor cancelled");
    }
    return sender_.resize(desc);
  }
  channel::SenderCore& core() override { return sender_.core(); }

 protected:
  /// The API's part of the slot.
  virtual void fill(const Frame& frame, geyser_slot& out) const = 0;
  Sender& sender() noexcept { return sender_; }
  const SharedDevice& device() const noexcept { return device_; }
  /// The frame acquired as `slot` and not yet presented or cancelled; Validation otherwise.
  Result<const Frame*> outstanding(const geyser_slot& slot) const {
    auto it = pending_.find(slot.frame);
    if (it == pending_.end() || it->second.slot != slot.slot) {
      return fail(ErrorCode::Validation, "slot " + std::to_string(slot.slot) + " of frame " +
                                             std::to_string(slot.frame) +
                                             " was not acquired from this sender (or was "
                                             "presented or cancelled already)");
    }
    return &it->second;
  }

 private:
  Result<Frame> take(const geyser_slot& slot) {
    GEYSER_TRY_VOID(outstanding(slot));
    auto it = pending_.find(slot.frame);
    Frame frame = std::move(it->second);
    pending_.erase(it);
    return frame;
  }

  SharedDevice device_;  // null for GL; before sender_: destroyed after it
  Sender sender_;
  std::map<std::uint64_t, Frame> pending_;
};

/// The ends, each in its own file. Host: Validation for a device (it uses none).
[[nodiscard]] Result<std::unique_ptr<SenderEnd>> publish_host(
    const geyser_device* device, const std::string& name, const TextureDescriptor& desc,
    const channel::SenderOptions& options);
[[nodiscard]] Result<std::unique_ptr<SenderEnd>> publish_vulkan(
    const geyser_device* device, const std::string& name, const TextureDescriptor& desc,
    const channel::SenderOptions& options);
[[nodiscard]] Result<std::unique_ptr<SenderEnd>> publish_opengl(
    const std::string& name, const TextureDescriptor& desc, const channel::SenderOptions& options);
/// Unsupported in a build without CUDA.
[[nodiscard]] Result<std::unique_ptr<SenderEnd>> publish_cuda(
    const geyser_device* device, const std::string& name, const TextureDescriptor& desc,
    const channel::SenderOptions& options);

}  // namespace geyser::capi

struct geyser_sender {
  std::unique_ptr<geyser::capi::SenderEnd> end;
};
