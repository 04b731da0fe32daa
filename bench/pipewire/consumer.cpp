#include "pipewire/consumer.hpp"

#include <pipewire/pipewire.h>
#include <spa/utils/result.h>

#include <cstring>
#include <memory>
#include <string>

#include "control.hpp"
#include "pipewire/client.hpp"
#include "pipewire/format.hpp"
#include "pipewire/stamp.hpp"
#include "process.hpp"

namespace geyser::bench::pipewire {
namespace {

class Consumer {
 public:
  Consumer(Client& client, std::uint32_t producer_node, const PipewirePlan& plan,
           const UniqueFd& ctl, ConsumerReport& report)
      : client_(client), producer_node_(producer_node), plan_(plan), ctl_(ctl), report_(report) {}
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;
  ~Consumer() {
    if (link_ != nullptr) pw_proxy_destroy(link_);
    if (stream_ != nullptr) pw_stream_destroy(stream_);
  }

  Result<void> connect();
  std::string progress() const {
    return std::string("consumer: ") + (link_ != nullptr ? "link made, " : "no link yet, ") +
           (connected_ ? "streaming, " : "not streaming, ") + std::to_string(report_.frames) +
           " of " + std::to_string(total()) + " frames received";
  }

 private:
  static void on_state_changed(void* data, pw_stream_state old, pw_stream_state state,
                               const char* error);
  static void on_param_changed(void* data, uint32_t id, const spa_pod* param);
  static void on_add_buffer(void* data, pw_buffer* buffer);
  static void on_process(void* data);

  void link(std::uint32_t own_node);
  void receive(pw_buffer* buffer, std::uint64_t arrived_ns);
  std::uint64_t total() const { return std::uint64_t{plan_.warmup} + plan_.frames; }

