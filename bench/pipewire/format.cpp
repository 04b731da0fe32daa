#include "pipewire/format.hpp"

#include <spa/buffer/buffer.h>
#include <spa/buffer/meta.h>
#include <spa/param/buffers.h>
#include <spa/param/video/format-utils.h>

namespace geyser::bench::pipewire {

const spa_pod* video_format(spa_pod_builder& builder, Resolution size) {
  const spa_rectangle rectangle = SPA_RECTANGLE(size.width, size.height);
  const spa_fraction rate = SPA_FRACTION(0, 1);
  return static_cast<const spa_pod*>(spa_pod_builder_add_object(
      &builder, SPA_TYPE_OBJECT_Format, SPA_PARAM_EnumFormat, SPA_FORMAT_mediaType,
      SPA_POD_Id(SPA_MEDIA_TYPE_video), SPA_FORMAT_mediaSubtype, SPA_POD_Id(SPA_MEDIA_SUBTYPE_raw),
      SPA_FORMAT_VIDEO_format, SPA_POD_Id(SPA_VIDEO_FORMAT_RGBA), SPA_FORMAT_VIDEO_size,
      SPA_POD_Rectangle(&rectangle), SPA_FORMAT_VIDEO_framerate, SPA_POD_Fraction(&rate)));
}

const spa_pod* memfd_buffers(spa_pod_builder& builder, Resolution size) {
  const int stride = static_cast<int>(size.width * kBytesPerPixel);
  const int bytes = stride * static_cast<int>(size.height);
  return static_cast<const spa_pod*>(spa_pod_builder_add_object(
      &builder, SPA_TYPE_OBJECT_ParamBuffers, SPA_PARAM_Buffers, SPA_PARAM_BUFFERS_buffers,
      SPA_POD_CHOICE_RANGE_Int(8, 2, 16), SPA_PARAM_BUFFERS_blocks, SPA_POD_Int(1),
      SPA_PARAM_BUFFERS_size, SPA_POD_Int(bytes), SPA_PARAM_BUFFERS_stride, SPA_POD_Int(stride),
      SPA_PARAM_BUFFERS_dataType, SPA_POD_CHOICE_FLAGS_Int(1 << SPA_DATA_MemFd)));
}

const spa_pod* header_meta(spa_pod_builder& builder) {
  return static_cast<const spa_pod*>(spa_pod_builder_add_object(
      &builder, SPA_TYPE_OBJECT_ParamMeta, SPA_PARAM_Meta, SPA_PARAM_META_type,
      SPA_POD_Id(SPA_META_Header), SPA_PARAM_META_size,
      SPA_POD_Int(static_cast<int>(sizeof(spa_meta_header)))));
}

const char* data_type_name(std::uint32_t type) noexcept {
  switch (type) {
    case SPA_DATA_MemPtr: return "MemPtr";
    case SPA_DATA_MemFd: return "MemFd";
    case SPA_DATA_DmaBuf: return "DmaBuf";
    case SPA_DATA_MemId: return "MemId";
    default: return "other";
  }
}

}  // namespace geyser::bench::pipewire
