#include "worker.hpp"

#include <cstdio>
#include <string>
#include <vector>

#include "geyser/ipc/socket.hpp"
#include "geyser/vulkan/device_select.hpp"

#include "process.hpp"

namespace geyser::bench {

Result<vulkan::Device> make_device(const Environment& env, bool transfer_queue) {
  vulkan::HeadlessOptions options{
      .validation = false, .application_name = "geyser-bench", .transfer_queue = transfer_queue};
  return vulkan::create_selected(env.device, options);
}

DeviceReport describe_device(const vulkan::Device& device) {
  DeviceReport report;
  report.name = device.name();
  if (auto devices = vulkan::list_physical_devices()) {
    for (const auto& d : *devices) {
      if (d.identity == device.identity()) {
        report.driver = d.driver_name + (d.driver_info.empty() ? "" : " " + d.driver_info);
        break;
      }
    }
  }
  if (report.driver.empty()) {
    report.driver = "driver version " + std::to_string(device.properties().driverVersion);
  }
  return report;
}

std::string channel_name(const Environment& env, const std::string& what, std::size_t index) {
  return env.channel_prefix + "-" + what + "-" + std::to_string(index);
}

int run_worker(std::span<char> error_text, const char* role,
               const std::function<Result<void>()>& body) {
  auto result = body();
  if (result) return 0;
  const std::string text = std::string(role) + ": " + result.error().to_string();
  set_text(error_text, text);
  std::fprintf(stderr, "geyser bench: %s\n", text.c_str());
  return 1;
}

Result<void> run_worker_pair(std::span<char> sender_error, std::span<char> receiver_error,
                             const char* scenario, std::chrono::seconds timeout,
                             const std::function<Result<void>(UniqueFd&)>& sender,
                             const std::function<Result<void>(UniqueFd&)>& receiver) {
  GEYSER_TRY(auto sockets, ipc::socket_pair());
  UniqueFd& sender_end = sockets.first;
  UniqueFd& receiver_end = sockets.second;
  const std::string sender_role = std::string(scenario) + " sender";
  const std::string receiver_role = std::string(scenario) + " receiver";
  std::vector<pid_t> pids;
  auto sender_pid = spawn([&] {
    receiver_end.reset();
    return run_worker(sender_error, sender_role.c_str(), [&] { return sender(sender_end); });
  });
  if (sender_pid) pids.push_back(*sender_pid);
  auto receiver_pid = spawn([&] {
    sender_end.reset();
    return run_worker(receiver_error, receiver_role.c_str(),
                      [&] { return receiver(receiver_end); });
  });
  if (receiver_pid) pids.push_back(*receiver_pid);
  // The parent keeps no end open, so a worker that dies ends the other's waits with EOF.
  sender_end.reset();
  receiver_end.reset();
  auto waited = wait_all(pids, timeout);
  if (!sender_pid) return tl::unexpected(sender_pid.error());
  if (!receiver_pid) return tl::unexpected(receiver_pid.error());
  if (!waited) {
    std::string why = waited.error().message();
    for (std::span<char> text : {sender_error, receiver_error}) {
      if (!text.empty() && text[0] != '\0') why += " " + std::string(text.data());
    }
    return fail(ErrorCode::Internal, why);
  }
  return {};
}

Result<void> run_worker_alone(std::span<char> error_text, const char* role,
                              std::chrono::seconds timeout,
                              const std::function<Result<void>()>& body) {
  if (!error_text.empty()) error_text[0] = '\0';
  GEYSER_TRY(const pid_t pid, spawn([&] { return run_worker(error_text, role, body); }));
  if (auto waited = wait_all(std::span<const pid_t>(&pid, 1), timeout); !waited) {
    std::string why = waited.error().message();
    if (!error_text.empty() && error_text[0] != '\0') why += " " + std::string(error_text.data());
    return fail(ErrorCode::Internal, why);
  }
  return {};
}

}  // namespace geyser::bench