  Client& client_;
  std::uint32_t producer_node_;
  const PipewirePlan& plan_;
  const UniqueFd& ctl_;
  ConsumerReport& report_;
  pw_stream* stream_ = nullptr;
  spa_hook listener_{};
  pw_proxy* link_ = nullptr;
  bool connected_ = false;
  std::uint64_t cpu_start_ = 0;
};

Result<void> Consumer::connect() {
  static const pw_stream_events events = {.version = PW_VERSION_STREAM_EVENTS,
                                          .state_changed = &Consumer::on_state_changed,
                                          .param_changed = &Consumer::on_param_changed,
                                          .add_buffer = &Consumer::on_add_buffer,
                                          .process = &Consumer::on_process};
  const std::string target = std::to_string(producer_node_);
  stream_ =
      pw_stream_new(client_.core(), "geyser-bench-consumer",
                    pw_properties_new(PW_KEY_MEDIA_TYPE, "Video", PW_KEY_MEDIA_CATEGORY, "Capture",
                                      PW_KEY_TARGET_OBJECT, target.c_str(), nullptr));
  if (stream_ == nullptr) return fail(ErrorCode::Internal, "pw_stream_new (consumer) failed");
  pw_stream_add_listener(stream_, &listener_, &events, this);
  std::uint8_t storage[1024];
  spa_pod_builder builder = SPA_POD_BUILDER_INIT(storage, sizeof storage);
  const spa_pod* params[] = {video_format(builder, plan_.resolution)};
  // No AUTOCONNECT: nothing would act on it without a session manager; link() does.
  const auto flags =
      static_cast<pw_stream_flags>(PW_STREAM_FLAG_MAP_BUFFERS | PW_STREAM_FLAG_RT_PROCESS);
  if (const int res = pw_stream_connect(stream_, PW_DIRECTION_INPUT, PW_ID_ANY, flags, params, 1);
      res < 0) {
    return fail(ErrorCode::Internal,
                std::string("pw_stream_connect (consumer): ") + spa_strerror(res));
  }
  return {};
}

// The explicit link, made by the daemon's link-factory: producer's node -> this node.
void Consumer::link(std::uint32_t own_node) {
  const std::string output = std::to_string(producer_node_);
  const std::string input = std::to_string(own_node);
  pw_properties* props =
      pw_properties_new(PW_KEY_LINK_OUTPUT_NODE, output.c_str(), PW_KEY_LINK_INPUT_NODE,
                        input.c_str(), PW_KEY_OBJECT_LINGER, "false", nullptr);
  link_ = static_cast<pw_proxy*>(pw_core_create_object(
      client_.core(), "link-factory", PW_TYPE_INTERFACE_Link, PW_VERSION_LINK, &props->dict, 0));
  pw_properties_free(props);
  if (link_ == nullptr) {
    client_.abort(Error(ErrorCode::Internal, "pw_core_create_object(link-factory) failed"));
  }
}

void Consumer::on_state_changed(void* data, pw_stream_state, pw_stream_state state,
                                const char* error) {
  auto* self = static_cast<Consumer*>(data);
  if (state == PW_STREAM_STATE_ERROR) {
    self->client_.abort(
        Error(ErrorCode::Internal, std::string("consumer stream: ") + (error ? error : "error")));
    return;
  }
  if (state == PW_STREAM_STATE_PAUSED && self->link_ == nullptr) {
    const uint32_t node = pw_stream_get_node_id(self->stream_);
    if (node != SPA_ID_INVALID) self->link(node);
  }
  if (state == PW_STREAM_STATE_STREAMING && !self->connected_) {
    self->connected_ = true;
    if (self->plan_.warmup == 0) self->cpu_start_ = process_cpu_ns();
    if (auto sent = send_ctl(self->ctl_, Ctl::Connected); !sent) self->client_.abort(sent.error());
  }
}

void Consumer::on_param_changed(void* data, uint32_t id, const spa_pod* param) {
  auto* self = static_cast<Consumer*>(data);
  if (param == nullptr || id != SPA_PARAM_Format) return;
  std::uint8_t storage[1024];
  spa_pod_builder builder = SPA_POD_BUILDER_INIT(storage, sizeof storage);
  const spa_pod* params[] = {memfd_buffers(builder, self->plan_.resolution), header_meta(builder)};
  pw_stream_update_params(self->stream_, params, 2);
}

void Consumer::on_add_buffer(void* data, pw_buffer* buffer) {
  auto* self = static_cast<Consumer*>(data);
  ++self->report_.buffers;
  if (buffer->buffer->n_datas > 0) self->report_.data_type = buffer->buffer->datas[0].type;
}

// The data thread: every buffer the producer queued.
void Consumer::on_process(void* data) {
  auto* self = static_cast<Consumer*>(data);
  while (pw_buffer* buffer = pw_stream_dequeue_buffer(self->stream_)) {
    self->receive(buffer, monotonic_ns());
  }
}

void Consumer::receive(pw_buffer* buffer, std::uint64_t arrived_ns) {
  const spa_data& plane = buffer->buffer->datas[0];
  if (plane.data == nullptr || plane.chunk->size < sizeof(FrameStamp)) {
    pw_stream_queue_buffer(stream_, buffer);
    return client_.abort(Error(ErrorCode::Internal, "consumer: a frame without its stamp"));
  }
  FrameStamp stamp;
  std::memcpy(&stamp, static_cast<const std::uint8_t*>(plane.data) + plane.chunk->offset,
              sizeof stamp);
  pw_stream_queue_buffer(stream_, buffer);
  if (stamp.sequence == 0 && report_.frames == 1) return;  // frame 0 again (the producer's retry)
  if (stamp.sequence != report_.frames) {
    return client_.abort(
        Error(ErrorCode::Protocol, "consumer: got frame " + std::to_string(stamp.sequence) +
                                       ", expected " + std::to_string(report_.frames)));
  }
  ++report_.frames;
  if (stamp.sequence >= plan_.warmup && report_.latency_count < kMaxFrames) {
    report_.latency_us[report_.latency_count++] = micros(stamp.queued_ns, arrived_ns);
  }
  if (auto sent = send_ctl(ctl_, Ctl::Released, 0, stamp.sequence); !sent) {
    return client_.abort(sent.error());
  }
  if (stamp.sequence + 1 == plan_.warmup) cpu_start_ = process_cpu_ns();
  if (stamp.sequence + 1 == total()) {
    report_.cpu_ns = process_cpu_ns() - cpu_start_;
    client_.quit();
  }
}

}  // namespace

Result<void> run_consumer(const std::filesystem::path& runtime_dir, const PipewirePlan& plan,
                          const UniqueFd& ctl, std::chrono::milliseconds timeout,
                          ConsumerReport& report) {
  GEYSER_TRY(CtlMessage producer, receive_ctl(ctl, Ctl::Connect, timeout));
  GEYSER_TRY(std::unique_ptr<Client> client, Client::connect(runtime_dir));
  {
    Consumer consumer(*client, producer.arg, plan, ctl, report);
    GEYSER_TRY_VOID(consumer.connect());
    GEYSER_TRY_VOID(client->run(timeout, [&consumer] { return consumer.progress(); }));
  }
  // Disconnected: the producer may go.
  GEYSER_TRY_VOID(send_ctl(ctl, Ctl::Done));
  return {};
}

}  // namespace geyser::bench::pipewire
