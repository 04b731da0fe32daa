#include "fake_stream.hpp"

#include <time.h>

#include "geyser/format.hpp"
#include "geyser/test_pattern.hpp"

namespace geyser::hostile {

Result<std::unique_ptr<FakeStream>> FakeStream::create() {
  std::unique_ptr<FakeStream> stream(new FakeStream);
  GEYSER_TRY(vulkan::Device device, vulkan::Device::create_headless());
  stream->device_ = std::make_unique<vulkan::Device>(std::move(device));
  GEYSER_TRY(stream->backend_, vulkan::detail::VulkanSenderBackend::create(*stream->device_));
  stream->desc_.width = kWidth;
  stream->desc_.height = kHeight;
  stream->desc_.format = TextureFormat::Rgba8Unorm;
  GEYSER_TRY_VOID(stream->backend_->create_slots(stream->desc_, kSlots));
  GEYSER_TRY(stream->board_, ipc::BoardWriter::create());
  return stream;
}

Result<ipc::StreamDescription> FakeStream::describe() {
  ipc::StreamDescription d;
  d.generation = ++generation_;
  d.descriptor = desc_;
  d.image = backend_->slot_export(0).image;
  d.handle_type = backend_->slot_export(0).handle_type;
  d.identity = backend_->identity();
  d.sync_mode = SyncMode::Cpu;
  d.first_frame = 1;  // its links are fresh, and it announces only after this
  GEYSER_TRY(page_, ipc::ReceiverPage::create());
  GEYSER_TRY(d.board, board_->share());
  GEYSER_TRY(d.page, page_->share());
  // A previous receiver's links go; present() waited for their work (cpu mode).
  backend_->retire(std::move(links_));
  links_.clear();
  for (std::size_t slot = 0; slot < kSlots; ++slot) {
    GEYSER_TRY(auto link, backend_->create_link(slot, SyncMode::Cpu));
    GEYSER_TRY(channel::SlotSyncHandles sync, link->export_handles());
    GEYSER_TRY(UniqueHandle memory, backend_->slot_export(slot).os_handle.duplicate());
    d.slots.push_back(
        ipc::SlotHandles{std::move(memory), std::move(sync.ready), std::move(sync.released)});
    links_.push_back(std::move(link));
  }
  return d;
}

Result<void> FakeStream::write_and_signal(std::size_t slot, std::uint64_t frame,
                                          std::uint64_t pattern) {
  std::vector<std::uint8_t> pixels(tight_size_bytes(desc_));
  fill_test_pattern(pixels, desc_.width, desc_.height, format_info(desc_.format).texel_size,
                    pattern);
  GEYSER_TRY_VOID(backend_->write(slot, pixels));
  channel::ProducerLink* link = links_.at(slot).get();
  backend_->collect();
  return backend_->present(slot, frame, {&link, 1}, std::chrono::milliseconds(5000));
}

void FakeStream::announce(const ipc::FrameRecord& record) {
  board_->set_slot_frame(record.slot, record.frame);
  board_->publish(record);
}

std::uint64_t FakeStream::released(std::size_t slot) const {
  return page_ ? page_->released(static_cast<std::uint32_t>(slot)) : 0;
}

std::uint64_t FakeStream::claimed(std::size_t slot) const {
  return page_ ? page_->claimed(static_cast<std::uint32_t>(slot)) : 0;
}

ipc::FrameRecord frame_record(std::uint64_t generation, std::size_t slot, std::uint64_t frame) {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  ipc::FrameRecord r;
  r.generation = generation;
  r.slot = static_cast<std::uint32_t>(slot);
  r.frame = frame;
  r.timeline_value = frame;
  r.timestamp_ns = static_cast<std::uint64_t>(now.tv_sec) * 1000000000u +
                   static_cast<std::uint64_t>(now.tv_nsec);
  r.layout = kSharedImageLayout;
  return r;
}

}  // namespace geyser::hostile
