// What every test of the `geyser` command starts from: a private runtime directory
// (GEYSER_RUNTIME_DIR, made by mkdtemp, mode 0700) removed afterwards, the command run in
// it, and `geyser list --json` polled for a channel.
#pragma once

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "process.hpp"

namespace geyser::cli_test {

class CliFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/geyser-cli-test-XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);  // mode 0700
    dir_ = templ;
    env_ = {{"GEYSER_RUNTIME_DIR", dir_.string()}};
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  Outcome geyser(const std::vector<std::string>& args,
                 std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    return run(args, timeout, env_);
  }
  std::string path(const std::string& file) const { return (dir_ / file).string(); }

  // `geyser list --json`'s entry for live channel `name`, or null.
  nlohmann::json channel_entry(const std::string& name) {
    const Outcome listed = geyser({"list", "--json"}, std::chrono::seconds(10));
    if (listed.exit_code != 0) return nullptr;
    const nlohmann::json doc = nlohmann::json::parse(listed.out, nullptr, false);
    if (doc.is_discarded()) return nullptr;
    for (const auto& channel : doc["channels"]) {
      if (channel["name"] == name && channel["state"] == "live") return channel;
    }
    return nullptr;
  }

  // Polls `geyser list --json` until channel `name` is live and `done(entry)` holds; the
  // entry, or null at the deadline.
  template <class Done>
  nlohmann::json wait_for(const std::string& name, Done done,
                          std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      nlohmann::json entry = channel_entry(name);
      if (!entry.is_null() && done(entry)) return entry;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return nullptr;
  }
  nlohmann::json wait_for_channel(const std::string& name,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    return wait_for(
        name, [](const nlohmann::json&) { return true; }, timeout);
  }

  // Why `geyser send --api api` cannot run here, or empty when it can.
  std::string missing_api(const std::string& api) {
    const Outcome help = geyser({"send", "--help"}, std::chrono::seconds(30));
    if (help.out.find(api) == std::string::npos) return "geyser was built without " + api;
    const Outcome info = geyser({"info", "--json"}, std::chrono::seconds(30));
    const nlohmann::json report = nlohmann::json::parse(info.out, nullptr, false);
    if (report.is_discarded() || !report.contains(api)) return "geyser info says nothing of " + api;
    const nlohmann::json& part = report[api];
    if (!part.value("available", false)) return api + " is not available here: " + part.dump();
    if (api == "opengl") {
      return part["vulkan_device"].is_number() ? "" : "GL shares no Vulkan device here";
    }
    if (!part.value("kernels", false)) return "geyser::cuda was built without its kernels";
    for (const nlohmann::json& device : part["devices"]) {
      if (device["vulkan_device"].is_number()) return "";
    }
    return "no CUDA device is a Vulkan device here";
  }

  std::filesystem::path dir_;
  Env env_;
};

}  // namespace geyser::cli_test
