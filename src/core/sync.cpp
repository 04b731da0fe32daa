// Sync mode names and negotiation.
#include "geyser/sync.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string>

namespace geyser {

std::string_view to_string(SyncMode mode) noexcept {
  return mode == SyncMode::Gpu ? "gpu" : "cpu";
}

std::optional<SyncMode> parse_sync_mode(std::string_view text) noexcept {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "gpu") return SyncMode::Gpu;
  if (lower == "cpu") return SyncMode::Cpu;
  return std::nullopt;
}

Result<SyncMode> choose_sync_mode(const SyncCapabilities& producer,
                                  const SyncCapabilities& consumer) {
  // The producer creates both timelines (frame ready, frame released) and exports them;
  // the consumer imports both. Each side waits on one and signals the other.
  const bool producer_ok = producer.timeline_export && producer.timeline_import;
  const bool consumer_ok = consumer.timeline_import;
  const char* env = std::getenv("GEYSER_SYNC");
  const std::string_view forced = env ? std::string_view(env) : std::string_view();
  std::string lower(forced);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.empty() || lower == "auto") {
    return producer_ok && consumer_ok ? SyncMode::Gpu : SyncMode::Cpu;
  }
  const auto mode = parse_sync_mode(forced);
  if (!mode) {
    return fail(ErrorCode::Validation,
                "GEYSER_SYNC=\"" + std::string(forced) + "\" is not one of auto, gpu, cpu");
  }
  if (*mode == SyncMode::Gpu && !(producer_ok && consumer_ok)) {
    return fail(ErrorCode::Unsupported,
                std::string("GEYSER_SYNC=gpu, but the ") + (producer_ok ? "consumer" : "producer") +
                    " cannot export and import timeline semaphores as opaque fds");
  }
  return *mode;
}

}  // namespace geyser
