// `--device SPEC` of send, recv and demo (docs/cli.md): a sender and a receiver put on the
// devices `geyser info` lists, by index, by UUID and by a part of the name; a device nobody
// has is a usage error that lists the devices; OpenGL picks its EGL display the same way;
// host receivers, which take no device, say so.
#include <signal.h>

#include <cctype>
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_fixture.hpp"
#include "process.hpp"

namespace geyser::cli_test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// A device `geyser info --json` lists that Geyser can use.
struct Listed {
  int index = -1;
  std::string name;
  std::string uuid;
};

class CliDevice : public CliFixture {
 protected:
  void SetUp() override {
    CliFixture::SetUp();
    const Outcome info = geyser({"info", "--json"}, 30s);
    const json report = json::parse(info.out, nullptr, false);
    ASSERT_FALSE(report.is_discarded()) << info.out << info.err;
    for (const json& d : report["devices"]) {
      all_.push_back({d["index"].get<int>(), d["name"], d["device_uuid"]});
      if (usable_.index < 0 && d["usable"].get<bool>()) usable_ = all_.back();
    }
    if (usable_.index < 0) GTEST_SKIP() << "no usable Vulkan device: " << info.out;
  }

  // Runs `send` on `send_device` and `recv --verify` of 20 frames on `recv_device`; recv's
  // JSON summary.
  json stream(const std::string& send_device, const std::string& recv_device) {
    Process sender({"send", "dev", "--size", "64x48", "--fps", "120", "--device", send_device},
                   env_);
    const Outcome r = geyser({"recv", "dev", "--frames", "20", "--verify", "--json", "--timeout",
                              "20", "--device", recv_device},
                             40s);
    const Outcome s = sender.stop(SIGTERM, 20s);
    EXPECT_EQ(s.exit_code, 0) << s.out << s.err;
    EXPECT_NE(s.out.find("on " + usable_.name), std::string::npos) << s.out;
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return json::parse(r.out, nullptr, false);
  }

  // Every device `geyser info` lists is named (index, name and UUID) in `err`.
  void expect_device_list(const std::string& err) {
    for (const Listed& d : all_) {
      EXPECT_NE(err.find(std::to_string(d.index) + ": " + d.name + " (UUID " + d.uuid + ")"),
                std::string::npos)
          << err;
    }
    EXPECT_NE(err.find("geyser info"), std::string::npos) << "the hint: " << err;
  }

  Listed usable_;
  std::vector<Listed> all_;
};

TEST_F(CliDevice, SendByIndexRecvByUuidVerifiesEveryFrame) {
  const json summary = stream(std::to_string(usable_.index), usable_.uuid);
  ASSERT_FALSE(summary.is_discarded());
  EXPECT_EQ(summary["frames"], 20);
  EXPECT_EQ(summary["verified"], true);
  EXPECT_EQ(summary["bad"], 0);
  EXPECT_EQ(summary["transfer"], "device") << "one device: zero-copy";
  EXPECT_NE(summary["device"].get<std::string>().find(usable_.name), std::string::npos) << summary;
}

TEST_F(CliDevice, UuidWithoutDashesAndUpperCaseAndANamePartWork) {
  std::string bare;
  for (const char c : usable_.uuid) {
    if (c != '-') bare += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  // "llvmpipe" on lavapipe, "NVIDIA" on an NVIDIA GPU: the name's first word.
  const std::string part = usable_.name.substr(0, usable_.name.find(' '));
  const json summary = stream(part, bare);
  ASSERT_FALSE(summary.is_discarded());
  EXPECT_EQ(summary["frames"], 20);
  EXPECT_EQ(summary["bad"], 0);
}

TEST_F(CliDevice, AnIndexNobodyHasIsAUsageErrorListingTheDevices) {
  const std::string index = std::to_string(all_.size() + 6);
  // recv with --timeout 30: it must not wait for a sender when it cannot receive at all.
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{"send"}, std::vector<std::string>{"recv", "--timeout", "30"}}) {
    std::vector<std::string> args = {extra[0], "x", "--device", index};
    args.insert(args.end(), extra.begin() + 1, extra.end());
    const std::string& command = extra[0];
    const Outcome o = geyser(args, 20s);
    EXPECT_EQ(o.exit_code, 2) << command << ": " << o.out << o.err;
    EXPECT_LT(o.elapsed, 10s) << command << ": no wait for a sender";
    EXPECT_NE(o.err.find("no Vulkan device has index " + index), std::string::npos) << o.err;
    expect_device_list(o.err);
  }
}

TEST_F(CliDevice, AUuidNobodyHasIsAUsageErrorListingTheDevices) {
  const std::string uuid = "00112233-4455-6677-8899-aabbccddeeff";
  const Outcome o = geyser({"recv", "x", "--device", uuid, "--timeout", "30"}, 20s);
  EXPECT_EQ(o.exit_code, 2) << o.out << o.err;
  EXPECT_NE(o.err.find("no Vulkan device has UUID " + uuid), std::string::npos) << o.err;
  expect_device_list(o.err);
  const Outcome named = geyser({"send", "x", "--device", "no such GPU"}, 20s);
  EXPECT_EQ(named.exit_code, 2) << named.out << named.err;
  EXPECT_NE(named.err.find("name containing \"no such GPU\""), std::string::npos) << named.err;
}

TEST_F(CliDevice, AnEmptySpecIsAUsageError) {
  const Outcome o = geyser({"send", "x", "--device", ""}, 10s);
  EXPECT_EQ(o.exit_code, 2) << o.out << o.err;
  EXPECT_NE(o.err.find("--device"), std::string::npos) << o.err;
}

