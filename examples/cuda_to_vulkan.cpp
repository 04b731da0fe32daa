// A CUDA producer process and a Vulkan consumer process on one channel: the parent opens
// its Vulkan device and tells the forked child which GPU that is; the child publishes from
// CUDA on that GPU with cuda::Sender (its ring lives on the GPU's Vulkan twin), writing the
// test pattern of each frame with cuda::upload on the sender's stream; the parent reads the
// frames with vulkan::Receiver and checks every pixel of every frame it reads.
//
//   geyser-cuda-to-vulkan [FRAMES]      (default 300)
//
// Exit codes: 0 every frame read matched, 1 a mismatch or an error, 77 no CUDA here (no
// NVIDIA driver or no CUDA device of that GPU): the reason is printed.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "geyser/cuda/device.hpp"
#include "geyser/cuda/sender.hpp"
#include "geyser/test_pattern.hpp"
#include "geyser/vulkan/receiver.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"

namespace {

using namespace std::chrono_literals;
const std::string kName = "geyser-cuda-to-vk-" + std::to_string(::getpid());
constexpr int kSkip = 77;  // ctest's SKIP_RETURN_CODE

// The child: the GPU's UUID from `uuid_fd`, then frames 1..frames from CUDA.
int produce(long frames, int uuid_fd) {
  geyser::Uuid uuid{};
  if (::read(uuid_fd, uuid.data(), uuid.size()) != static_cast<ssize_t>(uuid.size())) return 1;
  auto context = geyser::cuda::Context::for_uuid(uuid);
  if (!context) {
    std::fprintf(stderr, "producer: no CUDA here: %s\n", context.error().to_string().c_str());
    return kSkip;
  }
  geyser::TextureDescriptor desc;
  desc.width = 1920;
  desc.height = 1080;
  desc.usage = geyser::TextureUsage::TransferSrc | geyser::TextureUsage::TransferDst |
               geyser::TextureUsage::Sampled;
  auto sender = geyser::cuda::Sender::publish(*context, kName, desc);
  if (!sender) {
    std::fprintf(stderr, "producer: %s\n", sender.error().to_string().c_str());
    return 1;
  }
  while (sender->stats().receivers == 0) (void)sender->poll(10ms);
  std::vector<std::uint8_t> pixels(geyser::tight_size_bytes(desc));
  for (long n = 1; n <= frames && sender->stats().receivers > 0;) {
    geyser::fill_test_pattern(pixels, desc.width, desc.height, 4, static_cast<std::uint64_t>(n));
    if (auto written = sender->write(pixels, 100ms); written) {
      ++n;
    } else if (written.error().code() != geyser::ErrorCode::Timeout) {
      std::fprintf(stderr, "producer: %s\n", written.error().to_string().c_str());
      return 1;
    }
    (void)sender->poll();
  }
  while (sender->stats().receivers > 0) (void)sender->poll(10ms);
  return 0;
}

// Connects, giving up early when the producer has exited (no CUDA there: 77).
int connect(const geyser::vulkan::Device& device, pid_t child,
            std::optional<geyser::vulkan::Receiver>& out) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    int status = 0;
    if (::waitpid(child, &status, WNOHANG) == child) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
    }
    auto receiver = geyser::vulkan::Receiver::connect(device, kName, 100ms);
    if (receiver) {
      out.emplace(std::move(receiver).value());
      return 0;
    }
    if (receiver.error().code() != geyser::ErrorCode::Disconnected &&
        receiver.error().code() != geyser::ErrorCode::Timeout) {
      std::fprintf(stderr, "consumer: %s\n", receiver.error().to_string().c_str());
      return 1;
    }
  }
  std::fprintf(stderr, "consumer: the producer published nothing within 10 s\n");
  return 1;
}

int consume(long frames, pid_t child, int uuid_fd) {
  auto device = geyser::vulkan::Device::create_headless();
  if (!device) {
    std::fprintf(stderr, "consumer: %s\n", device.error().to_string().c_str());
    return 1;
  }
  const geyser::Uuid& uuid = device->identity().device_uuid;
  if (::write(uuid_fd, uuid.data(), uuid.size()) != static_cast<ssize_t>(uuid.size())) return 1;
  ::close(uuid_fd);
  std::optional<geyser::vulkan::Receiver> receiver;
  if (const int connected = connect(*device, child, receiver); connected != 0) return connected;
  std::printf("consumer: '%s' written by CUDA, read by Vulkan on %s, sync %s\n", kName.c_str(),
              device->name().c_str(),
              std::string(geyser::to_string(receiver->stats().sync_mode)).c_str());
  long checked = 0, bad = 0;
  std::uint64_t last = 0;
  while (last < static_cast<std::uint64_t>(frames)) {
    auto frame = receiver->acquire(5s);
    if (!frame) {
      std::fprintf(stderr, "consumer: %s\n", frame.error().to_string().c_str());
      return 1;
    }
    auto pixels = geyser::vulkan::readback(*frame->texture);
    if (!pixels) {
      std::fprintf(stderr, "consumer: %s\n", pixels.error().to_string().c_str());
      return 1;
    }
    const auto& d = receiver->descriptor();
    if (auto mismatch = geyser::check_test_pattern(*pixels, d.width, d.height, 4, frame->frame)) {
      ++bad;
      std::fprintf(stderr, "consumer: frame %llu: %s\n",
                   static_cast<unsigned long long>(frame->frame), mismatch->to_string().c_str());
    }
    (void)receiver->release();
    last = frame->frame;
    ++checked;
  }
  std::printf("consumer: %ld frames written by CUDA checked, %ld bad, %llu skipped\n", checked, bad,
              static_cast<unsigned long long>(receiver->stats().frames_skipped));
  return bad == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const long frames = argc > 1 ? std::atol(argv[1]) : 300;
  int uuid_pipe[2];
  if (::pipe(uuid_pipe) != 0) return 1;
  // Forked before either side touches Vulkan or CUDA.
  const pid_t child = ::fork();
  if (child < 0) return 1;
  if (child == 0) {
    ::close(uuid_pipe[1]);
    _exit(produce(frames, uuid_pipe[0]));
  }
  ::close(uuid_pipe[0]);
  const int result = consume(frames, child, uuid_pipe[1]);
  if (result != 0) ::kill(child, SIGTERM);
  int status = 0;
  if (::waitpid(child, &status, 0) != child) return result;  // reaped in connect()
  if (result != 0) return result;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
