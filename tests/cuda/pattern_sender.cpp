#include "pattern_sender.hpp"

#include <chrono>

#include "geyser/test_pattern.hpp"
#include "geyser/vulkan/sender.hpp"
#include "support/vulkan_fixture.hpp"

namespace geyser::cuda::test {

using namespace std::chrono_literals;

PatternSender::PatternSender(const vulkan::Device& device, std::string name,
                             const TextureDescriptor& desc, std::filesystem::path runtime_dir)
    : thread_([this, &device, name = std::move(name), desc, dir = std::move(runtime_dir)] {
        run(device, name, desc, dir);
      }) {}

PatternSender::~PatternSender() {
  stop();
}

void PatternSender::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

bool PatternSender::wait_published() {
  while (published_.load() == 0) std::this_thread::sleep_for(1ms);
  return published_.load() == 1;
}

std::optional<std::string> PatternSender::error() const {
  if (!ended_.load() || error_.empty()) return std::nullopt;
  return error_;
}

void PatternSender::run(const vulkan::Device& device, std::string name, TextureDescriptor desc,
                        std::filesystem::path runtime_dir) {
  channel::SenderOptions options;
  options.runtime_dir = std::move(runtime_dir);
  auto sender = vulkan::Sender::publish(device, std::move(name), desc, options);
  if (!sender) {
    error_ = sender.error().to_string();
    ended_ = true;
    published_ = -1;
    return;
  }
  published_ = 1;
  while (!stop_.load()) {
    // A slot frees up when the receiver releases one; until then, serve it.
    auto frame = sender->acquire(5ms);
    if (!frame) {
      if (frame.error().code() == ErrorCode::Timeout) {
        (void)sender->poll(0ms);
        receivers_ = sender->stats().receivers;
        continue;
      }
      error_ = "acquire: " + frame.error().to_string();
      break;
    }
    const auto bytes = geyser::test::pattern_bytes(desc, frame->frame);
    if (auto uploaded = vulkan::upload(*frame->texture, bytes); !uploaded) {
      sender->cancel(*frame);
      error_ = "upload: " + uploaded.error().to_string();
      break;
    }
    if (auto presented = sender->present(*frame); !presented) {
      error_ = "present: " + presented.error().to_string();
      break;
    }
    ++presented_;
    (void)sender->poll(0ms);
    receivers_ = sender->stats().receivers;
  }
  ended_ = true;
}

bool PatternSender::wait_no_receivers(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (receivers_.load() != 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace geyser::cuda::test
