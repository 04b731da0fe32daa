// The OpenGL end of geyser_sender: opengl::Sender in the caller's current GL context.
#include "geyser/opengl/sender.hpp"

#include "sender.hpp"

namespace geyser::capi {
namespace {

class OpenGlEnd final : public TypedEnd<opengl::Sender, opengl::SenderFrame> {
 public:
  using TypedEnd::TypedEnd;

 private:
  void fill(const opengl::SenderFrame& frame, geyser_slot& out) const override {
    out.gl_texture = frame.texture;
  }
};

}  // namespace

Result<std::unique_ptr<SenderEnd>> publish_opengl(const std::string& name,
                                                  const TextureDescriptor& desc,
                                                  const channel::SenderOptions& options) {
  GEYSER_TRY(auto sender, opengl::Sender::publish(name, desc, options));
  return std::make_unique<OpenGlEnd>(nullptr, std::move(sender));
}

}  // namespace geyser::capi
