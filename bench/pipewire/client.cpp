#include "pipewire/client.hpp"

#include <cerrno>
#include <cstdlib>

#include <spa/utils/result.h>

namespace geyser::bench::pipewire {

Result<std::unique_ptr<Client>> Client::connect(const std::filesystem::path& runtime_dir) {
  ::setenv("PIPEWIRE_RUNTIME_DIR", runtime_dir.c_str(), 1);
  pw_init(nullptr, nullptr);
  std::unique_ptr<Client> client(new Client());
  client->main_loop_ = pw_main_loop_new(nullptr);
  if (client->main_loop_ == nullptr) {
    return fail(Error::from_errno(ErrorCode::Internal, "pw_main_loop_new", errno));
  }
  client->context_ = pw_context_new(client->loop(), nullptr, 0);
  if (client->context_ == nullptr) {
    return fail(Error::from_errno(ErrorCode::Internal, "pw_context_new", errno));
  }
  client->core_ = pw_context_connect(client->context_, nullptr, 0);
  if (client->core_ == nullptr) {
    return fail(Error::from_errno(ErrorCode::Internal,
                                  "pw_context_connect to " + runtime_dir.string(), errno));
  }
  static const pw_core_events events = {.version = PW_VERSION_CORE_EVENTS,
                                        .error = &Client::on_core_error};
  pw_core_add_listener(client->core_, &client->core_listener_, &events, client.get());
  client->timer_ = pw_loop_add_timer(client->loop(), &Client::on_timer, client.get());
  return client;
}

Client::~Client() {
  if (core_ != nullptr) {
    spa_hook_remove(&core_listener_);
    pw_core_disconnect(core_);
  }
  if (context_ != nullptr) pw_context_destroy(context_);  // also destroys the sources
  if (main_loop_ != nullptr) pw_main_loop_destroy(main_loop_);
  pw_deinit();
}

void Client::watch(int fd, std::function<void()> on_readable) {
  on_readable_ = std::move(on_readable);
  pw_loop_add_io(loop(), fd, SPA_IO_IN | SPA_IO_ERR | SPA_IO_HUP, false, &Client::on_io, this);
}

Result<void> Client::run(std::chrono::milliseconds timeout, std::function<std::string()> progress) {
  progress_ = std::move(progress);
  timespec value{};
  value.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  value.tv_nsec = static_cast<long>(timeout.count() % 1000) * 1'000'000L;
  pw_loop_update_timer(loop(), timer_, &value, nullptr, false);
  pw_main_loop_run(main_loop_);
  pw_loop_update_timer(loop(), timer_, nullptr, nullptr, false);
  std::lock_guard lock(mutex_);
  if (error_) return tl::unexpected(*error_);
  return {};
}

void Client::quit() noexcept {
  pw_main_loop_quit(main_loop_);
}

void Client::abort(Error error) {
  {
    std::lock_guard lock(mutex_);
    if (!error_) error_ = std::make_unique<Error>(std::move(error));
  }
  quit();
}

bool Client::failed() const {
  std::lock_guard lock(mutex_);
  return error_ != nullptr;
}

void Client::on_core_error(void* data, uint32_t id, int seq, int res, const char* message) {
  static_cast<void>(seq);
  auto* self = static_cast<Client*>(data);
  self->abort(Error(ErrorCode::Internal, "pipewire: error on object " + std::to_string(id) + ": " +
                                             (message ? message : "") + " (" + spa_strerror(res) +
                                             ")"));
}

void Client::on_timer(void* data, uint64_t expirations) {
  static_cast<void>(expirations);
  auto* self = static_cast<Client*>(data);
  self->abort(Error(ErrorCode::Timeout, "pipewire: timed out, " +
                                            (self->progress_ ? self->progress_() : std::string())));
}

void Client::on_io(void* data, int fd, uint32_t mask) {
  static_cast<void>(fd);
  static_cast<void>(mask);
  auto* self = static_cast<Client*>(data);
  if (self->on_readable_) self->on_readable_();
}

}  // namespace geyser::bench::pipewire
