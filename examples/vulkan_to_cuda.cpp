// A Vulkan producer process and a CUDA consumer process on one channel: the parent forks the
// producer (a vulkan::Sender writing the test pattern at 1920x1080), then receives the
// frames in CUDA with cuda::Receiver, on the CUDA device that is the producer's GPU, and
// checks every frame it reads with the pattern-check kernel (cuda::PatternChecker), which
// counts the texels that differ. No frame is copied: the kernel reads the slot itself.
//
//   geyser-vulkan-to-cuda [FRAMES]      (default 300)
//
// Exit codes: 0 every frame read matched, 1 a mismatch or an error, 77 no CUDA here (no
// NVIDIA driver, no device, or a library built without the kernel): the reason is printed.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "geyser/cuda/device.hpp"
#include "geyser/cuda/driver.hpp"
#include "geyser/cuda/pattern_check.hpp"
#include "geyser/cuda/receiver.hpp"
#include "geyser/test_pattern.hpp"
#include "geyser/vulkan/sender.hpp"

namespace {

using namespace std::chrono_literals;
const std::string kName = "geyser-vk-to-cuda-" + std::to_string(::getpid());
constexpr int kSkip = 77;  // ctest's SKIP_RETURN_CODE

// The child: publishes kName on its Vulkan device, tells the parent which GPU that is (its
// device UUID, 16 bytes on `uuid_fd`), and writes frames 1..frames, one each time a slot is
// free.
int produce(long frames, int uuid_fd) {
  auto device = geyser::vulkan::Device::create_headless();
  if (!device) {
    std::fprintf(stderr, "producer: %s\n", device.error().to_string().c_str());
    return 1;
  }
  const geyser::Uuid& uuid = device->identity().device_uuid;
  if (::write(uuid_fd, uuid.data(), uuid.size()) != static_cast<ssize_t>(uuid.size())) return 1;
  ::close(uuid_fd);
  geyser::TextureDescriptor desc;
  desc.width = 1920;
  desc.height = 1080;
  desc.usage = geyser::TextureUsage::TransferSrc | geyser::TextureUsage::TransferDst |
               geyser::TextureUsage::Sampled;
  auto sender = geyser::vulkan::Sender::publish(*device, kName, desc);
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
  // Until the consumer leaves: it takes the last frame before the channel closes.
  while (sender->stats().receivers > 0) (void)sender->poll(10ms);
  return 0;
}

// The producer's device UUID, read from `fd` within 30 s; false when it said nothing (it
// could not open a Vulkan device, and said why).
bool read_uuid(int fd, geyser::Uuid& uuid) {
  std::size_t got = 0;
  while (got < uuid.size()) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 30000) <= 0) return false;
    const ssize_t n = ::read(fd, uuid.data() + got, uuid.size() - got);
    if (n <= 0) return false;
    got += static_cast<std::size_t>(n);
  }
  return true;
}

// The parent: the CUDA device of the producer's GPU, the receiver on it, every frame checked
// by the kernel on the receiver's stream.
int consume(long frames, int uuid_fd) {
  auto driver = geyser::cuda::Driver::load();
  if (!driver) {
    std::printf("consumer: skipped: no usable CUDA driver: %s\n",
                driver.error().to_string().c_str());
    return kSkip;
  }
  geyser::Uuid uuid{};
  if (!read_uuid(uuid_fd, uuid)) {
    std::fprintf(stderr, "consumer: the producer did not say which GPU it writes on\n");
    return 1;
  }
  // The device whose CUDA UUID is the producer's Vulkan deviceUUID (docs/interop-cuda.md,
  // "Identity"); DeviceMismatch when the producer's GPU is none of CUDA's.
  auto context = geyser::cuda::Context::for_uuid(uuid);
  if (!context) {
    std::fprintf(stderr, "consumer: %s\n", context.error().to_string().c_str());
    return 1;
  }
  auto checker = geyser::cuda::PatternChecker::create(*context);
  if (!checker) {
    std::printf("consumer: skipped: no pattern-check kernel: %s\n",
                checker.error().to_string().c_str());
    return kSkip;
  }
  auto receiver = geyser::cuda::Receiver::connect(*context, kName, 10s);
  if (!receiver) {
    std::fprintf(stderr, "consumer: %s\n", receiver.error().to_string().c_str());
    return 1;
  }
  std::printf("consumer: '%s' (%s) in CUDA on %s (driver %s), sync %s\n", kName.c_str(),
              geyser::describe(receiver->descriptor()).c_str(), context->info().name.c_str(),
              (*driver)->version_string().c_str(),
              std::string(geyser::to_string(receiver->stats().sync_mode)).c_str());
  long checked = 0, bad = 0;
  std::uint64_t mismatched = 0, last = 0;
  while (last < static_cast<std::uint64_t>(frames)) {
    auto frame = receiver->acquire(5s);
    if (!frame) {
      std::fprintf(stderr, "consumer: %s\n", frame.error().to_string().c_str());
      return 1;
    }
    // frame->surface is the slot itself, ready for the work queued on frame->stream (in
    // `gpu` mode acquire queued the wait for the producer's write there): the kernel runs
    // after it, and release() signals the producer after the kernel.
    auto check = checker->check(frame->surface, frame->descriptor, frame->frame, frame->stream);
    if (!check) {
      std::fprintf(stderr, "consumer: %s\n", check.error().to_string().c_str());
      return 1;
    }
    if (!check->ok()) {
      ++bad;
      mismatched += check->mismatched_texels;
      if (bad <= 10) {
        std::fprintf(stderr, "consumer: frame %llu: %s\n",
                     static_cast<unsigned long long>(frame->frame), check->to_string().c_str());
      }
    }
    if (auto released = receiver->release(); !released) {
      std::fprintf(stderr, "consumer: %s\n", released.error().to_string().c_str());
      return 1;
    }
    last = frame->frame;
    ++checked;
  }
  std::printf(
      "consumer: %ld frames checked by the CUDA kernel, %ld bad (%llu texels differ), %llu "
      "skipped\n",
      checked, bad, static_cast<unsigned long long>(mismatched),
      static_cast<unsigned long long>(receiver->stats().frames_skipped));
  return bad == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const long frames = argc > 1 ? std::atol(argv[1]) : 300;
  // No NVIDIA driver at all: say so and skip before forking anything. (Without the library
  // Driver::load() fails at dlopen, before any CUDA state exists.)
  if (!geyser::cuda::driver_installed()) {
    auto driver = geyser::cuda::Driver::load();
    std::printf("consumer: skipped: no CUDA driver: %s\n",
                driver ? "libcuda.so.1 not found" : driver.error().to_string().c_str());
    return kSkip;
  }
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return 1;
  // Forked before either side touches Vulkan or CUDA (cuInit): the driver does not survive
  // a fork.
  const pid_t child = ::fork();
  if (child < 0) return 1;
  if (child == 0) {
    ::close(pipe_fds[0]);
    _exit(produce(frames, pipe_fds[1]));
  }
  ::close(pipe_fds[1]);
  const int result = consume(frames, pipe_fds[0]);
  ::close(pipe_fds[0]);
  if (result != 0) ::kill(child, SIGTERM);
  int status = 0;
  ::waitpid(child, &status, 0);
  if (result != 0) return result;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
