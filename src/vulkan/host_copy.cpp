// HostPointerBuffer and copy_to_host: the device writes host frames straight into shared
// host memory it imported with VK_EXT_external_memory_host.
#include "host_copy.hpp"

#include <string>
#include <utility>

#include "copy_support.hpp"

namespace geyser::vulkan::detail {
namespace {

constexpr VkExternalMemoryHandleTypeFlagBits kHostHandle =
    VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT;

// Whether the device can import host allocations for buffers with `usage`
// (vkGetPhysicalDeviceExternalBufferProperties, VUID-VkMemoryAllocateInfo-None-06657).
bool importable(const Device& device, VkBufferUsageFlags usage) {
  VkPhysicalDeviceExternalBufferInfo info{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_BUFFER_INFO};
  info.usage = usage;
  info.handleType = kHostHandle;
  VkExternalBufferProperties props{VK_STRUCTURE_TYPE_EXTERNAL_BUFFER_PROPERTIES};
  vkGetPhysicalDeviceExternalBufferProperties(device.physical_device(), &info, &props);
  return (props.externalMemoryProperties.externalMemoryFeatures &
          VK_EXTERNAL_MEMORY_FEATURE_IMPORTABLE_BIT) != 0;
}

}  // namespace

HostPointerBuffer::HostPointerBuffer(HostPointerBuffer&& other) noexcept
    : device_(std::exchange(other.device_, VK_NULL_HANDLE)),
      buffer_(std::exchange(other.buffer_, VK_NULL_HANDLE)),
      memory_(std::exchange(other.memory_, VK_NULL_HANDLE)),
      host_(std::exchange(other.host_, {})),
      leaked_(std::exchange(other.leaked_, false)) {}

HostPointerBuffer& HostPointerBuffer::operator=(HostPointerBuffer&& other) noexcept {
  if (this != &other) {
    reset();
    device_ = std::exchange(other.device_, VK_NULL_HANDLE);
    buffer_ = std::exchange(other.buffer_, VK_NULL_HANDLE);
    memory_ = std::exchange(other.memory_, VK_NULL_HANDLE);
    host_ = std::exchange(other.host_, {});
    leaked_ = std::exchange(other.leaked_, false);
  }
  return *this;
}

HostPointerBuffer::~HostPointerBuffer() {
  reset();
}

void HostPointerBuffer::reset() noexcept {
  // A copy that may still run keeps both in use: leaking them is the only valid choice.
  if (device_ != VK_NULL_HANDLE && !leaked_) {
    if (buffer_ != VK_NULL_HANDLE) vkDestroyBuffer(device_, buffer_, nullptr);
    if (memory_ != VK_NULL_HANDLE) vkFreeMemory(device_, memory_, nullptr);
  }
  device_ = VK_NULL_HANDLE;
  buffer_ = VK_NULL_HANDLE;
  memory_ = VK_NULL_HANDLE;
  host_ = {};
  leaked_ = false;
}

Result<HostPointerBuffer> HostPointerBuffer::import(const Device& device,
                                                    std::span<std::byte> memory) {
  if (!device.host_pointer_import()) {
    return fail(ErrorCode::Unsupported, "HostPointerBuffer::import: " + device.name() +
                                            " lacks VK_EXT_external_memory_host");
  }
  // VUID-VkImportMemoryHostPointerInfoEXT-pHostPointer-01749 and
  // VUID-VkMemoryAllocateInfo-allocationSize-01745: address and size both aligned.
  const VkDeviceSize alignment = device.min_imported_host_pointer_alignment();
  const auto address = reinterpret_cast<std::uintptr_t>(memory.data());
  if (memory.empty() || address % alignment != 0 || memory.size() % alignment != 0) {
    return fail(ErrorCode::Validation,
                "HostPointerBuffer::import: " + std::to_string(memory.size()) +
                    " bytes at address " + std::to_string(address) +
                    ": the address and the size must be non-zero multiples of "
                    "minImportedHostPointerAlignment " +
                    std::to_string(alignment));
  }
  const VkBufferUsageFlags usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  if (!importable(device, usage)) {
    return fail(ErrorCode::Unsupported, "HostPointerBuffer::import: " + device.name() +
                                            " cannot import host allocations for "
                                            "transfer-dst buffers");
  }
  VkMemoryHostPointerPropertiesEXT pointer_props{
      VK_STRUCTURE_TYPE_MEMORY_HOST_POINTER_PROPERTIES_EXT};
  if (VkResult r = device.functions().get_memory_host_pointer_properties(
          device.device(), kHostHandle, memory.data(), &pointer_props);
      r != VK_SUCCESS) {
    return tl::unexpected(vk_error(r, "vkGetMemoryHostPointerPropertiesEXT"));
  }

  HostPointerBuffer out;
  out.device_ = device.device();
  out.host_ = memory;
  VkExternalMemoryBufferCreateInfo external{VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO};
  external.handleTypes = kHostHandle;
  VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, &external};
  info.size = memory.size();
  info.usage = usage;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  if (VkResult r = vkCreateBuffer(out.device_, &info, nullptr, &out.buffer_); r != VK_SUCCESS) {
    return tl::unexpected(
        vk_error(r, "vkCreateBuffer(host pointer, " + std::to_string(memory.size()) + " bytes)"));
  }
  VkMemoryRequirements reqs{};
  vkGetBufferMemoryRequirements(out.device_, out.buffer_, &reqs);
  if (reqs.size > memory.size()) {
    return fail(ErrorCode::Unsupported, "HostPointerBuffer::import: a " +
                                            std::to_string(memory.size()) + "-byte buffer needs " +
                                            std::to_string(reqs.size) +
                                            " bytes of memory, more than the host memory holds");
  }
  // The host reads the copy through its own mapping, never through vkMapMemory, so there is
  // no vkInvalidateMappedMemoryRanges to make a non-coherent type's writes visible: only a
  // host-coherent type will do.
  const std::uint32_t allowed = reqs.memoryTypeBits & pointer_props.memoryTypeBits;
  const auto& types = device.memory_properties();
  std::uint32_t type = types.memoryTypeCount;
  for (std::uint32_t i = 0; i < types.memoryTypeCount; ++i) {
    if ((allowed & (1u << i)) != 0 &&
        (types.memoryTypes[i].propertyFlags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT) != 0) {
      type = i;
      break;
    }
  }
  if (type == types.memoryTypeCount) {
    return fail(ErrorCode::Unsupported,
                "HostPointerBuffer::import: no host-coherent memory type in both the buffer's "
                "memoryTypeBits " +
                    std::to_string(reqs.memoryTypeBits) + " and the host pointer's " +
                    std::to_string(pointer_props.memoryTypeBits));
  }
  VkImportMemoryHostPointerInfoEXT import_info{
      VK_STRUCTURE_TYPE_IMPORT_MEMORY_HOST_POINTER_INFO_EXT};
  import_info.handleType = kHostHandle;
  import_info.pHostPointer = memory.data();
  VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, &import_info};
  alloc.allocationSize = memory.size();
  alloc.memoryTypeIndex = type;
  if (VkResult r = vkAllocateMemory(out.device_, &alloc, nullptr, &out.memory_); r != VK_SUCCESS) {
    return tl::unexpected(vk_error(r, "vkAllocateMemory(host pointer import)"));
  }
  if (VkResult r = vkBindBufferMemory(out.device_, out.buffer_, out.memory_, 0); r != VK_SUCCESS) {
    return tl::unexpected(vk_error(r, "vkBindBufferMemory(host pointer)"));
  }
  return out;
}

