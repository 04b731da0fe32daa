#include "pipewire/producer.hpp"

#include <pipewire/pipewire.h>
#include <spa/buffer/meta.h>
#include <spa/param/video/format-utils.h>
#include <spa/utils/result.h>

#include <atomic>
#include <cstring>
#include <memory>

#include "control.hpp"
#include "pipewire/client.hpp"
#include "pipewire/format.hpp"
#include "pipewire/memfd_buffer.hpp"
#include "pipewire/stamp.hpp"
#include "pipewire/threads_cpu.hpp"
#include "process.hpp"

namespace geyser::bench::pipewire {
namespace {

class Producer {
 public:
  Producer(Client& client, pid_t daemon, const PipewirePlan& plan, const UniqueFd& ctl,
           std::chrono::milliseconds timeout, ProducerReport& report)
      : client_(client),
        daemon_(daemon),
        plan_(plan),
        ctl_(ctl),
        timeout_(timeout),
        report_(report) {}
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;
  ~Producer() {
    if (stream_ != nullptr) pw_stream_destroy(stream_);
  }

  Result<void> connect();
  void on_ctl();
  std::string progress() const;

 private:
  static void on_state_changed(void* data, pw_stream_state old, pw_stream_state state,
                               const char* error);
  static void on_param_changed(void* data, uint32_t id, const spa_pod* param);
  static void on_add_buffer(void* data, pw_buffer* buffer);
  static void on_remove_buffer(void* data, pw_buffer* buffer);
  static void on_process(void* data);

  static void on_retry(void* data, uint64_t expirations);
  void maybe_start();
  void trigger(std::uint64_t sequence);
  std::uint64_t total() const { return std::uint64_t{plan_.warmup} + plan_.frames; }

