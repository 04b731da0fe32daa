/* ctest capi.HostSender: a GEYSER_API_HOST sender (C API version 3) read by a host receiver
 * in the same process: slots acquired and written in place through host_data, and frames
 * written with geyser_sender_write at a padded pitch, every byte of every frame checked
 * through the receiver's row pitch; a slot of a version-2 caller (a struct_size that ends
 * before host_data) is Validation. Needs no GPU. Exit 0 when every check passed. */
#include <geyser/geyser.h>

#include "connect_polling.h"
#include "host_pattern.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { kWidth = 333, kHeight = 77, kTexel = 4 };

static int failures = 0;

static void expect(int ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "host_sender_check: FAILED: %s (last error: %s)\n", what, geyser_last_error());
    ++failures;
  }
}

static void receive(geyser_receiver* r, uint64_t frame) {
  geyser_frame f;
  memset(&f, 0, sizeof f);
  f.struct_size = sizeof f;
  expect(geyser_receiver_acquire(r, 2000, &f) == GEYSER_OK, "receiver_acquire");
  expect(f.frame == frame, "the frame's number");
  expect(f.width == kWidth && f.height == kHeight, "the frame's size");
  expect(f.row_pitch >= kWidth * kTexel && f.host_data != NULL, "a host frame");
  if (f.host_data != NULL)
    expect(host_pattern_holds(&f, kWidth * kTexel, frame), "every byte of the frame");
}

static void write_in_place(geyser_sender* s, geyser_receiver* r) {
  geyser_slot slot;
  memset(&slot, 0, sizeof slot);
  slot.struct_size = sizeof slot;
  if (geyser_sender_acquire(s, 1000, &slot) != GEYSER_OK) {
    expect(0, "sender_acquire");
    return;
  }
  expect(slot.host_data != NULL, "the slot's host_data");
  expect(slot.host_row_pitch == kWidth * kTexel, "the slot's pitch: tightly packed");
  host_pattern_fill(slot.host_data, slot.host_row_pitch, kWidth * kTexel, kHeight, slot.frame);
  expect(geyser_sender_present(s, &slot, NULL, 0) == GEYSER_OK, "sender_present");
  receive(r, slot.frame);
}

static void write_padded(geyser_sender* s, geyser_receiver* r) {
  const size_t pitch = kWidth * kTexel + 16;
  uint8_t* rows = malloc(pitch * kHeight);
  uint64_t frame = 0;
  geyser_sender_stats stats = {.struct_size = sizeof stats};
  expect(geyser_sender_get_stats(s, &stats) == GEYSER_OK, "sender_get_stats");
  host_pattern_fill(rows, pitch, kWidth * kTexel, kHeight, stats.frames + 1);
  expect(geyser_sender_write(s, rows, pitch, 1000, &frame) == GEYSER_OK, "sender_write");
  expect(frame == stats.frames + 1, "sender_write's frame number");
  free(rows);
  receive(r, frame);
}

static void check_old_slot(geyser_sender* s) {
  geyser_slot slot;
  memset(&slot, 0, sizeof slot);
  slot.struct_size = (uint32_t)offsetof(geyser_slot, host_data);
  expect(geyser_sender_acquire(s, 1000, &slot) == GEYSER_ERROR_VALIDATION,
         "a version-2 slot from a host sender is Validation");
  expect(strstr(geyser_last_error(), "C API version 3") != NULL, "the message names version 3");
}

int main(void) {
  char dir[] = "/tmp/geyser-capi-host-XXXXXX";
  if (mkdtemp(dir) == NULL) return 1;
  expect(geyser_c_api_version() >= 3, "C API version 3 or later");
  geyser_sender_options options;
  geyser_sender_options_init(&options);
  options.runtime_dir = dir;
  geyser_sender* s = NULL;
  if (geyser_sender_publish("soft", GEYSER_API_HOST, kWidth, kHeight, GEYSER_FORMAT_RGBA8_UNORM,
                            &options, &s) != GEYSER_OK) {
    expect(0, "sender_publish HOST");
    rmdir(dir);
    return 1;
  }
  geyser_receiver_options ropts;
  geyser_receiver_options_init(&ropts);
  ropts.runtime_dir = dir;
  geyser_receiver* r = NULL;
  const geyser_status connected = connect_polling(s, "soft", GEYSER_API_HOST, &ropts, 5000, &r);
  expect(connected == GEYSER_OK, "receiver_connect HOST");
  if (connected == GEYSER_OK) {
    for (int i = 0; i < 10; ++i) write_in_place(s, r);
    for (int i = 0; i < 10; ++i) write_padded(s, r);
    check_old_slot(s);
  }
  geyser_receiver_destroy(r);
  geyser_sender_destroy(s);
  rmdir(dir);
  if (failures == 0) printf("host_sender_check: every check passed\n");
  return failures == 0 ? 0 : 1;
}