Result<CopyLane> CopyLane::create(const Device& device, bool use_transfer_queue) {
  const QueueInfo* transfer = use_transfer_queue ? device.transfer_queue() : nullptr;
  if (transfer == nullptr) return CopyLane(device.device(), device.main_queue());
  CopyLane lane(device.device(), *transfer);
  VkSemaphoreTypeCreateInfo type{VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO};
  type.semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE;
  type.initialValue = 0;
  VkSemaphoreCreateInfo info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO, &type};
  if (VkResult r = vkCreateSemaphore(lane.device_, &info, nullptr, &lane.semaphore_);
      r != VK_SUCCESS) {
    return tl::unexpected(vk_error(r, "vkCreateSemaphore(copy lane timeline)"));
  }
  return lane;
}

CopyLane::CopyLane(CopyLane&& other) noexcept
    : device_(std::exchange(other.device_, VK_NULL_HANDLE)),
      queue_(std::exchange(other.queue_, {})),
      semaphore_(std::exchange(other.semaphore_, VK_NULL_HANDLE)),
      value_(std::exchange(other.value_, 0)),
      leaked_(std::exchange(other.leaked_, false)) {}

CopyLane& CopyLane::operator=(CopyLane&& other) noexcept {
  if (this != &other) {
    reset();
    device_ = std::exchange(other.device_, VK_NULL_HANDLE);
    queue_ = std::exchange(other.queue_, {});
    semaphore_ = std::exchange(other.semaphore_, VK_NULL_HANDLE);
    value_ = std::exchange(other.value_, 0);
    leaked_ = std::exchange(other.leaked_, false);
  }
  return *this;
}

