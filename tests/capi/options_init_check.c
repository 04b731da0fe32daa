/* ctest capi.OptionsInit: the *_options_init_sized functions (C API version 6) write the
 * caller's struct_size bytes and not one more. For each options struct, in a buffer
 * followed by 64 bytes of 0xAB: its first released size (version 1's; for receiver options
 * version 4's, before spin_us) is OK with the defaults that fit, struct_size that size and
 * every byte past it untouched; sizeof gives every default; a byte less than the smallest,
 * and NULL, are Validation with a message naming the function and the sizes, the buffer
 * unchanged; a size larger than this library's struct (a newer header) gets only sizeof
 * bytes and struct_size sizeof. The macros geyser_*_options_init(&o) work; the old exported
 * symbols still write the version-5 struct and leave the last error alone; the create
 * functions accept a struct of the smallest size. Needs no GPU. Exit 0 when every check
 * passed. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */

#include <geyser/geyser.h>

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { kSentinel = 0xAB, kTail = 64, kRoom = 256 };

static int failures = 0;

static void expect(int ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "options_init_check: FAILED: %s (last error: %s)\n", what, geyser_last_error());
    ++failures;
  }
}

/* Room for any options struct, a larger future one, and the sentinel after it. */
static alignas(max_align_t) unsigned char buffer[kRoom + kTail];

static void fill_sentinel(void) {
  memset(buffer, kSentinel, sizeof buffer);
}

/* Whether buffer[from, to) still holds the sentinel. */
static int untouched(size_t from, size_t to) {
  for (size_t i = from; i < to; ++i) {
    if (buffer[i] != kSentinel) return 0;
  }
  return 1;
}

static uint32_t struct_size_in_buffer(void) {
  uint32_t size;
  memcpy(&size, buffer, sizeof size);
  return size;
}

static size_t round_up(size_t n, size_t alignment) {
  return (n + alignment - 1) / alignment * alignment;
}

/* Each options struct's smallest released size, as the compiler laid that version out. */
static size_t device_v1_size(void) {
  return offsetof(geyser_device_options, uuid); /* version 2 appended uuid */
}
static size_t receiver_v4_size(void) {
  /* version 5 appended spin_us; versions 1 to 4 ended after gpu_timeout_ms */
  return round_up(offsetof(geyser_receiver_options, spin_us), alignof(geyser_receiver_options));
}
static size_t sender_v1_size(void) {
  return sizeof(geyser_sender_options); /* unchanged since version 1 */
}

/* What every init of one struct must do, through its sized function `init`. `defaults`
 * checks the defaults that lie within `size` bytes of the buffer (and that the other
 * fields there are zero). */
typedef geyser_status (*init_fn)(void* options, size_t struct_size);
typedef int (*defaults_fn)(size_t size);

static void check_sizes(const char* name, init_fn init, size_t smallest, size_t library_size,
                        defaults_fn defaults) {
  char what[160];

  /* (a) the smallest released size: OK, its defaults, nothing past it written */
  fill_sentinel();
  snprintf(what, sizeof what, "%s: init_sized(%zu) is OK", name, smallest);
  expect(init(buffer, smallest) == GEYSER_OK, what);
  snprintf(what, sizeof what, "%s: struct_size is the %zu given", name, smallest);
  expect(struct_size_in_buffer() == smallest, what);
  snprintf(what, sizeof what, "%s: the defaults within %zu bytes", name, smallest);
  expect(defaults(smallest), what);
  snprintf(what, sizeof what, "%s: no byte past %zu written", name, smallest);
  expect(untouched(smallest, sizeof buffer), what);
  expect(geyser_last_status() == GEYSER_OK && geyser_last_error()[0] == '\0',
         "a successful init clears the last error");

  /* (b) this library's sizeof: every default */
  fill_sentinel();
  snprintf(what, sizeof what, "%s: init_sized(sizeof = %zu) is OK", name, library_size);
  expect(init(buffer, library_size) == GEYSER_OK, what);
  snprintf(what, sizeof what, "%s: struct_size is sizeof", name);
  expect(struct_size_in_buffer() == library_size, what);
  snprintf(what, sizeof what, "%s: every default", name);
  expect(defaults(library_size), what);
  snprintf(what, sizeof what, "%s: no byte past sizeof written", name);
  expect(untouched(library_size, sizeof buffer), what);

  /* every size in between (on 32-bit targets one that ends inside receiver options'
   * spin_us): struct_size that size, not a byte past it written */
  for (size_t size = smallest; size <= library_size; ++size) {
    fill_sentinel();
    snprintf(what, sizeof what, "%s: init_sized(%zu) is OK, struct_size %zu, nothing past it", name,
             size, size);
    expect(init(buffer, size) == GEYSER_OK && struct_size_in_buffer() == size &&
               untouched(size, sizeof buffer),
           what);
  }

  /* (c) a byte below the smallest, and NULL: Validation, nothing written */
  fill_sentinel();
  snprintf(what, sizeof what, "%s: init_sized(%zu) is Validation", name, smallest - 1);
  expect(init(buffer, smallest - 1) == GEYSER_ERROR_VALIDATION, what);
  expect(geyser_last_status() == GEYSER_ERROR_VALIDATION, "the last status is Validation");
  char part[96];
  snprintf(part, sizeof part, "geyser_%s_init_sized", name);
  snprintf(what, sizeof what, "%s: the message names %s", name, part);
  expect(strstr(geyser_last_error(), part) != NULL, what);
  snprintf(part, sizeof part, "struct_size %zu is below %zu", smallest - 1, smallest);
  snprintf(what, sizeof what, "%s: the message says \"%s\"", name, part);
  expect(strstr(geyser_last_error(), part) != NULL, what);
  snprintf(what, sizeof what, "%s: a refused size writes nothing", name);
  expect(untouched(0, sizeof buffer), what);
  expect(init(buffer, 0) == GEYSER_ERROR_VALIDATION && untouched(0, sizeof buffer),
         "a struct_size of 0 is Validation, nothing written");
  snprintf(what, sizeof what, "%s: NULL is Validation with a message", name);
  expect(init(NULL, library_size) == GEYSER_ERROR_VALIDATION && geyser_last_error()[0] != '\0' &&
             strstr(geyser_last_error(), "NULL") != NULL,
         what);

  /* (e) a caller built with a newer header: only this library's fields */
  fill_sentinel();
  const size_t larger = library_size + 64;
  snprintf(what, sizeof what, "%s: init_sized(%zu), larger than sizeof, is OK", name, larger);
  expect(init(buffer, larger) == GEYSER_OK, what);
  snprintf(what, sizeof what, "%s: a larger struct gets struct_size sizeof", name);
  expect(struct_size_in_buffer() == library_size, what);
  expect(defaults(library_size), "a larger struct gets every default");
  snprintf(what, sizeof what, "%s: a larger struct is written up to sizeof only", name);
  expect(untouched(library_size, sizeof buffer), what);
}

