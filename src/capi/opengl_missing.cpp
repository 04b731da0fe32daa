// The OpenGL ends in a build without libepoxy: asking for them is Unsupported.
#include "apis.hpp"
#include "receiver.hpp"
#include "sender.hpp"

namespace geyser::capi {
namespace {

tl::unexpected<Error> no_opengl() {
  return fail(ErrorCode::Unsupported,
              "OpenGL: this libgeyser was built without the OpenGL backend (no libepoxy)");
}

}  // namespace

Result<void> opengl_available() {
  return no_opengl();
}

Result<std::unique_ptr<ReceiverEnd>> connect_opengl(const std::string&, std::chrono::milliseconds,
                                                    const channel::ReceiverOptions&) {
  return no_opengl();
}

Result<std::unique_ptr<SenderEnd>> publish_opengl(const std::string&, const TextureDescriptor&,
                                                  const channel::SenderOptions&) {
  return no_opengl();
}

}  // namespace geyser::capi
