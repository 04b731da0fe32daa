// A vulkan::Sender on its own thread that presents the test pattern, frame after frame,
// until stopped: the producer of the CUDA receiver tests.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>

#include "geyser/error.hpp"
#include "geyser/texture.hpp"
#include "geyser/vulkan/device.hpp"

namespace geyser::cuda::test {

class PatternSender {
 public:
  /// Publishes `name` in `runtime_dir` with textures of `desc` on `device` and presents
  /// frame after frame on a thread of its own. The first error stops it (error()).
  PatternSender(const vulkan::Device& device, std::string name, const TextureDescriptor& desc,
                std::filesystem::path runtime_dir);
  PatternSender(const PatternSender&) = delete;
  PatternSender& operator=(const PatternSender&) = delete;
  /// Stops and joins the thread (the sender unpublishes its name).
  ~PatternSender();

  /// Blocks until the name is published (or publishing failed); false then.
  [[nodiscard]] bool wait_published();
  /// Frames presented so far.
  [[nodiscard]] std::uint64_t presented() const noexcept { return presented_.load(); }
  /// The receivers connected, as the sender last counted them (after each poll).
  [[nodiscard]] std::uint32_t receivers() const noexcept { return receivers_.load(); }
  /// Waits at most `timeout` until the sender counts no receiver: it closed their sockets.
  [[nodiscard]] bool wait_no_receivers(std::chrono::milliseconds timeout) const;
  /// The error that stopped the thread, once it stopped.
  [[nodiscard]] std::optional<std::string> error() const;
  void stop();

 private:
  void run(const vulkan::Device& device, std::string name, TextureDescriptor desc,
           std::filesystem::path runtime_dir);

  std::atomic<bool> stop_{false};
  std::atomic<int> published_{0};  // 0 not yet, 1 published, -1 failed
  std::atomic<std::uint64_t> presented_{0};
  std::atomic<std::uint32_t> receivers_{0};
  std::string error_;  // written by the thread before it ends
  std::atomic<bool> ended_{false};
  std::thread thread_;
};

}  // namespace geyser::cuda::test