CopyLane::~CopyLane() {
  reset();
}

void CopyLane::reset() noexcept {
  // A copy that timed out may still wait on the semaphore: leak it rather than destroy it.
  if (semaphore_ != VK_NULL_HANDLE && !leaked_) vkDestroySemaphore(device_, semaphore_, nullptr);
  device_ = VK_NULL_HANDLE;
  queue_ = {};
  semaphore_ = VK_NULL_HANDLE;
  value_ = 0;
  leaked_ = false;
}

Result<std::optional<VkSemaphoreSubmitInfo>> CopyLane::handoff(const QueueInfo& main) {
  if (!dedicated()) return std::nullopt;
  // The signal's first synchronization scope holds everything submitted to `main` before
  // it: the writes the copy must see, whichever queue they came from there.
  VkSemaphoreSubmitInfo signal{VK_STRUCTURE_TYPE_SEMAPHORE_SUBMIT_INFO};
  signal.semaphore = semaphore_;
  signal.value = value_ + 1;
  signal.stageMask = VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
  VkSubmitInfo2 submit{VK_STRUCTURE_TYPE_SUBMIT_INFO_2};
  submit.signalSemaphoreInfoCount = 1;
  submit.pSignalSemaphoreInfos = &signal;
  if (VkResult r = vkQueueSubmit2(main.queue, 1, &submit, VK_NULL_HANDLE); r != VK_SUCCESS) {
    return tl::unexpected(vk_error(r, "vkQueueSubmit2(copy lane handoff)"));
  }
  ++value_;
  VkSemaphoreSubmitInfo wait = signal;
  wait.stageMask = VK_PIPELINE_STAGE_2_COPY_BIT;
  return wait;
}

