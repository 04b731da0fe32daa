// upload, download and copy_to_device: cuMemcpy2DAsync between a CUDA array and tightly
// packed host rows or pitched device memory; DeviceBuffer, cuMemAlloc'd memory.
#include "geyser/cuda/copy.hpp"

#include <memory>
#include <string>
#include <utility>

#include "cuda_error.hpp"
#include "geyser/format.hpp"
#include "owners.hpp"
#include "primary_context.hpp"

namespace geyser::cuda {
namespace {

// The rows of `texture`'s level 0 as host memory of `size` bytes, or Validation.
Result<std::size_t> row_bytes(const ImportedArray& texture, std::size_t size, const char* what) {
  const TextureDescriptor& desc = texture.descriptor();
  const std::size_t row =
      static_cast<std::size_t>(desc.width) * format_info(desc.format).texel_size;
  if (size != row * desc.height) {
    return fail(ErrorCode::Validation, std::string(what) + ": " + std::to_string(size) +
                                           " bytes given, " + describe(desc) + " holds " +
                                           std::to_string(row * desc.height));
  }
  return row;
}

Result<void> copy(const Context& context, CUDA_MEMCPY2D& params, CUstream stream,
                  const std::string& what) {
  const detail::SharedContext& shared = context.shared();
  GEYSER_TRY(auto current, detail::CurrentContext::push(*shared));
  return detail::check(shared->api(), shared->api().cuMemcpy2DAsync(&params, stream), what);
}

}  // namespace

Result<void> upload(const Context& context, const ImportedArray& texture,
                    std::span<const std::uint8_t> bytes, const Stream& stream) {
  GEYSER_TRY(const std::size_t row, row_bytes(texture, bytes.size(), "cuda::upload"));
  CUDA_MEMCPY2D params{};
  params.srcMemoryType = CU_MEMORYTYPE_HOST;
  params.srcHost = bytes.data();
  params.srcPitch = row;
  params.dstMemoryType = CU_MEMORYTYPE_ARRAY;
  params.dstArray = texture.array();
  params.WidthInBytes = row;
  params.Height = texture.descriptor().height;
  return copy(context, params, stream.get(),
              "cuMemcpy2DAsync(host -> array, " + describe(texture.descriptor()) + ")");
}

Result<void> download(const Context& context, const ImportedArray& texture,
                      std::span<std::uint8_t> bytes, const Stream& stream) {
  GEYSER_TRY(const std::size_t row, row_bytes(texture, bytes.size(), "cuda::download"));
  CUDA_MEMCPY2D params{};
  params.srcMemoryType = CU_MEMORYTYPE_ARRAY;
  params.srcArray = texture.array();
  params.dstMemoryType = CU_MEMORYTYPE_HOST;
  params.dstHost = bytes.data();
  params.dstPitch = row;
  params.WidthInBytes = row;
  params.Height = texture.descriptor().height;
  return copy(context, params, stream.get(),
              "cuMemcpy2DAsync(array -> host, " + describe(texture.descriptor()) + ")");
}

namespace {

// Copies into tightly packed host bytes what `params` names as its source, on `stream`,
// and waits for it.
Result<std::vector<std::uint8_t>> read_back_2d(const Context& context, CUDA_MEMCPY2D params,
                                               const TextureDescriptor& desc, CUstream stream) {
  const std::size_t row =
      static_cast<std::size_t>(desc.width) * format_info(desc.format).texel_size;
  std::vector<std::uint8_t> bytes(row * desc.height);
  params.dstMemoryType = CU_MEMORYTYPE_HOST;
  params.dstHost = bytes.data();
  params.dstPitch = row;
  params.WidthInBytes = row;
  params.Height = desc.height;
  const detail::SharedContext& shared = context.shared();
  const detail::DriverApi& api = shared->api();
  GEYSER_TRY(auto current, detail::CurrentContext::push(*shared));
  GEYSER_TRY_VOID(detail::check(api, api.cuMemcpy2DAsync(&params, stream),
                                "cuMemcpy2DAsync(-> host, " + describe(desc) + ")"));
  GEYSER_TRY_VOID(detail::check(api, api.cuStreamSynchronize(stream),
                                "cuStreamSynchronize(after the read-back)"));
  return bytes;
}

}  // namespace

Result<std::vector<std::uint8_t>> read_back(const Context& context, CUarray array,
                                            const TextureDescriptor& desc, CUstream stream) {
  CUDA_MEMCPY2D params{};
  params.srcMemoryType = CU_MEMORYTYPE_ARRAY;
  params.srcArray = array;
  return read_back_2d(context, params, desc, stream);
}

Result<std::vector<std::uint8_t>> read_back(const Context& context, CUdeviceptr data,
                                            std::uint64_t row_pitch, const TextureDescriptor& desc,
                                            CUstream stream) {
  CUDA_MEMCPY2D params{};
  params.srcMemoryType = CU_MEMORYTYPE_DEVICE;
  params.srcDevice = data;
  params.srcPitch = row_pitch;
  return read_back_2d(context, params, desc, stream);
}

struct DeviceBuffer::State {
  detail::DevicePointer memory;
  std::uint64_t size = 0;
};

DeviceBuffer::DeviceBuffer(std::unique_ptr<State> state) noexcept : state_(std::move(state)) {}
DeviceBuffer::DeviceBuffer(DeviceBuffer&&) noexcept = default;
DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&&) noexcept = default;
DeviceBuffer::~DeviceBuffer() = default;