static int is_null(const void* p) {
  return p == NULL;
}

/* Whether the field at `offset` of `size` bytes lies within `limit` bytes. */
static int within(size_t offset, size_t size, size_t limit) {
  return offset + size <= limit;
}

static int device_defaults(size_t size) {
  const geyser_device_options* o = (const geyser_device_options*)buffer;
  int ok = o->index == -1 && o->validation == -1 && is_null(o->name_contains);
  if (within(offsetof(geyser_device_options, uuid), sizeof o->uuid, size))
    ok = ok && is_null(o->uuid);
  return ok;
}
static int receiver_defaults(size_t size) {
  const geyser_receiver_options* o = (const geyser_receiver_options*)buffer;
  int ok = o->transfer == GEYSER_TRANSFER_AUTO && o->handshake_timeout_ms == -1 &&
           o->gpu_timeout_ms == -1 && is_null(o->runtime_dir) && is_null(o->device);
  if (within(offsetof(geyser_receiver_options, spin_us), sizeof o->spin_us, size))
    ok = ok && o->spin_us == -1;
  return ok;
}
static int sender_defaults(size_t size) {
  (void)size;
  const geyser_sender_options* o = (const geyser_sender_options*)buffer;
  return is_null(o->runtime_dir) && is_null(o->device) && o->slots == 0 &&
         o->tiling == GEYSER_TILING_OPTIMAL && o->max_receivers == 0 && o->gpu_timeout_ms == -1;
}

static geyser_status init_device(void* options, size_t size) {
  return geyser_device_options_init_sized(options, size);
}
static geyser_status init_receiver(void* options, size_t size) {
  return geyser_receiver_options_init_sized(options, size);
}
static geyser_status init_sender(void* options, size_t size) {
  return geyser_sender_options_init_sized(options, size);
}

/* (d) the macros, as source written for any version calls them. */
static void check_macros(void) {
  geyser_device_options d;
  memset(&d, kSentinel, sizeof d);
  expect(geyser_device_options_init(&d) == GEYSER_OK, "geyser_device_options_init(&o) is OK");
  expect(d.struct_size == sizeof d && d.index == -1 && d.validation == -1 &&
             d.name_contains == NULL && d.uuid == NULL,
         "geyser_device_options_init(&o) sets sizeof and every default");
  geyser_receiver_options r;
  memset(&r, kSentinel, sizeof r);
  expect(geyser_receiver_options_init(&r) == GEYSER_OK, "geyser_receiver_options_init(&o) is OK");
  expect(r.struct_size == sizeof r && r.transfer == GEYSER_TRANSFER_AUTO &&
             r.handshake_timeout_ms == -1 && r.gpu_timeout_ms == -1 && r.spin_us == -1 &&
             r.runtime_dir == NULL && r.device == NULL,
         "geyser_receiver_options_init(&o) sets sizeof and every default");
  geyser_sender_options s;
  memset(&s, kSentinel, sizeof s);
  geyser_sender_options_init(&s); /* a statement call, as before version 6 */
  expect(s.struct_size == sizeof s && s.gpu_timeout_ms == -1 && s.slots == 0 &&
             s.max_receivers == 0 && s.tiling == GEYSER_TILING_OPTIMAL && s.runtime_dir == NULL &&
             s.device == NULL,
         "geyser_sender_options_init(&o) sets sizeof and every default");
  /* An array element, and an argument with a side effect evaluated once. */
  geyser_device_options several[2];
  geyser_device_options* p = several;
  expect(geyser_device_options_init(p++) == GEYSER_OK && p == several + 1 &&
             several[0].struct_size == sizeof several[0],
         "the macro evaluates its argument once");
}

