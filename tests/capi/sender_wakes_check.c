/* ctest capi.SenderWakes: geyser_sender_stats.wakes_skipped (C API version 5) of a HOST
 * sender, with a host receiver in the same process. The sender skips a present's wake
 * exactly when no receiver may be asleep on the board (docs/protocol.md, "Sleepers"), so:
 * - with no receiver, every present skips its wake;
 * - with a receiver connected but not inside acquire (and no event fd asked for), every
 *   present skips its wake: wakes_skipped grows by exactly the presents, and the receiver
 *   then gets the newest frame, every byte checked;
 * - once the receiver's event fd was asked for, a thread of it waits on the board all
 *   along: no present skips its wake, and the fd turns readable.
 * A version-4 struct_size (ending before wakes_skipped) is filled without a byte past it
 * written; a larger one gets this library's fields; a shorter one is Validation. Needs no
 * GPU. Exit 0 when every check passed. */
#include <geyser/geyser.h>

#include "connect_polling.h"
#include "host_pattern.h"

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { kWidth = 64, kHeight = 24, kRowBytes = kWidth * 4, kPresents = 8 };

static int failures = 0;

static void expect(int ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "sender_wakes_check: FAILED: %s (last error: %s)\n", what, geyser_last_error());
    ++failures;
  }
}

static geyser_sender_stats stats_of(geyser_sender* s) {
  geyser_sender_stats stats;
  memset(&stats, 0, sizeof stats);
  stats.struct_size = sizeof stats;
  expect(geyser_sender_get_stats(s, &stats) == GEYSER_OK, "sender_get_stats");
  return stats;
}

/* Writes `count` frames; the last one's number (0 when a write failed). */
static uint64_t write_frames(geyser_sender* s, int count) {
  uint64_t last = 0;
  for (int i = 0; i < count; ++i) {
    last = host_pattern_write(s, kRowBytes, kHeight);
    expect(last != 0, "sender_write");
  }
  return last;
}

/* `count` presents change wakes_skipped by `skipped` and frames by `count`. */
static uint64_t check_presents(geyser_sender* s, int count, uint64_t skipped, const char* what) {
  const geyser_sender_stats before = stats_of(s);
  const uint64_t last = write_frames(s, count);
  const geyser_sender_stats after = stats_of(s);
  expect(after.frames == before.frames + (uint64_t)count, "frames counts every present");
  if (after.wakes_skipped != before.wakes_skipped + skipped) {
    fprintf(stderr, "sender_wakes_check: wakes_skipped went from %llu to %llu over %d presents\n",
            (unsigned long long)before.wakes_skipped, (unsigned long long)after.wakes_skipped,
            count);
    expect(0, what);
  }
  return last;
}

static void receive(geyser_receiver* r, int32_t timeout_ms, uint64_t frame) {
  geyser_frame f;
  memset(&f, 0, sizeof f);
  f.struct_size = sizeof f;
  const geyser_status got = geyser_receiver_acquire(r, timeout_ms, &f);
  expect(got == GEYSER_OK, "receiver_acquire");
  if (got != GEYSER_OK) return;
  expect(f.frame == frame, "the receiver gets the newest frame");
  expect(host_pattern_holds(&f, kRowBytes, frame), "every byte of the frame");
  expect(geyser_receiver_release(r) == GEYSER_OK, "receiver_release");
}

/* Lets the sender read what the connection left (a closed attempt of connect) and checks
 * that one receiver is connected. */
static void settle(geyser_sender* s) {
  for (int i = 0; i < 5; ++i) (void)geyser_sender_poll(s, 10);
  expect(stats_of(s).receivers == 1, "one receiver connected");
}

