#include "geyser/texture_share_manager.hpp"

namespace geyser {

std::string_view to_string(Backend backend) noexcept {
  switch (backend) {
    case Backend::Vulkan: return "vulkan";
    case Backend::OpenGL: return "opengl";
    case Backend::Cuda: return "cuda";
  }
  return "unknown";
}

void TextureShareManager::release_texture_handle(TextureShareHandle&& handle) noexcept {
  handle.os_handle.reset();
}

}  // namespace geyser
