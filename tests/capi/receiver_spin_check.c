/* ctest capi.ReceiverSpin: geyser_receiver_options.spin_us (C API version 5) with a HOST
 * sender and host receivers in one process. spin_us -2, GEYSER_RECEIVER_MAX_SPIN_US + 1 and
 * INT32_MIN are Validation, naming spin_us; 0, 50 and the maximum connect and receive
 * frames, presented before acquire and while it waits, every byte checked; a version-4
 * struct_size (ending before spin_us) is accepted without spin_us being read, and one
 * shorter still is Validation. Needs no GPU. Exit 0 when every check passed. */
#include <geyser/geyser.h>

#include "connect_polling.h"
#include "host_pattern.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { kWidth = 96, kHeight = 40, kRowBytes = kWidth * 4 };

static int failures = 0;

static void expect(int ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "receiver_spin_check: FAILED: %s (last error: %s)\n", what,
            geyser_last_error());
    ++failures;
  }
}

static void sleep_ms(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&t, NULL);
}

/* Options of runtime_dir `dir` with this spin_us (from geyser_receiver_options_init). */
static geyser_receiver_options options_with_spin(const char* dir, int32_t spin_us) {
  geyser_receiver_options options;
  geyser_receiver_options_init(&options);
  options.runtime_dir = dir;
  options.spin_us = spin_us;
  return options;
}

/* A spin_us outside -1..GEYSER_RECEIVER_MAX_SPIN_US: Validation before any connection. */
static void check_refused(const char* dir, int32_t spin_us) {
  const geyser_receiver_options options = options_with_spin(dir, spin_us);
  geyser_receiver* r = NULL;
  char what[96];
  snprintf(what, sizeof what, "spin_us %ld is Validation", (long)spin_us);
  expect(geyser_receiver_connect("spin", GEYSER_API_HOST, &options, 100, &r) ==
                 GEYSER_ERROR_VALIDATION &&
             r == NULL && geyser_last_status() == GEYSER_ERROR_VALIDATION,
         what);
  char named[48];
  snprintf(named, sizeof named, "spin_us %ld", (long)spin_us);
  expect(strstr(geyser_last_error(), named) != NULL, "the message names spin_us and its value");
  expect(strstr(geyser_last_error(), "1000000") != NULL, "the message names the bound");
}

/* Acquires frame `frame` within 2 s and checks every byte of it. */
static void receive(geyser_receiver* r, uint64_t frame, const char* what) {
  geyser_frame f;
  memset(&f, 0, sizeof f);
  f.struct_size = sizeof f;
  const geyser_status got = geyser_receiver_acquire(r, 2000, &f);
  expect(got == GEYSER_OK, what);
  if (got != GEYSER_OK) return;
  expect(f.frame == frame, "the frame's number");
  expect(f.width == kWidth && f.height == kHeight, "the frame's size");
  expect(host_pattern_holds(&f, kRowBytes, frame), "every byte of the frame");
  expect(geyser_receiver_release(r) == GEYSER_OK, "receiver_release");
}

struct later {
  geyser_sender* sender;
  uint64_t frame; /* what the write got (0: it failed) */
};

/* Writes one frame 30 ms from now, while the main thread waits in acquire. */
static void* write_later(void* arg) {
  struct later* l = arg;
  sleep_ms(30);
  l->frame = host_pattern_write(l->sender, kRowBytes, kHeight);
  return NULL;
}

/* Frames written before acquire, and one written while acquire waits (spinning, then
 * asleep on the board): each arrives whole. */
static void receive_frames(geyser_sender* s, geyser_receiver* r) {
  for (int i = 0; i < 3; ++i) {
    const uint64_t frame = host_pattern_write(s, kRowBytes, kHeight);
    expect(frame != 0, "sender_write");
    receive(r, frame, "acquire of a frame written before it");
  }
  struct later l = {s, 0};
  pthread_t thread;
  pthread_create(&thread, NULL, write_later, &l);
  geyser_frame f;
  memset(&f, 0, sizeof f);
  f.struct_size = sizeof f;
  const geyser_status got = geyser_receiver_acquire(r, 2000, &f);
  pthread_join(thread, NULL);
  expect(l.frame != 0, "sender_write while the receiver waits");
  expect(got == GEYSER_OK && f.frame == l.frame, "acquire of a frame written while it waits");
  if (got == GEYSER_OK) expect(host_pattern_holds(&f, kRowBytes, f.frame), "its every byte");
}

/* Connects with `options` and receives frames. */
static void check_receives(geyser_sender* s, const geyser_receiver_options* options,
                           const char* what) {
  geyser_receiver* r = NULL;
  const geyser_status connected = connect_polling(s, "spin", GEYSER_API_HOST, options, 5000, &r);
  expect(connected == GEYSER_OK, what);
  if (connected == GEYSER_OK) receive_frames(s, r);
  geyser_receiver_destroy(r);
}

static void check_spins(geyser_sender* s, const char* dir) {
  const int32_t spins[] = {0, 50, GEYSER_RECEIVER_MAX_SPIN_US};
  for (size_t i = 0; i < sizeof spins / sizeof spins[0]; ++i) {
    const geyser_receiver_options options = options_with_spin(dir, spins[i]);
    char what[64];
    snprintf(what, sizeof what, "receiver_connect with spin_us %ld", (long)spins[i]);
    check_receives(s, &options, what);
  }
}

/* A version-4 caller's struct ends before spin_us: what lies there is not read (here -2,
 * which a version-5 struct_size makes Validation). */
static void check_version_4(geyser_sender* s, const char* dir) {
  geyser_receiver_options options = options_with_spin(dir, -2);
  options.struct_size = (uint32_t)offsetof(geyser_receiver_options, spin_us);
  check_receives(s, &options, "a version-4 struct_size is accepted, spin_us unread");
  options.struct_size -= 1;
  geyser_receiver* r = NULL;
  expect(geyser_receiver_connect("spin", GEYSER_API_HOST, &options, 100, &r) ==
                 GEYSER_ERROR_VALIDATION &&
             r == NULL,
         "a struct_size shorter than version 4's is Validation");
  expect(strstr(geyser_last_error(), "struct_size") != NULL, "the message names struct_size");
}

static void check_init(void) {
  geyser_receiver_options options;
  memset(&options, 0x55, sizeof options);
  geyser_receiver_options_init(&options);
  expect(options.struct_size == sizeof options && options.spin_us == -1,
         "geyser_receiver_options_init sets spin_us -1 (the default)");
}

int main(void) {
  char dir[] = "/tmp/geyser-capi-spin-XXXXXX";
  if (mkdtemp(dir) == NULL) return 1;
  expect(geyser_c_api_version() >= 5, "C API version 5 or later");
  check_init();
  geyser_sender_options options;
  geyser_sender_options_init(&options);
  options.runtime_dir = dir;
  geyser_sender* s = NULL;
  if (geyser_sender_publish("spin", GEYSER_API_HOST, kWidth, kHeight, GEYSER_FORMAT_RGBA8_UNORM,
                            &options, &s) != GEYSER_OK) {
    expect(0, "sender_publish HOST");
    rmdir(dir);
    return 1;
  }
  check_refused(dir, -2);
  check_refused(dir, GEYSER_RECEIVER_MAX_SPIN_US + 1);
  check_refused(dir, INT32_MIN);
  check_spins(s, dir);
  check_version_4(s, dir);
  geyser_sender_destroy(s);
  rmdir(dir);
  if (failures == 0) printf("receiver_spin_check: every check passed\n");
  return failures == 0 ? 0 : 1;
}