  Client& client_;
  pid_t daemon_;
  const PipewirePlan& plan_;
  const UniqueFd& ctl_;
  std::chrono::milliseconds timeout_;
  ProducerReport& report_;
  pw_stream* stream_ = nullptr;
  spa_hook listener_{};
  bool announced_ = false;
  bool streaming_ = false;
  bool consumer_ready_ = false;
  bool started_ = false;
  bool finishing_ = false;
  bool first_released_ = false;
  spa_source* retry_ = nullptr;
  std::uint64_t cpu_start_ = 0;
  std::uint64_t daemon_cpu_start_ = 0;
  std::atomic<std::uint64_t> next_sequence_{0};  // read by the data thread
};

Result<void> Producer::connect() {
  static const pw_stream_events events = {.version = PW_VERSION_STREAM_EVENTS,
                                          .state_changed = &Producer::on_state_changed,
                                          .param_changed = &Producer::on_param_changed,
                                          .add_buffer = &Producer::on_add_buffer,
                                          .remove_buffer = &Producer::on_remove_buffer,
                                          .process = &Producer::on_process};
  stream_ = pw_stream_new(client_.core(), "geyser-bench-producer",
                          pw_properties_new(PW_KEY_MEDIA_TYPE, "Video", PW_KEY_MEDIA_CATEGORY,
                                            "Source", PW_KEY_MEDIA_CLASS, "Video/Source", nullptr));
  if (stream_ == nullptr) return fail(ErrorCode::Internal, "pw_stream_new (producer) failed");
  pw_stream_add_listener(stream_, &listener_, &events, this);
  std::uint8_t storage[1024];
  spa_pod_builder builder = SPA_POD_BUILDER_INIT(storage, sizeof storage);
  const spa_pod* params[] = {video_format(builder, plan_.resolution)};
  const auto flags =
      static_cast<pw_stream_flags>(PW_STREAM_FLAG_DRIVER | PW_STREAM_FLAG_ALLOC_BUFFERS |
                                   PW_STREAM_FLAG_MAP_BUFFERS | PW_STREAM_FLAG_RT_PROCESS);
  if (const int res = pw_stream_connect(stream_, PW_DIRECTION_OUTPUT, PW_ID_ANY, flags, params, 1);
      res < 0) {
    return fail(ErrorCode::Internal,
                std::string("pw_stream_connect (producer): ") + spa_strerror(res));
  }
  return {};
}

void Producer::on_state_changed(void* data, pw_stream_state, pw_stream_state state,
                                const char* error) {
  auto* self = static_cast<Producer*>(data);
  if (state == PW_STREAM_STATE_ERROR) {
    self->client_.abort(
        Error(ErrorCode::Internal, std::string("producer stream: ") + (error ? error : "error")));
    return;
  }
  if (state == PW_STREAM_STATE_PAUSED && !self->announced_) {
    const uint32_t node = pw_stream_get_node_id(self->stream_);
    if (node == SPA_ID_INVALID) return;
    self->announced_ = true;
    if (auto sent = send_ctl(self->ctl_, Ctl::Connect, node); !sent) {
      self->client_.abort(sent.error());
    }
  }
  if (state == PW_STREAM_STATE_STREAMING) {
    self->streaming_ = true;
    self->maybe_start();
  }
}

void Producer::on_param_changed(void* data, uint32_t id, const spa_pod* param) {
  auto* self = static_cast<Producer*>(data);
  if (param == nullptr || id != SPA_PARAM_Format) return;
  std::uint8_t storage[1024];
  spa_pod_builder builder = SPA_POD_BUILDER_INIT(storage, sizeof storage);
  const spa_pod* params[] = {memfd_buffers(builder, self->plan_.resolution), header_meta(builder)};
  pw_stream_update_params(self->stream_, params, 2);
}

// ALLOC_BUFFERS: the producer gives every buffer its memfd (the main thread).
void Producer::on_add_buffer(void* data, pw_buffer* buffer) {
  auto* self = static_cast<Producer*>(data);
  if (buffer->buffer->n_datas < 1) {
    return self->client_.abort(Error(ErrorCode::Internal, "producer: a buffer without data"));
  }
  spa_data& plane = buffer->buffer->datas[0];
  const Resolution size = self->plan_.resolution;
  if (auto attached = attach_memfd(plane, std::size_t{size.width} * size.height * kBytesPerPixel);
      !attached) {
    return self->client_.abort(attached.error());
  }
  ++self->report_.buffers;
  self->report_.data_type = plane.type;
}

void Producer::on_remove_buffer(void* data, pw_buffer* buffer) {
  static_cast<void>(data);
  if (buffer->buffer->n_datas > 0) release_memfd(buffer->buffer->datas[0]);
}

// The data thread: one frame, stamped as it is queued.
void Producer::on_process(void* data) {
  auto* self = static_cast<Producer*>(data);
  pw_buffer* buffer = pw_stream_dequeue_buffer(self->stream_);
  if (buffer == nullptr) {
    self->client_.abort(Error(ErrorCode::Internal, "producer: no free buffer to queue"));
    return;
  }
  spa_buffer* frame = buffer->buffer;
  spa_data& plane = frame->datas[0];
  if (plane.data == nullptr || plane.maxsize < sizeof(FrameStamp)) {
    self->client_.abort(Error(ErrorCode::Internal, "producer: a buffer that is not mapped"));
    return;
  }
  const std::uint32_t stride = self->plan_.resolution.width * kBytesPerPixel;
  plane.chunk->offset = 0;
  plane.chunk->stride = static_cast<int32_t>(stride);
  plane.chunk->size = stride * self->plan_.resolution.height;
  FrameStamp stamp;
  stamp.sequence = self->next_sequence_.load();
  auto* header = static_cast<spa_meta_header*>(
      spa_buffer_find_meta_data(frame, SPA_META_Header, sizeof(spa_meta_header)));
  stamp.queued_ns = monotonic_ns();
  if (header != nullptr) {
    header->pts = static_cast<int64_t>(stamp.queued_ns);
    header->seq = stamp.sequence;
  }
  std::memcpy(plane.data, &stamp, sizeof stamp);
  pw_stream_queue_buffer(self->stream_, buffer);
}

// Both streams say they stream before the graph always carries the first cycle to the
// consumer (about one start in five here): frame 0, untimed, goes again every 20 ms until
// the consumer has it. The consumer ignores a second copy.
void Producer::maybe_start() {
  if (started_ || !streaming_ || !consumer_ready_) return;
  started_ = true;
  retry_ = pw_loop_add_timer(client_.loop(), &Producer::on_retry, this);
  timespec period{0, 20'000'000};
  pw_loop_update_timer(client_.loop(), retry_, &period, &period, false);
  trigger(0);
}

void Producer::on_retry(void* data, uint64_t) {
  auto* self = static_cast<Producer*>(data);
  if (self->first_released_) return;
  self->trigger(0);
}

void Producer::trigger(std::uint64_t sequence) {
  if (sequence == plan_.warmup) {
    cpu_start_ = process_cpu_ns();
    daemon_cpu_start_ = threads_cpu_ns(daemon_);
  }
  next_sequence_.store(sequence);
  if (const int res = pw_stream_trigger_process(stream_); res < 0) {
    client_.abort(
        Error(ErrorCode::Internal, std::string("pw_stream_trigger_process: ") + spa_strerror(res)));
  }
}

std::string Producer::progress() const {
  return std::string("producer: ") + (announced_ ? "node announced, " : "no node yet, ") +
         (streaming_ ? "streaming, " : "not streaming, ") +
         (consumer_ready_ ? "consumer ready, " : "consumer not ready, ") + "frame " +
         std::to_string(next_sequence_.load()) + " of " + std::to_string(total()) +
         (started_ ? " queued" : " not started");
}

// The main loop: the consumer's control messages, in order.
void Producer::on_ctl() {
  if (finishing_) {
    auto done = receive_ctl(ctl_, Ctl::Done, timeout_);
    if (!done) return client_.abort(done.error());
    return client_.quit();
  }
  if (!consumer_ready_) {
    auto connected = receive_ctl(ctl_, Ctl::Connected, timeout_);
    if (!connected) return client_.abort(connected.error());
    consumer_ready_ = true;
    return maybe_start();
  }
  auto released = receive_ctl(ctl_, Ctl::Released, timeout_);
  if (!released) return client_.abort(released.error());
  const std::uint64_t sequence = released->value;
  if (!first_released_) {
    first_released_ = true;
    pw_loop_update_timer(client_.loop(), retry_, nullptr, nullptr, false);
  }
  if (sequence != next_sequence_.load()) {
    return client_.abort(Error(ErrorCode::Protocol, "producer: frame " + std::to_string(sequence) +
                                                        " released, expected " +
                                                        std::to_string(next_sequence_.load())));
  }
  if (sequence + 1 < total()) return trigger(sequence + 1);
  report_.cpu_ns = process_cpu_ns() - cpu_start_;
  report_.daemon_cpu_ns = threads_cpu_ns(daemon_) - daemon_cpu_start_;
  finishing_ = true;
}

}  // namespace

Result<void> run_producer(const std::filesystem::path& runtime_dir, pid_t daemon,
                          const PipewirePlan& plan, const UniqueFd& ctl,
                          std::chrono::milliseconds timeout, ProducerReport& report) {
  GEYSER_TRY(std::unique_ptr<Client> client, Client::connect(runtime_dir));
  {
    Producer producer(*client, daemon, plan, ctl, timeout, report);
    GEYSER_TRY_VOID(producer.connect());
    client->watch(ctl.get(), [&producer] { producer.on_ctl(); });
    GEYSER_TRY_VOID(client->run(timeout, [&producer] { return producer.progress(); }));
  }
  return {};
}

}  // namespace geyser::bench::pipewire