CUdeviceptr DeviceBuffer::get() const noexcept {
  return state_ ? state_->memory.get() : CUdeviceptr{};
}
std::uint64_t DeviceBuffer::size() const noexcept {
  return state_ ? state_->size : 0;
}

Result<DeviceBuffer> DeviceBuffer::allocate(const Context& context, std::uint64_t bytes) {
  if (bytes == 0) return fail(ErrorCode::Validation, "cuda::DeviceBuffer: 0 bytes asked for");
  const detail::SharedContext& shared = context.shared();
  const detail::DriverApi& api = shared->api();
  GEYSER_TRY(auto current, detail::CurrentContext::push(*shared));
  CUdeviceptr pointer = 0;
  GEYSER_TRY_VOID(detail::check(
      api, api.cuMemAlloc(&pointer, static_cast<std::size_t>(bytes)),
      "cuMemAlloc(" + std::to_string(bytes) + " bytes on " + shared->info.name + ")"));
  auto state = std::make_unique<State>();
  state->memory = detail::DevicePointer(shared, pointer);
  state->size = bytes;
  return DeviceBuffer(std::move(state));
}

Result<void> copy_to_device(const Context& context, const ImportedArray& texture, CUdeviceptr dst,
                            std::uint64_t dst_pitch, const Stream& stream) {
  const TextureDescriptor& desc = texture.descriptor();
  const std::size_t row =
      static_cast<std::size_t>(desc.width) * format_info(desc.format).texel_size;
  if (dst == 0) return fail(ErrorCode::Validation, "cuda::copy_to_device: no destination");
  if (dst_pitch < row) {
    return fail(ErrorCode::Validation, "cuda::copy_to_device: a pitch of " +
                                           std::to_string(dst_pitch) +
                                           " bytes is less than a row of " + describe(desc) + " (" +
                                           std::to_string(row) + " bytes)");
  }
  CUDA_MEMCPY2D params{};
  params.srcMemoryType = CU_MEMORYTYPE_ARRAY;
  params.srcArray = texture.array();
  params.dstMemoryType = CU_MEMORYTYPE_DEVICE;
  params.dstDevice = dst;
  params.dstPitch = static_cast<std::size_t>(dst_pitch);
  params.WidthInBytes = row;
  params.Height = desc.height;
  return copy(context, params, stream.get(),
              "cuMemcpy2DAsync(array -> device, " + describe(desc) + ", pitch " +
                  std::to_string(dst_pitch) + ")");
}

namespace {

// Validation unless `pointer` is set and `pitch` holds a packed row of `desc`.
Result<std::size_t> pitched_rows(CUdeviceptr pointer, std::uint64_t pitch,
                                 const TextureDescriptor& desc, const char* what) {
  const std::size_t row =
      static_cast<std::size_t>(desc.width) * format_info(desc.format).texel_size;
  if (pointer == 0) return fail(ErrorCode::Validation, std::string(what) + ": a null pointer");
  if (pitch < row) {
    return fail(ErrorCode::Validation, std::string(what) + ": a pitch of " + std::to_string(pitch) +
                                           " bytes is less than a row of " + describe(desc) + " (" +
                                           std::to_string(row) + " bytes)");
  }
  return row;
}

}  // namespace

Result<void> copy_rows(const Context& context, CUarray array, const TextureDescriptor& desc,
                       CUdeviceptr dst, std::uint64_t dst_pitch, CUstream stream) {
  GEYSER_TRY(const std::size_t row, pitched_rows(dst, dst_pitch, desc, "cuda::copy_rows"));
  CUDA_MEMCPY2D params{};
  params.srcMemoryType = CU_MEMORYTYPE_ARRAY;
  params.srcArray = array;
  params.dstMemoryType = CU_MEMORYTYPE_DEVICE;
  params.dstDevice = dst;
  params.dstPitch = static_cast<std::size_t>(dst_pitch);
  params.WidthInBytes = row;
  params.Height = desc.height;
  return copy(context, params, stream, "cuMemcpy2DAsync(array -> device, " + describe(desc) + ")");
}

Result<void> copy_rows(const Context& context, CUdeviceptr src, std::uint64_t src_pitch,
                       CUarray array, const TextureDescriptor& desc, CUstream stream) {
  GEYSER_TRY(const std::size_t row, pitched_rows(src, src_pitch, desc, "cuda::copy_rows"));
  CUDA_MEMCPY2D params{};
  params.srcMemoryType = CU_MEMORYTYPE_DEVICE;
  params.srcDevice = src;
  params.srcPitch = static_cast<std::size_t>(src_pitch);
  params.dstMemoryType = CU_MEMORYTYPE_ARRAY;
  params.dstArray = array;
  params.WidthInBytes = row;
  params.Height = desc.height;
  return copy(context, params, stream, "cuMemcpy2DAsync(device -> array, " + describe(desc) + ")");
}

}  // namespace geyser::cuda