Result<void> copy_to_host(VulkanSharedTexture& texture, const HostPointerBuffer& dest,
                          std::uint32_t row_pitch, std::chrono::milliseconds timeout,
                          CopyLane* lane) {
  GEYSER_TRY_VOID(check_copyable(texture, TextureUsage::TransferSrc, "copy_to_host"));
  const TextureDescriptor& desc = texture.descriptor();
  const std::uint32_t texel = format_info(desc.format).texel_size;
  const std::uint64_t row_bytes = std::uint64_t{desc.width} * texel;
  if (dest.buffer() == VK_NULL_HANDLE) {
    return fail(ErrorCode::Validation, "copy_to_host(" + describe(desc) + "): empty destination");
  }
  if (row_pitch % texel != 0 || row_pitch < row_bytes) {
    return fail(ErrorCode::Validation,
                "copy_to_host(" + describe(desc) + "): row_pitch " + std::to_string(row_pitch) +
                    " must be a multiple of the texel size " + std::to_string(texel) +
                    " and at least the row's " + std::to_string(row_bytes) + " bytes");
  }
  const std::uint64_t needed = std::uint64_t{row_pitch} * desc.height;
  if (needed > dest.size()) {
    return fail(ErrorCode::Validation, "copy_to_host(" + describe(desc) + ", row_pitch " +
                                           std::to_string(row_pitch) + "): needs " +
                                           std::to_string(needed) + " bytes, the destination has " +
                                           std::to_string(dest.size()));
  }
  const Device& device = texture.device();
  const QueueInfo queue = lane ? lane->queue() : device.main_queue();
  OneShot shot(device, queue);
  GEYSER_TRY(VkCommandBuffer cmd, shot.begin());
  // The ownership of a texture at rest is VK_QUEUE_FAMILY_EXTERNAL's, so the copy engine's
  // family acquires it from there as the main one would.
  auto acquire =
      acquire_barrier_on(texture, queue.family_index, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                         VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_READ_BIT);
  // Chained after what it must follow (submission order alone orders no execution): the
  // lane's semaphore wait, which is at COPY, on the copy engine; on the main queue,
  // everything submitted there before, the writes of a sender that did not wait for them.
  acquire.srcStageMask = lane != nullptr && lane->dedicated()
                             ? VK_PIPELINE_STAGE_2_COPY_BIT
                             : VK_PIPELINE_STAGE_2_ALL_COMMANDS_BIT;
  pipeline_barrier(cmd, &acquire);
  // bufferRowLength counts texels, hence the pitch had to be a whole number of them.
  const VkBufferImageCopy region = whole_copy(desc, row_pitch / texel);
  vkCmdCopyImageToBuffer(cmd, texture.image(), VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, dest.buffer(),
                         1, &region);
  const auto release =
      release_barrier_on(texture, queue.family_index, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                         VK_PIPELINE_STAGE_2_COPY_BIT, VK_ACCESS_2_TRANSFER_READ_BIT);
  // The copy's writes must reach the host domain before anyone reads the host memory; the
  // fence wait then makes them visible to this (and, through the coherent mapping, any) host.
  VkBufferMemoryBarrier2 to_host{VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER_2};
  to_host.srcStageMask = VK_PIPELINE_STAGE_2_COPY_BIT;
  to_host.srcAccessMask = VK_ACCESS_2_TRANSFER_WRITE_BIT;
  to_host.dstStageMask = VK_PIPELINE_STAGE_2_HOST_BIT;
  to_host.dstAccessMask = VK_ACCESS_2_HOST_READ_BIT;
  to_host.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  to_host.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  to_host.buffer = dest.buffer();
  to_host.offset = 0;
  to_host.size = VK_WHOLE_SIZE;
  pipeline_barrier(cmd, &release, nullptr, &to_host);
  std::optional<VkSemaphoreSubmitInfo> wait;
  if (lane) {
    GEYSER_TRY(wait, lane->handoff(device.main_queue()));
  }
  const std::span<const VkSemaphoreSubmitInfo> waits =
      wait ? std::span<const VkSemaphoreSubmitInfo>(&*wait, 1)
           : std::span<const VkSemaphoreSubmitInfo>();
  if (auto done = shot.submit_and_wait(waits, {}, timeout); !done) {
    if (shot.pending()) {
      dest.leaked_ = true;
      if (lane) lane->leaked_ = true;
    }
    return tl::unexpected(std::move(done).error());
  }
  texture.mark_released();
  return {};
}

}  // namespace geyser::vulkan::detail
