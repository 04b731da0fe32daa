// upload and download: cuMemcpy2DAsync between tightly packed host rows and a CUDA array.
#include "geyser/cuda/copy.hpp"

#include <string>

#include "cuda_error.hpp"
#include "geyser/format.hpp"
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

Result<void> copy(const Context& context, CUDA_MEMCPY2D& params, const Stream& stream,
                  const std::string& what) {
  const detail::SharedContext& shared = context.shared();
  GEYSER_TRY(auto current, detail::CurrentContext::push(*shared));
  return detail::check(shared->api(), shared->api().cuMemcpy2DAsync(&params, stream.get()), what);
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
  return copy(context, params, stream,
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
  return copy(context, params, stream,
              "cuMemcpy2DAsync(array -> host, " + describe(texture.descriptor()) + ")");
}

}  // namespace geyser::cuda
