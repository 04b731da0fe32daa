#include "geyser/texture.hpp"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <string>

namespace geyser {

namespace {

constexpr std::uint32_t kMaxArrayLayers = 2048;

bool known_format(TextureFormat format) noexcept {
  return static_cast<std::size_t>(format) < all_formats().size();
}

std::string prefix() {
  return "TextureDescriptor: ";
}

std::string hex(std::uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%x", value);
  return text;
}

}  // namespace

std::string_view to_string(Tiling tiling) noexcept {
  return tiling == Tiling::Linear ? "linear" : "optimal";
}

std::string_view to_string(TextureUsage single_flag) noexcept {
  switch (single_flag) {
    case TextureUsage::None: return "None";
    case TextureUsage::TransferSrc: return "TransferSrc";
    case TextureUsage::TransferDst: return "TransferDst";
    case TextureUsage::Sampled: return "Sampled";
    case TextureUsage::Storage: return "Storage";
    case TextureUsage::ColorAttachment: return "ColorAttachment";
    case TextureUsage::DepthStencilAttachment: return "DepthStencilAttachment";
  }
  return "Unknown";
}

std::vector<std::string_view> usage_names(TextureUsage usage) {
  std::vector<std::string_view> names;
  for (TextureUsage flag : kAllUsages) {
    if (has_all(usage, flag)) names.push_back(to_string(flag));
  }
  return names;
}

Result<void> validate(const TextureDescriptor& desc) {
  const std::string range = " is out of range 1.." + std::to_string(kMaxTextureDimension);
  if (desc.width == 0 || desc.width > kMaxTextureDimension) {
    return fail(ErrorCode::Validation, prefix() + "width " + std::to_string(desc.width) + range);
  }
  if (desc.height == 0 || desc.height > kMaxTextureDimension) {
    return fail(ErrorCode::Validation, prefix() + "height " + std::to_string(desc.height) + range);
  }
  if (!known_format(desc.format)) {
    return fail(ErrorCode::Validation, prefix() + "format " +
                                           std::to_string(static_cast<unsigned>(desc.format)) +
                                           " is not a known TextureFormat");
  }
  // A full mip chain has floor(log2(max(width, height))) + 1 levels.
  const auto max_levels =
      static_cast<std::uint32_t>(std::bit_width(std::max(desc.width, desc.height)));
  if (desc.mip_levels == 0 || desc.mip_levels > max_levels) {
    return fail(ErrorCode::Validation, prefix() + "mip_levels " + std::to_string(desc.mip_levels) +
                                           " is out of range 1.." + std::to_string(max_levels) +
                                           " for " + std::to_string(desc.width) + "x" +
                                           std::to_string(desc.height));
  }
  if (desc.array_layers == 0 || desc.array_layers > kMaxArrayLayers) {
    return fail(ErrorCode::Validation,
                prefix() + "array_layers " + std::to_string(desc.array_layers) +
                    " is out of range 1.." + std::to_string(kMaxArrayLayers));
  }
  if (desc.usage == TextureUsage::None) {
    return fail(ErrorCode::Validation, prefix() + "usage is empty");
  }
  TextureUsage known = TextureUsage::None;
  for (TextureUsage flag : kAllUsages) known |= flag;
  const auto unknown_bits =
      static_cast<std::uint32_t>(desc.usage) & ~static_cast<std::uint32_t>(known);
  if (unknown_bits != 0) {
    return fail(ErrorCode::Validation, prefix() + "usage " +
                                           hex(static_cast<std::uint32_t>(desc.usage)) +
                                           " has unknown bits " + hex(unknown_bits));
  }

  const FormatInfo& info = format_info(desc.format);
  const bool depth = info.kind != FormatKind::Color;
  const std::string format_name(info.name);
  if (depth && has_all(desc.usage, TextureUsage::ColorAttachment)) {
    return fail(ErrorCode::Validation,
                prefix() + "usage ColorAttachment is not allowed on depth format " + format_name);
  }
  if (!depth && has_all(desc.usage, TextureUsage::DepthStencilAttachment)) {
    return fail(
        ErrorCode::Validation,
        prefix() + "usage DepthStencilAttachment is not allowed on colour format " + format_name);
  }
  if ((depth || info.srgb) && has_all(desc.usage, TextureUsage::Storage)) {
    return fail(ErrorCode::Validation, prefix() + "usage Storage is not allowed on " +
                                           (depth ? "depth" : "sRGB") + " format " + format_name);
  }
  return {};
}

std::uint64_t tight_size_bytes(const TextureDescriptor& desc) noexcept {
  if (!known_format(desc.format)) return 0;
  return std::uint64_t{desc.width} * desc.height * format_info(desc.format).texel_size;
}

std::string describe(const TextureDescriptor& desc) {
  std::string out = std::to_string(desc.width) + "x" + std::to_string(desc.height) + " ";
  out += to_string(desc.format);
  if (desc.mip_levels != 1) out += ", " + std::to_string(desc.mip_levels) + " mips";
  if (desc.array_layers != 1) out += ", " + std::to_string(desc.array_layers) + " layers";
  return out;
}

}  // namespace geyser