static void check_with_receiver(geyser_sender* s, geyser_receiver* r) {
  settle(s);
  const uint64_t last = check_presents(s, kPresents, kPresents,
                                       "a receiver outside acquire: every present skips its wake");
  receive(r, 2000, last);
  const int fd = geyser_receiver_event_fd(r);
  expect(fd >= 0, "receiver_event_fd");
  const uint64_t woken =
      check_presents(s, kPresents, 0, "a receiver with an event fd: no present skips its wake");
  struct pollfd p = {fd, POLLIN, 0};
  expect(poll(&p, 1, 2000) == 1 && (p.revents & POLLIN), "the event fd turns readable");
  receive(r, 0, woken);
}

/* A version-4 caller's stats end before wakes_skipped: nothing past them is written. */
static void check_sizes(geyser_sender* s) {
  const geyser_sender_stats want = stats_of(s);
  const size_t v4 = offsetof(geyser_sender_stats, wakes_skipped);
  struct {
    geyser_sender_stats stats;
    unsigned char beyond[16];
  } buffer;
  unsigned char* bytes = (unsigned char*)&buffer;
  geyser_sender_stats* stats = &buffer.stats;
  memset(bytes, 0xA5, sizeof buffer);
  stats->struct_size = (uint32_t)v4;
  expect(geyser_sender_get_stats(s, stats) == GEYSER_OK, "a version-4 struct_size is accepted");
  expect(stats->struct_size == v4 && stats->frames == want.frames &&
             stats->receivers == want.receivers &&
             stats->dropped_connections == want.dropped_connections,
         "a version-4 struct gets its fields");
  int untouched = 1;
  for (size_t i = v4; i < sizeof buffer; ++i) untouched &= bytes[i] == 0xA5;
  expect(untouched, "nothing past a version-4 struct_size is written");
  memset(bytes, 0xA5, sizeof buffer);
  stats->struct_size = (uint32_t)sizeof buffer;
  expect(geyser_sender_get_stats(s, stats) == GEYSER_OK &&
             stats->wakes_skipped == want.wakes_skipped && stats->frames == want.frames,
         "a larger struct_size gets this library's fields");
  untouched = 1;
  for (size_t i = sizeof(geyser_sender_stats); i < sizeof buffer; ++i)
    untouched &= bytes[i] == 0xA5;
  expect(untouched, "nothing past this library's struct is written");
  stats->struct_size = (uint32_t)v4 - 1;
  expect(geyser_sender_get_stats(s, stats) == GEYSER_ERROR_VALIDATION &&
             strstr(geyser_last_error(), "struct_size") != NULL,
         "a struct_size shorter than version 4's is Validation");
}

int main(void) {
  char dir[] = "/tmp/geyser-capi-wakes-XXXXXX";
  if (mkdtemp(dir) == NULL) return 1;
  expect(geyser_c_api_version() >= 5, "C API version 5 or later");
  geyser_sender_options options;
  geyser_sender_options_init(&options);
  options.runtime_dir = dir;
  geyser_sender* s = NULL;
  if (geyser_sender_publish("wakes", GEYSER_API_HOST, kWidth, kHeight, GEYSER_FORMAT_RGBA8_UNORM,
                            &options, &s) != GEYSER_OK) {
    expect(0, "sender_publish HOST");
    rmdir(dir);
    return 1;
  }
  expect(stats_of(s).wakes_skipped == 0, "a new sender has skipped no wake");
  check_presents(s, 2, 2, "no receiver: every present skips its wake");
  geyser_receiver_options ropts;
  geyser_receiver_options_init(&ropts);
  ropts.runtime_dir = dir;
  geyser_receiver* r = NULL;
  const geyser_status connected = connect_polling(s, "wakes", GEYSER_API_HOST, &ropts, 5000, &r);
  expect(connected == GEYSER_OK, "receiver_connect HOST");
  if (connected == GEYSER_OK) check_with_receiver(s, r);
  check_sizes(s);
  geyser_receiver_destroy(r);
  geyser_sender_destroy(s);
  rmdir(dir);
  if (failures == 0) printf("sender_wakes_check: every check passed\n");
  return failures == 0 ? 0 : 1;
}
