// The channel end `geyser send` and `geyser recv` work through, for the API --api names:
// a Vulkan device, an OpenGL context or a CUDA context, and the Sender or Receiver made on
// it (or host memory, with no GPU: host::Sender, host::Receiver). The commands drive the
// backend-neutral core; only writing and reading texels is the API's.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "geyser/channel/receiver_core.hpp"
#include "geyser/channel/sender_core.hpp"
#include "geyser/device_selector.hpp"
#include "geyser/error.hpp"

namespace geyser::cli {

enum class Api : std::uint8_t { Vulkan, OpenGL, Cuda, Host };
/// "vulkan", "opengl", "cuda", "host".
[[nodiscard]] std::string_view to_string(Api api) noexcept;
/// The --api values this build has ("vulkan", "opengl" with the OpenGL channel ends, "cuda"
/// with the CUDA channel ends, "host"), for sending and receiving alike.
[[nodiscard]] std::vector<std::string> api_names();
/// --api's default: "vulkan" where it was built, else "host".
[[nodiscard]] std::string default_api_name();
[[nodiscard]] std::optional<Api> parse_api(std::string_view text) noexcept;

/// A sender on one API. The device or context lives as long as the end.
class SendEnd {
 public:
  virtual ~SendEnd() = default;
  [[nodiscard]] virtual Result<void> publish(const std::string& name, const TextureDescriptor& desc,
                                             const channel::SenderOptions& options) = 0;
  /// After publish().
  [[nodiscard]] virtual channel::SenderCore& core() = 0;
  /// Where the API draws the test pattern itself (CUDA: the pattern kernel, no host
  /// copy): acquires a slot (at most `timeout`), draws frame `frame` into it and presents
  /// it with `metadata`; the frame number presented. nullopt where it cannot (the default:
  /// the caller fills the texels on the CPU and calls core().write()).
  [[nodiscard]] virtual std::optional<Result<std::uint64_t>> write_pattern_on_device(
      std::uint64_t frame, std::chrono::milliseconds timeout,
      std::span<const std::uint8_t> metadata) {
    (void)frame;
    (void)timeout;
    (void)metadata;
    return std::nullopt;
  }
  /// "llvmpipe (LLVM 15.0.6, 256 bits)", and for OpenGL the renderer and the Vulkan twin.
  [[nodiscard]] virtual std::string device_name() const = 0;
};

/// A receiver on one API.
class RecvEnd {
 public:
  virtual ~RecvEnd() = default;
  /// Connects (again), waiting at most `timeout`; replaces the receiver held before.
  [[nodiscard]] virtual Result<void> connect(const std::string& name,
                                             std::chrono::milliseconds timeout,
                                             const channel::ReceiverOptions& options) = 0;
  /// After a successful connect().
  [[nodiscard]] virtual channel::ReceiverCore& core() = 0;
  /// The held frame's texels, tightly packed, read through the API.
  [[nodiscard]] virtual Result<std::vector<std::uint8_t>> read_held() = 0;
  /// Checks the held frame against the test pattern of `frame` where the API can do so
  /// without a readback (CUDA: the pattern-check kernel): the number of texels that differ.
  /// nullopt where it cannot (the caller reads the frame back with read_held() and checks
  /// it on the CPU), which is the default.
  [[nodiscard]] virtual std::optional<Result<std::uint64_t>> check_pattern_on_device(
      std::uint64_t frame) {
    (void)frame;
    return std::nullopt;
  }
  [[nodiscard]] virtual std::string device_name() const = 0;
};

/// Opens the device or context for `api` that `device` names (--device; empty: the
/// default), printing why not (with a hint) as `geyser COMMAND` on stderr and returning
/// nullptr when it cannot. Usage errors say so and exit with kExitUsage: a device the API
/// does not list; a --device for Api::OpenGL (not supported yet) or Api::Host (no GPU).
[[nodiscard]] std::unique_ptr<SendEnd> open_send_end(Api api, std::string_view command,
                                                     const DeviceSelector& device);
[[nodiscard]] std::unique_ptr<RecvEnd> open_recv_end(Api api, std::string_view command,
                                                     const DeviceSelector& device);

namespace detail {
[[nodiscard]] std::unique_ptr<SendEnd> open_vulkan_send_end(std::string_view command,
                                                            const DeviceSelector& device);
[[nodiscard]] std::unique_ptr<RecvEnd> open_vulkan_recv_end(std::string_view command,
                                                            const DeviceSelector& device);
[[nodiscard]] std::unique_ptr<SendEnd> open_opengl_send_end(std::string_view command,
                                                            const DeviceSelector& device);
[[nodiscard]] std::unique_ptr<RecvEnd> open_opengl_recv_end(std::string_view command,
                                                            const DeviceSelector& device);
[[nodiscard]] std::unique_ptr<SendEnd> open_cuda_send_end(std::string_view command,
                                                          const DeviceSelector& device);
[[nodiscard]] std::unique_ptr<RecvEnd> open_cuda_recv_end(std::string_view command,
                                                          const DeviceSelector& device);
[[nodiscard]] std::unique_ptr<SendEnd> open_host_send_end(std::string_view command);
[[nodiscard]] std::unique_ptr<RecvEnd> open_host_recv_end(std::string_view command);
}  // namespace detail

}  // namespace geyser::cli
