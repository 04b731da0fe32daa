/* ctest capi.DeviceSelection: geyser_device_create picks a device by UUID and by index,
 * and an index or UUID no device has is Validation with a message that names what was
 * asked and lists the devices. Exit 0 when every check passed, 77 (skipped) without a
 * usable Vulkan device; CUDA checks skip without the driver. */
#include <geyser/geyser.h>

#include <stdio.h>
#include <string.h>

static int failures = 0;

static void expect(int ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "device_select_check: FAILED: %s (last error: %s)\n", what,
            geyser_last_error());
    ++failures;
  }
}

static int contains(const char* text, const char* part) {
  return strstr(text, part) != NULL;
}

/* The default device's info; 0 when there is none. */
static int default_device(geyser_api api, geyser_device_info* info) {
  geyser_device* device = NULL;
  if (geyser_device_create(api, NULL, &device) != GEYSER_OK) return 0;
  memset(info, 0, sizeof *info);
  info->struct_size = sizeof *info;
  const int ok = geyser_device_get_info(device, info) == GEYSER_OK;
  geyser_device_destroy(device);
  return ok;
}

static void check_by_uuid(geyser_api api, const geyser_device_info* want) {
  geyser_device_options options;
  geyser_device_options_init(&options);
  expect(options.uuid == NULL, "options_init leaves uuid NULL");
  options.uuid = want->uuid;
  geyser_device* device = NULL;
  expect(geyser_device_create(api, &options, &device) == GEYSER_OK, "create by uuid");
  geyser_device_info got;
  memset(&got, 0, sizeof got);
  got.struct_size = sizeof got;
  expect(device != NULL && geyser_device_get_info(device, &got) == GEYSER_OK, "get_info");
  expect(memcmp(got.uuid, want->uuid, 16) == 0, "the device has the UUID asked for");
  expect(strcmp(got.name, want->name) == 0, "the device is the default one (one device here)");
  geyser_device_destroy(device);
}

static void check_unknown(geyser_api api, const char* api_name) {
  static const uint8_t nobody[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                     0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
  char asked[128];
  geyser_device_options options;
  geyser_device_options_init(&options);
  options.uuid = nobody;
  geyser_device* device = NULL;
  expect(geyser_device_create(api, &options, &device) == GEYSER_ERROR_VALIDATION && !device,
         "an unknown UUID is Validation");
  snprintf(asked, sizeof asked, "no %s device has UUID 00112233-4455-6677-8899-aabbccddeeff",
           api_name);
  expect(contains(geyser_last_error(), asked), "the message names the UUID asked for");
  expect(contains(geyser_last_error(), "devices are: 0: "), "the message lists the devices");

  geyser_device_options_init(&options);
  options.index = 1000;
  expect(geyser_device_create(api, &options, &device) == GEYSER_ERROR_VALIDATION && !device,
         "an unknown index is Validation");
  snprintf(asked, sizeof asked, "no %s device has index 1000", api_name);
  expect(contains(geyser_last_error(), asked), "the message names the index asked for");
}

/* A caller built against version 1 of the header: its struct ends before `uuid`. */
static void check_version_1_struct(void) {
  geyser_device_options options;
  geyser_device_options_init(&options);
  options.struct_size = (uint32_t)offsetof(geyser_device_options, uuid);
  options.uuid = (const uint8_t*)"not read: beyond struct_size";
  geyser_device* device = NULL;
  expect(geyser_device_create(GEYSER_API_VULKAN, &options, &device) == GEYSER_OK,
         "a version-1 struct_size is accepted and its uuid ignored");
  geyser_device_destroy(device);
  options.struct_size = 4;
  expect(geyser_device_create(GEYSER_API_VULKAN, &options, &device) == GEYSER_ERROR_VALIDATION,
         "a struct_size below version 1 is Validation");
}

int main(void) {
  expect(geyser_c_api_version() >= 2, "the library has the uuid selector (version 2)");
  geyser_device_info vulkan;
  if (!default_device(GEYSER_API_VULKAN, &vulkan)) {
    printf("SKIP: no usable Vulkan device: %s\n", geyser_last_error());
    return 77;
  }
  check_by_uuid(GEYSER_API_VULKAN, &vulkan);
  check_unknown(GEYSER_API_VULKAN, "Vulkan");
  check_version_1_struct();
  geyser_device_info cuda;
  if (default_device(GEYSER_API_CUDA, &cuda)) {
    check_by_uuid(GEYSER_API_CUDA, &cuda);
    check_unknown(GEYSER_API_CUDA, "CUDA");
  } else {
    printf("CUDA checks skipped: %s\n", geyser_last_error());
  }
  if (failures == 0) printf("device_select_check: every check passed\n");
  return failures == 0 ? 0 : 1;
}
