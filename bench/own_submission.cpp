#include "own_submission.hpp"

#include <span>

#include "machine_info.hpp"

namespace geyser::bench {
namespace {

// The application's per-frame submission, with no work in it: what a renderer (or a
// reader) submits anyway, carrying `waits` and `signals` (Geyser's, or none). The calling
// thread's CPU time inside vkQueueSubmit2 is added to `*app_seconds` where given.
Result<void> submit_own_work(const vulkan::Device& device,
                             std::span<const VkSemaphoreSubmitInfo> waits,
                             std::span<const VkSemaphoreSubmitInfo> signals, double* app_seconds) {
  VkSubmitInfo2 submit{VK_STRUCTURE_TYPE_SUBMIT_INFO_2};
  submit.waitSemaphoreInfoCount = static_cast<std::uint32_t>(waits.size());
  submit.pWaitSemaphoreInfos = waits.data();
  submit.signalSemaphoreInfoCount = static_cast<std::uint32_t>(signals.size());
  submit.pSignalSemaphoreInfos = signals.data();
  const double before = thread_cpu_seconds();
  const VkResult r = vkQueueSubmit2(device.queue(), 1, &submit, VK_NULL_HANDLE);
  if (app_seconds) *app_seconds += thread_cpu_seconds() - before;
  if (r != VK_SUCCESS) {
    return fail(ErrorCode::Internal, "vkQueueSubmit2 of the application's own batch failed");
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
    if (auto submitted = submit_own_work(*own_work, {}, signals, app_seconds); !submitted) {
      sender.cancel(*frame);
      return tl::unexpected(submitted.error());
    }
  }
  GEYSER_TRY_VOID(sender.present(*frame));
  return true;
}

Result<void> read_in_own_submission(vulkan::Receiver& receiver, const vulkan::Device& device,
                                    double* app_seconds) {
  GEYSER_TRY(const vulkan::AccessScope begin, receiver.begin_access());
  GEYSER_TRY(const vulkan::AccessScope end, receiver.end_access());
  // In cpu mode neither carries a semaphore: release() then waits for this submission.
  std::span<const VkSemaphoreSubmitInfo> waits;
  std::span<const VkSemaphoreSubmitInfo> signals;
  if (begin.semaphore) waits = {&*begin.semaphore, 1};
  if (end.semaphore) signals = {&*end.semaphore, 1};
  return submit_own_work(device, waits, signals, app_seconds);
}

}  // namespace geyser::bench
