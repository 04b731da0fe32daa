// The backend-neutral interface to shareable textures.
#pragma once

#include <memory>
#include <string_view>

#include "geyser/error.hpp"
#include "geyser/share_handle.hpp"
#include "geyser/texture.hpp"

namespace geyser {

/// Which API a texture or manager belongs to.
enum class Backend : std::uint8_t { Vulkan, OpenGL, Cuda };
[[nodiscard]] std::string_view to_string(Backend backend) noexcept;

/// A texture whose memory can be shared. Created or imported by a TextureShareManager; it
/// keeps its manager's device alive only as long as the manager lives, so destroy textures
/// before their manager. The backend's subclass gives the native objects. Thread-safety:
/// like its manager (one thread at a time); the GPU accesses are ordered by the sync
/// protocol, not by locks.
class SharedTexture {
 public:
  virtual ~SharedTexture() = default;
  SharedTexture(const SharedTexture&) = delete;
  SharedTexture& operator=(const SharedTexture&) = delete;

  [[nodiscard]] virtual Backend backend() const noexcept = 0;
  [[nodiscard]] virtual const TextureDescriptor& descriptor() const noexcept = 0;
  /// True if this texture was imported from a handle rather than created here.
  [[nodiscard]] virtual bool imported() const noexcept = 0;

 protected:
  SharedTexture() = default;
};

/// A semaphore whose payload can be shared (exported as an OS handle, e.g. an opaque fd). The
/// backend's subclass gives the native object. Thread-safety: like its manager.
class SharedSemaphore {
 public:
  virtual ~SharedSemaphore() = default;
  SharedSemaphore(const SharedSemaphore&) = delete;
  SharedSemaphore& operator=(const SharedSemaphore&) = delete;

  [[nodiscard]] virtual Backend backend() const noexcept = 0;
  [[nodiscard]] virtual SemaphoreType type() const noexcept = 0;
  [[nodiscard]] virtual bool imported() const noexcept = 0;

 protected:
  SharedSemaphore() = default;
};

/// Creates, exports and imports shared textures on one device. Not thread-safe: use one
/// manager per thread or lock around it.
class TextureShareManager {
 public:
  virtual ~TextureShareManager() = default;

  [[nodiscard]] virtual Backend backend() const noexcept = 0;
  /// The identity that exported handles carry and imports are checked against.
  [[nodiscard]] virtual const DeviceIdentity& identity() const noexcept = 0;

  /// Creates a texture with exportable, dedicated memory. Validation for a bad descriptor,
  /// Unsupported when the device cannot export that format and usage.
  [[nodiscard]] virtual Result<std::unique_ptr<SharedTexture>> create_shareable_texture(
      const TextureDescriptor& desc) = 0;
  /// Exports `texture`'s memory as a new handle that owns a new OS handle. The texture must come
  /// from this manager (Validation otherwise). Call as often as needed; each handle is
  /// independent.
  [[nodiscard]] virtual Result<TextureShareHandle> export_texture(const SharedTexture& texture) = 0;
  /// Imports a handle from this or another process. Checks identity (DeviceMismatch),
  /// support (Unsupported) and sizes (Validation) before touching the OS handle. Does not consume
  /// the handle: its OS handle is duplicated, and the duplicate is owned by the texture on success
  /// and closed on failure.
  [[nodiscard]] virtual Result<std::unique_ptr<SharedTexture>> import_texture(
      const TextureShareHandle& handle) = 0;
  /// Consumes a handle: closes its OS handle. Textures imported from it stay valid.
  virtual void release_texture_handle(TextureShareHandle&& handle) noexcept;

  /// Creates an exportable semaphore (a timeline one starts at 0). Unsupported when the
  /// device cannot export that type.
  [[nodiscard]] virtual Result<std::unique_ptr<SharedSemaphore>> create_shared_semaphore(
      SemaphoreType type) = 0;
  /// Exports a semaphore made by this manager as a new handle owning a new OS handle.
  [[nodiscard]] virtual Result<SemaphoreShareHandle> export_semaphore(
      const SharedSemaphore& semaphore) = 0;
  /// Imports a semaphore handle; checks identity first (DeviceMismatch), then support
  /// (Unsupported). Does not consume the handle: a duplicate is imported.
  [[nodiscard]] virtual Result<std::unique_ptr<SharedSemaphore>> import_semaphore(
      const SemaphoreShareHandle& handle) = 0;

 protected:
  TextureShareManager() = default;
};

}  // namespace geyser