/* The symbols of versions 1 to 5, which binaries built with those headers call: the
 * version-5 struct (sizeof here, version 6 appending nothing), NULL ignored, the last error
 * not touched (they never reported anything). */
static void check_old_symbols(void) {
  expect(geyser_device_options_init_sized(NULL, 0) == GEYSER_ERROR_VALIDATION, "a failure first");
  fill_sentinel();
  (geyser_device_options_init)((geyser_device_options*)buffer);
  expect(struct_size_in_buffer() == sizeof(geyser_device_options) &&
             device_defaults(sizeof(geyser_device_options)) &&
             untouched(sizeof(geyser_device_options), sizeof buffer),
         "the old geyser_device_options_init writes the version-5 struct");
  fill_sentinel();
  (geyser_receiver_options_init)((geyser_receiver_options*)buffer);
  expect(struct_size_in_buffer() == sizeof(geyser_receiver_options) &&
             receiver_defaults(sizeof(geyser_receiver_options)) &&
             untouched(sizeof(geyser_receiver_options), sizeof buffer),
         "the old geyser_receiver_options_init writes the version-5 struct");
  fill_sentinel();
  (geyser_sender_options_init)((geyser_sender_options*)buffer);
  expect(struct_size_in_buffer() == sizeof(geyser_sender_options) &&
             sender_defaults(sizeof(geyser_sender_options)) &&
             untouched(sizeof(geyser_sender_options), sizeof buffer),
         "the old geyser_sender_options_init writes the version-5 struct");
  (geyser_device_options_init)(NULL);
  (geyser_receiver_options_init)(NULL);
  (geyser_sender_options_init)(NULL);
  expect(geyser_last_status() == GEYSER_ERROR_VALIDATION && geyser_last_error()[0] != '\0',
         "the old symbols leave the last error as it was");
}

/* The create functions take a struct of the smallest size an init accepts. */
static void check_smallest_accepted(void) {
  char dir[] = "/tmp/geyser-options-init-XXXXXX";
  expect(mkdtemp(dir) != NULL, "a runtime directory");

  geyser_sender_options s;
  expect(geyser_sender_options_init_sized(&s, sender_v1_size()) == GEYSER_OK, "sender init");
  s.runtime_dir = dir;
  geyser_sender* sender = NULL;
  expect(geyser_sender_publish("init", GEYSER_API_HOST, 16, 8, GEYSER_FORMAT_RGBA8_UNORM, &s,
                               &sender) == GEYSER_OK,
         "publish takes sender options of their version-1 size");
  geyser_sender_destroy(sender);

  fill_sentinel();
  geyser_receiver_options* r = (geyser_receiver_options*)buffer;
  expect(geyser_receiver_options_init_sized(r, receiver_v4_size()) == GEYSER_OK, "receiver init");
  r->runtime_dir = dir;
  geyser_receiver* receiver = NULL;
  expect(geyser_receiver_connect("nobody", GEYSER_API_HOST, r, 0, &receiver) ==
             GEYSER_ERROR_DISCONNECTED,
         "connect takes receiver options of their version-4 size (Disconnected: no sender)");
  geyser_receiver_destroy(receiver);

  fill_sentinel();
  geyser_device_options* d = (geyser_device_options*)buffer;
  expect(geyser_device_options_init_sized(d, device_v1_size()) == GEYSER_OK, "device init");
  geyser_device* device = NULL;
  const geyser_status made = geyser_device_create(GEYSER_API_VULKAN, d, &device);
  expect(made == GEYSER_OK || made == GEYSER_ERROR_UNSUPPORTED,
         "device_create takes device options of their version-1 size (the uuid past it unread)");
  geyser_device_destroy(device);
  rmdir(dir);
}

int main(void) {
  expect(geyser_c_api_version() >= 6, "C API version 6 or later");
  if (sizeof(void*) == 8) {
    expect(device_v1_size() == 24, "version 1's device options are 24 bytes on 64-bit");
    expect(receiver_v4_size() == 40 && sizeof(geyser_receiver_options) == 40,
           "version 4's and 5's receiver options are 40 bytes on 64-bit");
  }
  check_sizes("device_options", init_device, device_v1_size(), sizeof(geyser_device_options),
              device_defaults);
  check_sizes("receiver_options", init_receiver, receiver_v4_size(),
              sizeof(geyser_receiver_options), receiver_defaults);
  check_sizes("sender_options", init_sender, sender_v1_size(), sizeof(geyser_sender_options),
              sender_defaults);
  check_macros();
  check_old_symbols();
  check_smallest_accepted();
  if (failures == 0) printf("options_init_check: every check passed\n");
  return failures == 0 ? 0 : 1;
}
