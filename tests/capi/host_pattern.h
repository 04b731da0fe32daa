/* What the in-process host checks share: frames of RGBA8 texels whose every byte depends
 * on the frame's number, written by a HOST sender and checked in a host receiver's frame. */
#ifndef GEYSER_TESTS_CAPI_HOST_PATTERN_H
#define GEYSER_TESTS_CAPI_HOST_PATTERN_H

#include <geyser/geyser.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline uint8_t host_pattern_byte(size_t x_byte, size_t y, uint64_t frame) {
  return (uint8_t)(x_byte * 7u + y * 13u + frame);
}

/* `height` rows of `row_bytes` bytes, `pitch` apart, of frame `frame`. */
static inline void host_pattern_fill(uint8_t* rows, size_t pitch, size_t row_bytes, size_t height,
                                     uint64_t frame) {
  for (size_t y = 0; y < height; ++y) {
    for (size_t x = 0; x < row_bytes; ++x) rows[y * pitch + x] = host_pattern_byte(x, y, frame);
  }
}

/* Whether host frame `f` holds frame `frame`'s pattern in the first `row_bytes` of each row. */
static inline int host_pattern_holds(const geyser_frame* f, size_t row_bytes, uint64_t frame) {
  const uint8_t* rows = f->host_data;
  if (rows == NULL || f->row_pitch < row_bytes) return 0;
  for (size_t y = 0; y < f->height; ++y) {
    for (size_t x = 0; x < row_bytes; ++x) {
      if (rows[y * f->row_pitch + x] != host_pattern_byte(x, y, frame)) return 0;
    }
  }
  return 1;
}

/* geyser_sender_write of the pattern of the frame number it gets (tightly packed rows of
 * `row_bytes`); that number, or 0 when the write failed or got another number. */
static inline uint64_t host_pattern_write(geyser_sender* s, size_t row_bytes, size_t height) {
  geyser_sender_stats stats;
  memset(&stats, 0, sizeof stats);
  stats.struct_size = sizeof stats;
  if (geyser_sender_get_stats(s, &stats) != GEYSER_OK) return 0;
  uint8_t* rows = malloc(row_bytes * height);
  if (rows == NULL) return 0;
  host_pattern_fill(rows, row_bytes, row_bytes, height, stats.frames + 1);
  uint64_t frame = 0;
  const geyser_status written = geyser_sender_write(s, rows, 0, 1000, &frame);
  free(rows);
  return written == GEYSER_OK && frame == stats.frames + 1 ? frame : 0;
}

#endif
