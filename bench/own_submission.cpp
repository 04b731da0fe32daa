#include "own_submission.hpp"

#include <span>

#include "machine_info.hpp"

namespace geyser::bench {
namespace {

// The application's per-frame submission, with no work in it: what a renderer submits
// anyway, carrying `signals` (the present's, or none).
Result<void> submit_own_work(const vulkan::Device& device,
                             std::span<const VkSemaphoreSubmitInfo> signals) {
  VkSubmitInfo2 submit{VK_STRUCTURE_TYPE_SUBMIT_INFO_2};
  submit.signalSemaphoreInfoCount = static_cast<std::uint32_t>(signals.size());
  submit.pSignalSemaphoreInfos = signals.data();
  if (VkResult r = vkQueueSubmit2(device.queue(), 1, &submit, VK_NULL_HANDLE); r != VK_SUCCESS) {
    return fail(ErrorCode::Internal, "vkQueueSubmit2 of the producer's own batch failed");
  }
  return {};
}

}  // namespace

Result<bool> present_one(channel::Sender& sender, std::chrono::milliseconds wait,
                         const vulkan::Device* own_work, double* app_seconds) {
  auto frame = sender.acquire(wait);
  if (!frame) {
    if (frame.error().code() == ErrorCode::Timeout) return false;
    return tl::unexpected(frame.error());
  }
  if (own_work) {
    GEYSER_TRY(auto signals, sender.present_signals(*frame));
    const double before = thread_cpu_seconds();
    auto submitted = submit_own_work(*own_work, signals);
    if (app_seconds) *app_seconds += thread_cpu_seconds() - before;
    if (!submitted) {
      sender.cancel(*frame);
      return tl::unexpected(submitted.error());
    }
  }
  GEYSER_TRY_VOID(sender.present(*frame));
  return true;
}

}  // namespace geyser::bench
