// Frames as DLPack tensors and tensors as rows: shapes, element types and strides.
#include "dlpack.hpp"

#include <array>
#include <string>

namespace geyser::capi {
namespace {

DLDataType dl(std::uint8_t code, std::uint8_t bits) {
  return DLDataType{code, bits, 1};
}

// What a tensor owns: its shape and strides, and what keeps the memory.
struct TensorState {
  DLManagedTensor tensor{};
  std::array<std::int64_t, 3> shape{};
  std::array<std::int64_t, 3> strides{};
  std::shared_ptr<void> keep;
};

void delete_tensor(DLManagedTensor* tensor) {
  delete static_cast<TensorState*>(tensor->manager_ctx);
}

std::string shape_text(const DLTensor& t) {
  std::string text = "(";
  for (int i = 0; i < t.ndim; ++i) text += (i ? ", " : "") + std::to_string(t.shape[i]);
  return text + ")";
}

}  // namespace

ElementType element_type(TextureFormat format) noexcept {
  const FormatInfo& info = format_info(format);
  const bool packed = info.kind != FormatKind::Color || format == TextureFormat::Rgb10a2Unorm ||
                      format == TextureFormat::Rg11b10Float;
  if (format == TextureFormat::Depth32Float) return {dl(kDLFloat, 32), 1};
  if (packed) return {dl(kDLUInt, static_cast<std::uint8_t>(info.texel_size * 8)), 1};
  const std::string_view name = info.name;
  std::uint8_t code = kDLUInt;
  if (name.ends_with("Float")) code = kDLFloat;
  if (name.ends_with("Sint") || name.ends_with("Snorm")) code = kDLInt;
  return {dl(code, static_cast<std::uint8_t>(info.texel_size / info.channels * 8)), info.channels};
}

Result<DLManagedTensor*> make_tensor(const RowView& view, std::shared_ptr<void> keep) {
  const ElementType element = element_type(view.format);
  const std::uint64_t element_size = element.type.bits / 8;
  if (view.row_pitch % element_size != 0) {
    return fail(ErrorCode::Validation, "a row pitch of " + std::to_string(view.row_pitch) +
                                           " bytes is not a multiple of the element size");
  }
  auto state = std::make_unique<TensorState>();
  state->shape = {view.height, view.width, element.channels};
  state->strides = {static_cast<std::int64_t>(view.row_pitch / element_size), element.channels, 1};
  state->keep = std::move(keep);
  DLTensor& t = state->tensor.dl_tensor;
  t.data = view.data;
  t.device = view.device;
  t.ndim = 3;
  t.dtype = element.type;
  t.shape = state->shape.data();
  t.strides = state->strides.data();
  t.byte_offset = 0;
  state->tensor.manager_ctx = state.get();
  state->tensor.deleter = delete_tensor;
  return &state.release()->tensor;
}

Result<TensorRows> tensor_rows(const DLTensor& t, std::uint32_t width, std::uint32_t height,
                               TextureFormat format) {
  const ElementType element = element_type(format);
  const std::string want = "(" + std::to_string(height) + ", " + std::to_string(width) + ", " +
                           std::to_string(element.channels) + ")";
  const bool u8 = t.dtype.code == kDLUInt && t.dtype.bits == 8 && t.dtype.lanes == 1;
  const bool own =
      t.dtype.code == element.type.code && t.dtype.bits == element.type.bits && t.dtype.lanes == 1;
  if (!u8 && !own) {
    return fail(ErrorCode::Validation, "the tensor's element type (code " +
                                           std::to_string(t.dtype.code) + ", " +
                                           std::to_string(t.dtype.bits) +
                                           " bits) is neither "
                                           "uint8 nor the format's");
  }
  const std::int64_t element_size = t.dtype.bits / 8;
  const std::int64_t row_elements =
      static_cast<std::int64_t>(width) * format_info(format).texel_size / element_size;
  const std::int64_t last = t.ndim >= 2 ? t.shape[1] * (t.ndim == 3 ? t.shape[2] : 1) : 0;
  if (t.ndim < 2 || t.ndim > 3 || t.shape[0] != height || t.shape[1] != width ||
      last != row_elements) {
    return fail(ErrorCode::Validation, "a tensor of shape " + shape_text(t) + " is not a " +
                                           std::to_string(width) + "x" + std::to_string(height) +
                                           " frame of " + std::string(to_string(format)) +
                                           " (shape " + want + ")");
  }
  std::int64_t row_stride = row_elements;
  if (t.strides != nullptr) {
    const std::int64_t inner = t.ndim == 3 ? t.shape[2] : 1;
    const bool packed_row = (t.ndim == 2 || t.strides[2] == 1 || t.shape[2] == 1) &&
                            (t.strides[1] == inner || t.shape[1] == 1);
    if (!packed_row || t.strides[0] < row_elements) {
      return fail(ErrorCode::Validation,
                  "the tensor's rows are not contiguous (make it contiguous first)");
    }
    row_stride = t.strides[0];
  }
  return TensorRows{static_cast<const std::uint8_t*>(t.data) + t.byte_offset, t.device,
                    static_cast<std::uint64_t>(row_stride * element_size)};
}

}  // namespace geyser::capi
