// ImportedArray and ImportedBuffer: a shared texture's memory as CUDA objects.
#include <string>
#include <utility>

#include "cuda_error.hpp"
#include "external_memory.hpp"
#include "geyser/cuda/identity.hpp"
#include "geyser/cuda/texture.hpp"
#include "import_checks.hpp"
#include "opaque_fd.hpp"

namespace geyser::cuda {

// Members in the order they are made, so that they are destroyed in reverse: the surface
// before the array it reads, the array and the mapping before the memory under them.
struct ImportedArray::State {
  TextureDescriptor descriptor;
  ArrayFormat format;
  detail::ExternalMemory memory;
  detail::MipmappedArray mipmapped;
  CUarray level0 = nullptr;  // owned by `mipmapped`
  detail::SurfaceObject surface;
};

struct ImportedBuffer::State {
  TextureDescriptor descriptor;
  std::uint64_t row_pitch = 0;
  std::uint64_t size = 0;
  detail::ExternalMemory memory;
  detail::DevicePointer pointer;
};

namespace {

// Rule 1 first, before anything reads the fd; then the handle's own facts and the fd.
Result<void> check_before_import(const Context& context, const TextureShareHandle& handle,
                                 std::uint32_t tiling) {
  GEYSER_TRY_VOID(check_identity(context.info(), handle.identity));
  GEYSER_TRY_VOID(detail::check_memory_handle(handle, tiling));
  return detail::check_opaque_fd(handle.os_handle, "cuda import of memory");
}

Result<detail::MipmappedArray> map_mipmapped_array(
    const detail::ExternalMemory& memory, const CUDA_EXTERNAL_MEMORY_MIPMAPPED_ARRAY_DESC& desc) {
  const detail::DriverApi& api = memory.context()->api();
  CUmipmappedArray array = nullptr;
  GEYSER_TRY_VOID(detail::check(
      api, api.cuExternalMemoryGetMappedMipmappedArray(&array, memory.get(), &desc),
      "cuExternalMemoryGetMappedMipmappedArray(" + std::to_string(desc.arrayDesc.Width) + "x" +
          std::to_string(desc.arrayDesc.Height) + ", format " +
          std::to_string(static_cast<int>(desc.arrayDesc.Format)) + " x" +
          std::to_string(desc.arrayDesc.NumChannels) + ", flags 0x" +
          std::to_string(desc.arrayDesc.Flags) + ", " + std::to_string(desc.numLevels) +
          " levels)"));
  return detail::MipmappedArray(memory.context(), array);
}

Result<detail::SurfaceObject> create_surface(const detail::SharedContext& context, CUarray array) {
  CUDA_RESOURCE_DESC resource{};
  resource.resType = CU_RESOURCE_TYPE_ARRAY;
  resource.res.array.hArray = array;
  CUsurfObject surface = 0;
  GEYSER_TRY_VOID(detail::check(context->api(),
                                context->api().cuSurfObjectCreate(&surface, &resource),
                                "cuSurfObjectCreate(level 0)"));
  return detail::SurfaceObject(context, surface);
}

}  // namespace

Result<ImportedArray> ImportedArray::import(const Context& context,
                                            const TextureShareHandle& handle) {
  GEYSER_TRY_VOID(check_before_import(context, handle, detail::kTilingOptimal));
  GEYSER_TRY(const auto desc, detail::mipmapped_array_desc(handle));
  const detail::SharedContext& shared = context.shared();
  GEYSER_TRY(auto current, detail::CurrentContext::push(*shared));
  auto state = std::make_unique<State>();
  state->descriptor = handle.descriptor;
  GEYSER_TRY(state->format, array_format(handle.descriptor.format));
  GEYSER_TRY(state->memory, detail::import_external_memory(shared, handle));
  GEYSER_TRY(state->mipmapped, map_mipmapped_array(state->memory, desc));
  const detail::DriverApi& api = shared->api();
  GEYSER_TRY_VOID(
      detail::check(api, api.cuMipmappedArrayGetLevel(&state->level0, state->mipmapped.get(), 0),
                    "cuMipmappedArrayGetLevel(0)"));
  GEYSER_TRY(state->surface, create_surface(shared, state->level0));
  return ImportedArray(std::move(state));
}

ImportedArray::ImportedArray(std::unique_ptr<State> state) noexcept : state_(std::move(state)) {}
ImportedArray::ImportedArray(ImportedArray&&) noexcept = default;
ImportedArray& ImportedArray::operator=(ImportedArray&&) noexcept = default;
ImportedArray::~ImportedArray() = default;

CUmipmappedArray ImportedArray::mipmapped_array() const noexcept {
  return state_->mipmapped.get();
}
CUarray ImportedArray::array() const noexcept {
  return state_->level0;
}
CUsurfObject ImportedArray::surface() const noexcept {
  return state_->surface.get();
}
const TextureDescriptor& ImportedArray::descriptor() const noexcept {
  return state_->descriptor;
}
ArrayFormat ImportedArray::format() const noexcept {
  return state_->format;
}

Result<ImportedBuffer> ImportedBuffer::import(const Context& context,
                                              const TextureShareHandle& handle,
                                              std::uint64_t row_pitch, std::uint64_t offset) {
  GEYSER_TRY_VOID(check_before_import(context, handle, detail::kTilingLinear));
  GEYSER_TRY(const auto desc, detail::buffer_desc(handle, row_pitch, offset));
  const detail::SharedContext& shared = context.shared();
  GEYSER_TRY(auto current, detail::CurrentContext::push(*shared));
  auto state = std::make_unique<State>();
  state->descriptor = handle.descriptor;
  state->row_pitch = row_pitch;
  state->size = desc.size;
  GEYSER_TRY(state->memory, detail::import_external_memory(shared, handle));
  const detail::DriverApi& api = shared->api();
  CUdeviceptr pointer = 0;
  GEYSER_TRY_VOID(
      detail::check(api, api.cuExternalMemoryGetMappedBuffer(&pointer, state->memory.get(), &desc),
                    "cuExternalMemoryGetMappedBuffer(offset " + std::to_string(desc.offset) + ", " +
                        std::to_string(desc.size) + " bytes)"));
  state->pointer = detail::DevicePointer(shared, pointer);
  return ImportedBuffer(std::move(state));
}

ImportedBuffer::ImportedBuffer(std::unique_ptr<State> state) noexcept : state_(std::move(state)) {}
ImportedBuffer::ImportedBuffer(ImportedBuffer&&) noexcept = default;
ImportedBuffer& ImportedBuffer::operator=(ImportedBuffer&&) noexcept = default;
ImportedBuffer::~ImportedBuffer() = default;

CUdeviceptr ImportedBuffer::pointer() const noexcept {
  return state_->pointer.get();
}
std::uint64_t ImportedBuffer::row_pitch() const noexcept {
  return state_->row_pitch;
}
std::uint64_t ImportedBuffer::size() const noexcept {
  return state_->size;
}
const TextureDescriptor& ImportedBuffer::descriptor() const noexcept {
  return state_->descriptor;
}

}  // namespace geyser::cuda
