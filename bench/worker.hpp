// What every worker process of the matrix does the same way.
#pragma once

#include <chrono>
#include <functional>
#include <span>
#include <string>

#include "geyser/error.hpp"
#include "geyser/unique_fd.hpp"
#include "geyser/vulkan/device.hpp"
#include "scenarios.hpp"

namespace geyser::bench {

/// The worker's own headless device, validation off (it would dominate every timing); with
/// a transfer queue where the GPU has one unless `transfer_queue` is false.
[[nodiscard]] Result<vulkan::Device> make_device(const Environment& env,
                                                 bool transfer_queue = true);

/// Name and driver of `device` (the driver from VkPhysicalDeviceDriverProperties).
[[nodiscard]] DeviceReport describe_device(const vulkan::Device& device);

/// The channel name of scenario `what`, instance `index`, unique to this run.
[[nodiscard]] std::string channel_name(const Environment& env, const std::string& what,
                                       std::size_t index);

/// Runs a worker body: its error goes into `error_text` (shared with the parent) and to
/// stderr, and becomes exit code 1.
int run_worker(std::span<char> error_text, const char* role,
               const std::function<Result<void>()>& body);

/// One worker alone (a scenario's probe, run before its workers so that they still fork
/// from a parent that never touched a device): forks it, waits for it for at most
/// `timeout`, and on failure returns the error with what the worker wrote to `error_text`.
[[nodiscard]] Result<void> run_worker_alone(std::span<char> error_text, const char* role,
                                            std::chrono::seconds timeout,
                                            const std::function<Result<void>()>& body);

/// A sender and a receiver worker joined by a socket pair: forks both, gives each its end
/// (the parent keeps none, so a worker that dies ends the other's waits with EOF), and waits
/// for both for at most `timeout`. Their errors go to the two shared `error_text` buffers
/// and, on failure, into the returned error.
[[nodiscard]] Result<void> run_worker_pair(std::span<char> sender_error,
                                           std::span<char> receiver_error, const char* scenario,
                                           std::chrono::seconds timeout,
                                           const std::function<Result<void>(UniqueFd&)>& sender,
                                           const std::function<Result<void>(UniqueFd&)>& receiver);

using namespace std::chrono_literals;

}  // namespace geyser::bench