TEST_F(CliDevice, HostReceiversTakeNoDevice) {
  const Outcome o = geyser({"recv", "x", "--api", "host", "--device", "0", "--timeout", "30"}, 20s);
  EXPECT_EQ(o.exit_code, 2) << o.out << o.err;
  EXPECT_NE(o.err.find("--api host uses no GPU"), std::string::npos) << o.err;
}

// The OpenGL context `geyser info --json` reports, or a skip reason.
struct GlContext {
  std::string uuid;
  std::string renderer;
  std::string skip;
  int vulkan_index = -1;  // the Vulkan device it shares with
};

GlContext gl_context(const json& report) {
  if (!report.contains("opengl")) return {"", "", "geyser was built without OpenGL"};
  const json& gl = report["opengl"];
  if (!gl.value("available", false)) return {"", "", "no OpenGL context here: " + gl.dump()};
  if (!gl["device_uuid"].is_string()) return {"", "", "the context has no device UUID"};
  if (!gl["vulkan_device"].is_number()) return {"", "", "no Vulkan device shares the context"};
  return {gl["device_uuid"], gl["renderer"], "", gl["vulkan_device"].get<int>()};
}

TEST_F(CliDevice, OpenGlEndsRunOnTheDeviceNamed) {
  const GlContext gl = gl_context(json::parse(geyser({"info", "--json"}, 30s).out, nullptr, false));
  if (!gl.skip.empty()) GTEST_SKIP() << gl.skip;
  // The sender by the context's UUID, the receivers by a part of its GL_RENDERER and by the
  // index of the Vulkan device it shares with (the same GPU for every --api).
  const std::string part = gl.renderer.substr(0, gl.renderer.find(' '));
  Process sender(
      {"send", "gldev", "--api", "opengl", "--size", "64x48", "--fps", "120", "--device", gl.uuid},
      env_);
  const Outcome r = geyser({"recv", "gldev", "--api", "opengl", "--frames", "10", "--verify",
                            "--json", "--timeout", "20", "--device", part},
                           40s);
  const Outcome by_index =
      geyser({"recv", "gldev", "--api", "opengl", "--frames", "10", "--verify", "--json",
              "--timeout", "20", "--device", std::to_string(gl.vulkan_index)},
             40s);
  const Outcome s = sender.stop(SIGTERM, 20s);
  EXPECT_EQ(s.exit_code, 0) << s.out << s.err;
  ASSERT_EQ(by_index.exit_code, 0) << by_index.out << by_index.err;
  EXPECT_EQ(json::parse(by_index.out, nullptr, false)["bad"], 0) << by_index.out;
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const json summary = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(summary.is_discarded()) << r.out;
  EXPECT_EQ(summary["frames"], 10) << r.out;
  EXPECT_EQ(summary["verified"], true) << r.out;
  EXPECT_EQ(summary["bad"], 0) << r.out;
  EXPECT_EQ(summary["transfer"], "device") << "one GPU: zero-copy";
}

TEST_F(CliDevice, OpenGlDeviceNobodyHasIsAUsageErrorListingTheDisplays) {
  const GlContext gl = gl_context(json::parse(geyser({"info", "--json"}, 30s).out, nullptr, false));
  if (!gl.skip.empty()) GTEST_SKIP() << gl.skip;
  for (const char* command : {"send", "recv"}) {
    const Outcome o = geyser({command, "x", "--api", "opengl", "--device", "31"}, 20s);
    EXPECT_EQ(o.exit_code, 2) << command << ": " << o.out << o.err;
    // An index is Vulkan's: the same GPU for every --api.
    EXPECT_NE(o.err.find("no Vulkan device has index 31"), std::string::npos) << o.err;
  }
  const Outcome named = geyser({"send", "x", "--api", "opengl", "--device", "no such GPU"}, 20s);
  EXPECT_EQ(named.exit_code, 2) << named.out << named.err;
  EXPECT_NE(
      named.err.find("no EGL display is the device asked for (name containing \"no such GPU\")"),
      std::string::npos)
      << named.err;
  // Each display tried is named with what it is.
  EXPECT_NE(named.err.find(gl.renderer), std::string::npos) << named.err;
  const std::string uuid = "00112233-4455-6677-8899-aabbccddeeff";
  const Outcome o = geyser({"recv", "x", "--api", "opengl", "--device", uuid}, 20s);
  EXPECT_EQ(o.exit_code, 2) << o.out << o.err;
  EXPECT_NE(o.err.find("UUID " + gl.uuid), std::string::npos) << o.err;
}

TEST_F(CliDevice, CudaIndexNobodyHasIsAUsageError) {
  const Outcome info = geyser({"info", "--json"}, 30s);
  const json report = json::parse(info.out, nullptr, false);
  if (report.is_discarded() || !report.contains("cuda") ||
      !report["cuda"].value("available", false)) {
    GTEST_SKIP() << "no CUDA driver here: --api cuda --device fails before it looks";
  }
  const std::string index = std::to_string(report["cuda"]["devices"].size() + 6);
  const Outcome o = geyser({"recv", "x", "--api", "cuda", "--device", index}, 20s);
  EXPECT_EQ(o.exit_code, 2) << o.out << o.err;
  EXPECT_NE(o.err.find("no CUDA device has index " + index), std::string::npos) << o.err;
}

TEST_F(CliDevice, DemoRunsOnTheDeviceNamed) {
  const Outcome o =
      geyser({"demo", "--frames", "30", "--size", "64x48", "--png", path("d.png"), "--device",
              usable_.uuid, "--recv-device", std::to_string(usable_.index)},
             50s);
  ASSERT_EQ(o.exit_code, 0) << o.out << o.err;
  EXPECT_NE(o.out.find("0 bad"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find(usable_.name), std::string::npos) << o.out;
}

}  // namespace
}  // namespace geyser::cli_test
