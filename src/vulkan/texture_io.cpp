// upload() and readback(): host copies into and out of a shared texture, with the
// acquire/release barriers of docs/architecture.md, rule 4, waited on the CPU.
#include <chrono>
#include <cstring>
#include <string>

#include "copy_support.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"
#include "staging_buffer.hpp"

namespace geyser::vulkan {
namespace {

using detail::check_copyable;
using detail::OneShot;
using detail::pipeline_barrier;
using detail::StagingBuffer;
using detail::whole_copy;

VkImageSubresourceRange whole_color(const TextureDescriptor& desc) {
  return {VK_IMAGE_ASPECT_COLOR_BIT, 0, desc.mip_levels, 0, desc.array_layers};
}

}  // namespace

VkImageMemoryBarrier2 acquire_barrier(const VulkanSharedTexture& texture, VkImageLayout layout,
                                      VkPipelineStageFlags2 stages,
                                      VkAccessFlags2 access) noexcept {
  return detail::acquire_barrier_on(texture, texture.device().queue_family_index(), layout, stages,
                                    access);
}

VkImageMemoryBarrier2 release_barrier(const VulkanSharedTexture& texture, VkImageLayout layout,
                                      VkPipelineStageFlags2 stages,
                                      VkAccessFlags2 access) noexcept {
  return detail::release_barrier_on(texture, texture.device().queue_family_index(), layout, stages,
                                    access);
}

VkImageMemoryBarrier2 detail::acquire_barrier_on(const VulkanSharedTexture& texture,
                                                 std::uint32_t family, VkImageLayout layout,
                                                 VkPipelineStageFlags2 stages,
                                                 VkAccessFlags2 access) noexcept {
  VkImageMemoryBarrier2 b{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER_2};
  // The acquire half of a queue family ownership transfer: its source scope is ignored,
  // the release on the other side (and the semaphore or fence between) orders it.
  b.srcStageMask = VK_PIPELINE_STAGE_2_NONE;
  b.srcAccessMask = VK_ACCESS_2_NONE;
  b.dstStageMask = stages;
  b.dstAccessMask = access;
  b.oldLayout = texture.shared_layout();
  b.newLayout = layout;
  if (texture.shared_layout() == VK_IMAGE_LAYOUT_UNDEFINED) {
    // Never accessed: nothing to acquire, contents are discarded.
    b.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    b.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  } else {
    b.srcQueueFamilyIndex = VK_QUEUE_FAMILY_EXTERNAL;
    b.dstQueueFamilyIndex = family;
  }
  b.image = texture.image();
  b.subresourceRange = whole_color(texture.descriptor());
  return b;
}

VkImageMemoryBarrier2 detail::release_barrier_on(const VulkanSharedTexture& texture,
                                                 std::uint32_t family, VkImageLayout layout,
                                                 VkPipelineStageFlags2 stages,
                                                 VkAccessFlags2 access) noexcept {
  VkImageMemoryBarrier2 b{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER_2};
  b.srcStageMask = stages;
  b.srcAccessMask = access;
  b.dstStageMask = VK_PIPELINE_STAGE_2_NONE;
  b.dstAccessMask = VK_ACCESS_2_NONE;
  b.oldLayout = layout;
  b.newLayout = static_cast<VkImageLayout>(kSharedImageLayout);
  b.srcQueueFamilyIndex = family;
  b.dstQueueFamilyIndex = VK_QUEUE_FAMILY_EXTERNAL;
  b.image = texture.image();
  b.subresourceRange = whole_color(texture.descriptor());
  return b;
}

namespace {

// The bytes upload_rows() reads for `texture` at `row_pitch` (the last row needs only its
// texels, not the padding after them); Validation for a bad pitch or too few bytes.
Result<std::uint64_t> rows_size(const VulkanSharedTexture& texture, std::size_t have,
                                std::uint32_t row_pitch) {
  const TextureDescriptor& desc = texture.descriptor();
  const std::uint32_t texel = format_info(desc.format).texel_size;
  const std::uint64_t row_bytes = std::uint64_t{desc.width} * texel;
  if (row_pitch % texel != 0 || row_pitch < row_bytes) {
    return fail(ErrorCode::Validation,
                "upload_rows(" + describe(desc) + "): row_pitch " + std::to_string(row_pitch) +
                    " must be a multiple of the texel size " + std::to_string(texel) +
                    " and at least the row's " + std::to_string(row_bytes) + " bytes");
  }
  const std::uint64_t size = std::uint64_t{row_pitch} * (desc.height - 1) + row_bytes;
  if (have < size) {
    return fail(ErrorCode::Validation, "upload_rows(" + describe(desc) + ", row_pitch " +
                                           std::to_string(row_pitch) + "): got " +
                                           std::to_string(have) + " bytes, expected at least " +
                                           std::to_string(size));
  }
  return size;
}

}  // namespace

Result<void> detail::upload_rows_through(VulkanSharedTexture& texture, StagingBuffer& staging,
                                         std::span<const std::uint8_t> bytes,
                                         std::uint32_t row_pitch,
                                         std::span<const VkSemaphoreSubmitInfo> waits,
                                         std::span<const VkSemaphoreSubmitInfo> signals) {
  GEYSER_TRY_VOID(check_copyable(texture, TextureUsage::TransferDst, "upload"));
  GEYSER_TRY(const std::uint64_t size, rows_size(texture, bytes.size(), row_pitch));
  if (staging.size() < size || staging.leaked()) {
    return fail(ErrorCode::Validation, "upload_rows: the staging buffer holds " +
                                           std::to_string(staging.size()) + " bytes, not " +
                                           std::to_string(size) +
                                           (staging.leaked() ? " (and is leaked)" : ""));
  }
  const TextureDescriptor& desc = texture.descriptor();
  const std::uint32_t texel = format_info(desc.format).texel_size;
  std::memcpy(staging.data(), bytes.data(), size);

  OneShot shot(texture.device());
  GEYSER_TRY(VkCommandBuffer cmd, shot.begin());
  const auto acquire =
      acquire_barrier(texture, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_PIPELINE_STAGE_2_COPY_BIT,
                      VK_ACCESS_2_TRANSFER_WRITE_BIT);
  pipeline_barrier(cmd, &acquire);
  // bufferRowLength counts texels, hence the pitch had to be a whole number of them.
  const VkBufferImageCopy region = whole_copy(desc, row_pitch / texel);
  vkCmdCopyBufferToImage(cmd, staging.buffer(), texture.image(),
                         VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &region);
  const auto release =
      release_barrier(texture, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_PIPELINE_STAGE_2_COPY_BIT,
                      VK_ACCESS_2_TRANSFER_WRITE_BIT);
  pipeline_barrier(cmd, &release);
  if (auto done = shot.submit_and_wait(waits, signals); !done) {
    if (shot.pending()) staging.leak();
    return tl::unexpected(std::move(done).error());
  }
  texture.mark_released();
  return {};
}

Result<void> upload_rows(VulkanSharedTexture& texture, std::span<const std::uint8_t> bytes,
                         std::uint32_t row_pitch, std::span<const VkSemaphoreSubmitInfo> waits,
                         std::span<const VkSemaphoreSubmitInfo> signals) {
  GEYSER_TRY_VOID(check_copyable(texture, TextureUsage::TransferDst, "upload"));
  GEYSER_TRY(const std::uint64_t size, rows_size(texture, bytes.size(), row_pitch));
  StagingBuffer staging(texture.device());
  GEYSER_TRY_VOID(staging.init(texture.device(), size, VK_BUFFER_USAGE_TRANSFER_SRC_BIT));
  return detail::upload_rows_through(texture, staging, bytes, row_pitch, waits, signals);
}

Result<void> upload(VulkanSharedTexture& texture, std::span<const std::uint8_t> bytes,
                    std::span<const VkSemaphoreSubmitInfo> waits,
                    std::span<const VkSemaphoreSubmitInfo> signals) {
  GEYSER_TRY_VOID(check_copyable(texture, TextureUsage::TransferDst, "upload"));
  const TextureDescriptor& desc = texture.descriptor();
  const std::uint64_t size = tight_size_bytes(desc);
  if (bytes.size() != size) {
    return fail(ErrorCode::Validation, "upload(" + describe(desc) + "): got " +
                                           std::to_string(bytes.size()) + " bytes, expected " +
                                           std::to_string(size));
  }
  return upload_rows(texture, bytes, desc.width * format_info(desc.format).texel_size, waits,
                     signals);
}

Result<std::vector<std::uint8_t>> readback(VulkanSharedTexture& texture,
                                           std::span<const VkSemaphoreSubmitInfo> waits,
                                           std::span<const VkSemaphoreSubmitInfo> signals) {
  GEYSER_TRY_VOID(check_copyable(texture, TextureUsage::TransferSrc, "readback"));
  const TextureDescriptor& desc = texture.descriptor();
  const std::uint64_t size = tight_size_bytes(desc);
  const Device& device = texture.device();
  StagingBuffer staging(device);
  GEYSER_TRY_VOID(staging.init(device, size, VK_BUFFER_USAGE_TRANSFER_DST_BIT));

  OneShot shot(device);
  GEYSER_TRY(VkCommandBuffer cmd, shot.begin());
  const auto acquire = acquire_barrier(texture, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                                       VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_READ_BIT);
  pipeline_barrier(cmd, &acquire);
  const VkBufferImageCopy region = whole_copy(desc);
  vkCmdCopyImageToBuffer(cmd, texture.image(), VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                         staging.buffer(), 1, &region);
  const auto release = release_barrier(texture, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                                       VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_READ_BIT);
  // The copy's writes to the staging buffer must reach the host domain before we read them.
  VkMemoryBarrier2 to_host{VK_STRUCTURE_TYPE_MEMORY_BARRIER_2};
  to_host.srcStageMask = VK_PIPELINE_STAGE_2_COPY_BIT;
  to_host.srcAccessMask = VK_ACCESS_2_TRANSFER_WRITE_BIT;
  to_host.dstStageMask = VK_PIPELINE_STAGE_2_HOST_BIT;
  to_host.dstAccessMask = VK_ACCESS_2_HOST_READ_BIT;
  pipeline_barrier(cmd, &release, &to_host);
  if (auto done = shot.submit_and_wait(waits, signals); !done) {
    if (shot.pending()) staging.leak();
    return tl::unexpected(std::move(done).error());
  }
  texture.mark_released();
  return std::vector<std::uint8_t>(staging.data(), staging.data() + size);
}

}  // namespace geyser::vulkan
