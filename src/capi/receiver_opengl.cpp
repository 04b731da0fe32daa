// The OpenGL end of geyser_receiver: opengl::Receiver in the caller's current GL context.
#include "geyser/opengl/receiver.hpp"

#include "receiver.hpp"

namespace geyser::capi {
namespace {

class OpenGlEnd final : public ReceiverEnd {
 public:
  explicit OpenGlEnd(opengl::Receiver receiver) : receiver_(std::move(receiver)) {}

  Result<void> acquire(std::chrono::milliseconds timeout, geyser_frame& out) override {
    GEYSER_TRY(opengl::ReceivedFrame frame, receiver_.acquire(timeout));
    out.gl_texture = frame.texture;
    return {};
  }
  Result<void> release() override { return receiver_.release(); }
  channel::ReceiverCore& core() override { return receiver_.core(); }

 private:
  opengl::Receiver receiver_;
};

}  // namespace

Result<std::unique_ptr<ReceiverEnd>> connect_opengl(const std::string& name,
                                                    std::chrono::milliseconds timeout,
                                                    const channel::ReceiverOptions& options) {
  GEYSER_TRY(auto receiver, opengl::Receiver::connect(name, timeout, options));
  return std::make_unique<OpenGlEnd>(std::move(receiver));
}

}  // namespace geyser::capi
