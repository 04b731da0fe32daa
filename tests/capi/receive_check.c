/* A C program built against the installed libgeyser (pkg-config geyser): receives
 * `frames` host frames of channel `name` and checks each against the test pattern
 * (geyser/test_pattern.hpp), then checks that failures come with their codes and messages.
 * Exit 0 when every check passed. */
#include <geyser/geyser.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

static void expect(int ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "receive_check: FAILED: %s (last error: %s)\n", what, geyser_last_error());
    ++failures;
  }
}

static unsigned char pattern_byte(uint32_t x, uint32_t y, uint32_t k, uint64_t f) {
  const uint32_t offset = 31u * (k / 4u);
  switch (k % 4u) {
    case 0: return (unsigned char)(x + f + offset);
    case 1: return (unsigned char)(y + 2u * f + offset);
    case 2: return (unsigned char)(f + offset);
    default: return (unsigned char)(255u - offset);
  }
}

static int frame_matches(const geyser_frame* f, uint32_t texel) {
  const unsigned char* rows = (const unsigned char*)f->host_data;
  for (uint32_t y = 0; y < f->height; ++y) {
    for (uint32_t x = 0; x < f->width; ++x) {
      for (uint32_t k = 0; k < texel; ++k) {
        if (rows[(size_t)y * f->row_pitch + (size_t)x * texel + k] != pattern_byte(x, y, k, f->frame)) {
          return 0;
        }
      }
    }
  }
  return 1;
}

static void check_errors(void) {
  geyser_receiver* missing = NULL;
  geyser_status s = geyser_receiver_connect("no-such-channel", GEYSER_API_HOST, NULL, 100, &missing);
  expect(s == GEYSER_ERROR_DISCONNECTED && missing == NULL, "a missing channel is Disconnected");
  expect(geyser_last_status() == s && strlen(geyser_last_error()) > 0, "the failure has a message");
  expect(strcmp(geyser_status_name(s), "Disconnected") == 0, "geyser_status_name");
  geyser_format format;
  expect(geyser_format_from_name("nonsense", &format) == GEYSER_ERROR_VALIDATION,
         "an unknown format name is Validation");
  expect(geyser_format_from_name("rgba8", &format) == GEYSER_OK &&
             format == GEYSER_FORMAT_RGBA8_UNORM && strlen(geyser_last_error()) == 0,
         "rgba8 parses and clears the last error");
  expect(geyser_receiver_acquire(NULL, 0, NULL) == GEYSER_ERROR_VALIDATION, "NULL is Validation");
  geyser_sender* sender = NULL;
  expect(geyser_sender_publish("bad name!", GEYSER_API_VULKAN, 16, 16, GEYSER_FORMAT_RGBA8_UNORM,
                               NULL, &sender) == GEYSER_ERROR_VALIDATION && sender == NULL,
         "a bad channel name is Validation");
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: receive_check NAME FRAMES\n");
    return 2;
  }
  const long want = strtol(argv[2], NULL, 10);
  expect(geyser_c_api_version() >= GEYSER_C_API_VERSION, "the library serves this header");
  geyser_receiver* receiver = NULL;
  geyser_status s = geyser_receiver_connect(argv[1], GEYSER_API_HOST, NULL, 5000, &receiver);
  if (s != GEYSER_OK) {
    fprintf(stderr, "receive_check: connect: %s\n", geyser_last_error());
    return 1;
  }
  long good = 0;
  uint64_t last = 0;
  for (int tries = 0; good < want && tries < 100 * want; ++tries) {
    geyser_frame frame;
    memset(&frame, 0, sizeof frame);
    frame.struct_size = sizeof frame;
    s = geyser_receiver_acquire(receiver, 1000, &frame);
    if (s == GEYSER_ERROR_TIMEOUT) continue;
    expect(s == GEYSER_OK, "acquire");
    if (s != GEYSER_OK) break;
    geyser_format_info info;
    info.struct_size = sizeof info;
    expect(geyser_format_get_info(frame.format, &info) == GEYSER_OK, "format info");
    expect(frame.frame > last, "frame numbers increase");
    expect(frame.host_data != NULL && frame.row_pitch >= frame.width * info.texel_size,
           "a host frame has a mapping and a pitch");
    expect(frame_matches(&frame, info.texel_size), "the frame matches the test pattern");
    last = frame.frame;
    ++good;
    expect(geyser_receiver_release(receiver) == GEYSER_OK, "release");
  }
  geyser_receiver_stats stats;
  stats.struct_size = sizeof stats;
  expect(geyser_receiver_get_stats(receiver, &stats) == GEYSER_OK && stats.host_frames == 1 &&
             stats.frames_acquired == (uint64_t)good,
         "stats");
  expect(geyser_receiver_event_fd(receiver) >= 0, "an event fd");
  geyser_receiver_destroy(receiver);
  check_errors();
  printf("receive_check: %ld frames matched, %d failures\n", good, failures);
  return good == want && failures == 0 ? 0 : 1;
}
