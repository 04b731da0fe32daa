// The Vulkan backend on Windows: the OPAQUE_WIN32 memory and semaphore services.
//
// What needs no driver runs everywhere: the registry's choice, check_handle's refusals, the
// DACL the services give exported handles. What needs VK_KHR_external_memory_win32 /
// VK_KHR_external_semaphore_win32 creates devices through the system's vulkan-1.dll (Wine's
// winevulkan under Wine) and skips, saying so, where the driver lacks the extension.
#include <windows.h>

#include <aclapi.h>
#include <sddl.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../../src/vulkan/external_memory/service.hpp"
#include "../../src/vulkan/external_semaphore/service.hpp"
#include "geyser/format.hpp"
#include "geyser/test_pattern.hpp"
#include "geyser/vulkan/device.hpp"
#include "geyser/vulkan/semaphore.hpp"
#include "geyser/vulkan/texture_share_manager.hpp"
#include "geyser/win32_security.hpp"

namespace geyser::vulkan {
namespace {

using detail::ExternalMemoryService;
using detail::ExternalSemaphoreService;

constexpr const char* kNoMemoryWin32 =
    "Wine 8's winevulkan has no VK_KHR_external_memory_win32 (Wine implements it from 10.17; "
    "no Debian release carries that Wine yet)";
constexpr const char* kNoSemaphoreWin32 =
    "Wine 8's winevulkan has no VK_KHR_external_semaphore_win32 (Wine implements it from "
    "10.17; no Debian release carries that Wine yet)";

const ExternalMemoryService& memory() {
  const ExternalMemoryService* service = detail::memory_service(MemoryHandleType::OpaqueWin32);
  EXPECT_NE(service, nullptr);
  return *service;
}
const ExternalSemaphoreService& semaphore() {
  const ExternalSemaphoreService* service =
      detail::semaphore_service(SemaphoreHandleType::OpaqueWin32);
  EXPECT_NE(service, nullptr);
  return *service;
}

UniqueHandle make_event() {
  return UniqueHandle(CreateEventW(nullptr, TRUE, FALSE, nullptr));
}
UniqueHandle make_section(DWORD bytes) {
  return UniqueHandle(
      CreateFileMappingW(INVALID_HANDLE_VALUE, nullptr, PAGE_READWRITE, 0, bytes, nullptr));
}

// ---- No driver needed ----

TEST(VulkanWin32RegistryTest, OpaqueWin32IsServedAndOpaqueFdIsNot) {
  const ExternalMemoryService* mem = detail::memory_service(MemoryHandleType::OpaqueWin32);
  ASSERT_NE(mem, nullptr);
  EXPECT_EQ(mem->handle_type(), MemoryHandleType::OpaqueWin32);
  EXPECT_EQ(mem->vk_handle_type(), VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_WIN32_BIT);
  EXPECT_EQ(detail::memory_service(MemoryHandleType::OpaqueFd), nullptr);
  EXPECT_EQ(detail::memory_service(MemoryHandleType::HostMemfd), nullptr);

  const ExternalSemaphoreService* sem = detail::semaphore_service(SemaphoreHandleType::OpaqueWin32);
  ASSERT_NE(sem, nullptr);
  EXPECT_EQ(sem->handle_type(), SemaphoreHandleType::OpaqueWin32);
  EXPECT_EQ(sem->vk_handle_type(), VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_WIN32_BIT);
  EXPECT_EQ(sem->extension_name(), VK_KHR_EXTERNAL_SEMAPHORE_WIN32_EXTENSION_NAME);
  EXPECT_EQ(detail::semaphore_service(SemaphoreHandleType::OpaqueFd), nullptr);
  ASSERT_EQ(detail::semaphore_services().size(), 1u);
  EXPECT_EQ(detail::semaphore_services()[0], sem);
}

TEST(VulkanWin32RegistryTest, TheDeviceAsksForTheWin32Extensions) {
  ASSERT_EQ(std::size(kRequiredDeviceExtensions), 1u);
  EXPECT_STREQ(kRequiredDeviceExtensions[0], "VK_KHR_external_memory_win32");
  EXPECT_STREQ(kExternalSemaphoreExtension, "VK_KHR_external_semaphore_win32");
  // A received semaphore handle is not typed on the wire: it is the platform's.
  EXPECT_EQ(SemaphoreShareHandle{}.handle_type, SemaphoreHandleType::OpaqueWin32);
  EXPECT_EQ(to_string(SemaphoreHandleType::OpaqueWin32), "opaque_win32");
}

TEST(VulkanWin32CheckHandleTest, MemoryRefusesEmptyClosedAndNonMemoryHandles) {
  auto empty = memory().check_handle(nullptr, 4096);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code(), ErrorCode::Validation);
  EXPECT_NE(empty.error().message().find("empty"), std::string::npos) << empty.error().message();

  UniqueHandle event = make_event();
  ASSERT_TRUE(event);
  auto refused = memory().check_handle(event.get(), 4096);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::Validation);
  EXPECT_NE(refused.error().message().find("Event"), std::string::npos)
      << refused.error().message();
  EXPECT_TRUE(event);  // the caller's still

  // A pipe is a File object: a driver that read it would block.
  HANDLE read_end = nullptr;
  HANDLE write_end = nullptr;
  ASSERT_TRUE(CreatePipe(&read_end, &write_end, nullptr, 0));
  const UniqueHandle reader(read_end);
  const UniqueHandle writer(write_end);
  auto pipe = memory().check_handle(reader.get(), 4096);
  ASSERT_FALSE(pipe);
  EXPECT_EQ(pipe.error().code(), ErrorCode::Validation);
  EXPECT_NE(pipe.error().message().find("File"), std::string::npos) << pipe.error().message();

  // A handle value that was closed.
  UniqueHandle closed = make_event();
  const HANDLE stale = closed.get();
  closed.reset();
  auto gone = memory().check_handle(stale, 4096);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code(), ErrorCode::Validation);
}

TEST(VulkanWin32CheckHandleTest, MemoryTakesALargeEnoughSectionOnly) {
  UniqueHandle section = make_section(65536);
  ASSERT_TRUE(section);
  auto fits = memory().check_handle(section.get(), 65536);
  EXPECT_TRUE(fits) << fits.error().to_string();
  auto small = memory().check_handle(section.get(), 65536 * 2);
  ASSERT_FALSE(small);
  EXPECT_EQ(small.error().code(), ErrorCode::Validation);
  EXPECT_NE(small.error().message().find("less than the allocation size"), std::string::npos)
      << small.error().message();
}

TEST(VulkanWin32CheckHandleTest, MemoryDuplicateForImportIsANewHandleToTheSameObject) {
  UniqueHandle section = make_section(4096);
  ASSERT_TRUE(section);
  auto copy = memory().duplicate_for_import(section);
  ASSERT_TRUE(copy) << copy.error().to_string();
  EXPECT_NE(copy->get(), section.get());
  // The same section: what is written through one handle's view is read through the other's.
  void* written = MapViewOfFile(copy->get(), FILE_MAP_WRITE, 0, 0, 0);
  void* read = MapViewOfFile(section.get(), FILE_MAP_READ, 0, 0, 0);
  ASSERT_NE(written, nullptr);
  ASSERT_NE(read, nullptr);
  static_cast<volatile char*>(written)[100] = 42;
  EXPECT_EQ(static_cast<volatile const char*>(read)[100], 42);
  UnmapViewOfFile(written);
  UnmapViewOfFile(read);
  auto none = memory().duplicate_for_import(UniqueHandle());
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code(), ErrorCode::Validation);
}

TEST(VulkanWin32CheckHandleTest, SemaphoreRefusesEmptySectionAndFileHandles) {
  auto empty = semaphore().check_handle(nullptr);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code(), ErrorCode::Validation);

  // A section is memory (a texture, a CPU timeline), not a semaphore payload.
  UniqueHandle section = make_section(4096);
  ASSERT_TRUE(section);
  auto refused = semaphore().check_handle(section.get());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), ErrorCode::Validation);
  EXPECT_NE(refused.error().message().find("Section"), std::string::npos)
      << refused.error().message();

  auto process = semaphore().check_handle(GetCurrentProcess());
  ASSERT_FALSE(process);  // a pseudo-handle: not one of the handle table's
  EXPECT_EQ(process.error().code(), ErrorCode::Validation);
}

// The services hand the driver win32::OwnerOnlySecurity(GENERIC_ALL) for every exported
// handle (VkExport*Win32HandleInfoKHR::pAttributes). Without the extension the driver's
// handle cannot be had here, so this checks what those attributes make of an object: a DACL
// with our user alone.
TEST(VulkanWin32SecurityTest, ExportAttributesGrantOurUserAlone) {
  auto security = win32::OwnerOnlySecurity::create(GENERIC_ALL);
  ASSERT_TRUE(security) << security.error().to_string();
  EXPECT_FALSE(security->attributes()->bInheritHandle);
  const UniqueHandle section(CreateFileMappingW(INVALID_HANDLE_VALUE, security->attributes(),
                                                PAGE_READWRITE, 0, 4096, nullptr));
  ASSERT_TRUE(section);
  PACL dacl = nullptr;
  PSECURITY_DESCRIPTOR descriptor = nullptr;
  ASSERT_EQ(GetSecurityInfo(section.get(), SE_KERNEL_OBJECT, DACL_SECURITY_INFORMATION, nullptr,
                            nullptr, &dacl, nullptr, &descriptor),
            static_cast<DWORD>(ERROR_SUCCESS));
  ASSERT_NE(dacl, nullptr);
  auto me = win32::current_user_sid();
  ASSERT_TRUE(me) << me.error().to_string();
  int allowing = 0;
  for (DWORD i = 0; i < dacl->AceCount; ++i) {
    void* ace = nullptr;
    ASSERT_TRUE(GetAce(dacl, i, &ace));
    const auto* header = static_cast<ACE_HEADER*>(ace);
    if (header->AceType != ACCESS_ALLOWED_ACE_TYPE) continue;
    ++allowing;
    auto* allowed = static_cast<ACCESS_ALLOWED_ACE*>(ace);
    char* text = nullptr;
    ASSERT_TRUE(ConvertSidToStringSidA(reinterpret_cast<PSID>(&allowed->SidStart), &text));
    const std::string sid = text;
    LocalFree(text);
    EXPECT_EQ(sid, *me) << "the DACL also grants " << sid;
  }
  EXPECT_EQ(allowing, 1);
  // (GetEffectiveRightsFromAcl would say what another user gets, but Wine 8's grants
  // everyone everything: it is a stub. The ACEs above are what Windows checks.)
  LocalFree(descriptor);  // dacl points into it
}

// ---- Through vulkan-1.dll ----

// The instance-level facts of the first physical device, through the loader alone (no
// Geyser Device): whether Vulkan runs at all, and which sharing extensions it has.
struct LoaderFacts {
  bool instance = false;
  std::string failure;
  std::string device_name;
  bool memory_win32 = false;
  bool semaphore_win32 = false;
};

const LoaderFacts& loader_facts() {
  static const LoaderFacts facts = [] {
    LoaderFacts f;
    VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
    app.apiVersion = kMinApiVersion;
    VkInstanceCreateInfo info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
    info.pApplicationInfo = &app;
    VkInstance instance = VK_NULL_HANDLE;
    if (VkResult r = vkCreateInstance(&info, nullptr, &instance); r != VK_SUCCESS) {
      f.failure = "vkCreateInstance: " + std::string(to_string(r));
      return f;
    }
    f.instance = true;
    std::uint32_t count = 0;
    vkEnumeratePhysicalDevices(instance, &count, nullptr);
    std::vector<VkPhysicalDevice> physicals(count);
    vkEnumeratePhysicalDevices(instance, &count, physicals.data());
    if (count == 0) {
      f.failure = "vkEnumeratePhysicalDevices found no device";
    } else {
      VkPhysicalDeviceProperties props{};
      vkGetPhysicalDeviceProperties(physicals[0], &props);
      f.device_name = props.deviceName;
      std::uint32_t n = 0;
      vkEnumerateDeviceExtensionProperties(physicals[0], nullptr, &n, nullptr);
      std::vector<VkExtensionProperties> extensions(n);
      vkEnumerateDeviceExtensionProperties(physicals[0], nullptr, &n, extensions.data());
      for (const auto& e : extensions) {
        if (std::strcmp(e.extensionName, VK_KHR_EXTERNAL_MEMORY_WIN32_EXTENSION_NAME) == 0) {
          f.memory_win32 = true;
        }
        if (std::strcmp(e.extensionName, VK_KHR_EXTERNAL_SEMAPHORE_WIN32_EXTENSION_NAME) == 0) {
          f.semaphore_win32 = true;
        }
      }
    }
    vkDestroyInstance(instance, nullptr);
    return f;
  }();
  return facts;
}

// Wine's winevulkan gets its host Vulkan through the display driver (winex11.drv): without an
// X display it has no driver, and vkCreateInstance fails.
bool wine_without_display() {
  const HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  const bool wine = ntdll != nullptr && GetProcAddress(ntdll, "wine_get_version") != nullptr;
  const char* display = std::getenv("DISPLAY");
  return wine && (display == nullptr || *display == '\0');
}

TEST(VulkanWin32LoaderTest, InstanceAndPhysicalDeviceThroughVulkan1Dll) {
  const LoaderFacts& facts = loader_facts();
  if (!facts.instance && wine_without_display()) {
    GTEST_SKIP() << "Wine 8's winevulkan needs an X display (winex11.drv gives it the host's "
                    "Vulkan) and DISPLAY is unset: scripts/run-windows-tests.sh starts Xvfb "
                    "when it is installed ("
                 << facts.failure << ")";
  }
  ASSERT_TRUE(facts.instance) << facts.failure;
  ASSERT_FALSE(facts.device_name.empty()) << facts.failure;
  std::printf(
      "vulkan-1.dll: %s; VK_KHR_external_memory_win32 %s, "
      "VK_KHR_external_semaphore_win32 %s\n",
      facts.device_name.c_str(), facts.memory_win32 ? "yes" : "no",
      facts.semaphore_win32 ? "yes" : "no");
}

TEST(VulkanWin32LoaderTest, DeviceCreationNamesTheMissingMemoryExtension) {
  const LoaderFacts& facts = loader_facts();
  if (!facts.instance || facts.device_name.empty()) GTEST_SKIP() << "no Vulkan: " << facts.failure;
  auto device = Device::create_headless();
  if (facts.memory_win32) {
    EXPECT_TRUE(device) << device.error().to_string();
    return;
  }
  // Without the extension Geyser has nothing to share with: create_headless says which.
  ASSERT_FALSE(device);
  EXPECT_EQ(device.error().code(), ErrorCode::Unsupported);
  EXPECT_NE(device.error().message().find("VK_KHR_external_memory_win32"), std::string::npos)
      << device.error().message();
}

// Two devices (each its own instance) in this process: the test pattern is written on one,
// exported as an OPAQUE_WIN32 handle, imported on the other and read back.
class VulkanWin32SharingTest : public testing::Test {
 protected:
  void SetUp() override {
    const LoaderFacts& facts = loader_facts();
    if (!facts.instance || facts.device_name.empty())
      GTEST_SKIP() << "no Vulkan: " << facts.failure;
    if (!facts.memory_win32) GTEST_SKIP() << kNoMemoryWin32;
    for (auto& device : devices_) {
      auto made = Device::create_headless();
      ASSERT_TRUE(made) << made.error().to_string();
      device = std::make_unique<Device>(std::move(*made));
    }
    for (int i = 0; i < 2; ++i) {
      managers_[i] = std::make_unique<VulkanTextureShareManager>(*devices_[i]);
    }
  }
  std::unique_ptr<Device> devices_[2];
  std::unique_ptr<VulkanTextureShareManager> managers_[2];
};

TEST_F(VulkanWin32SharingTest, PatternCrossesDevicesAsAnOpaqueWin32Handle) {
  TextureDescriptor desc;
  desc.width = 67;
  desc.height = 33;
  desc.format = TextureFormat::Rgba8Unorm;
  desc.usage = TextureUsage::TransferSrc | TextureUsage::TransferDst;
  auto original = managers_[0]->create(desc);
  ASSERT_TRUE(original) << original.error().to_string();
  std::vector<std::uint8_t> pattern(std::size_t{67} * 33 * 4);
  fill_test_pattern(pattern, desc.width, desc.height, 4, 7);
  auto written = upload(**original, pattern);
  ASSERT_TRUE(written) << written.error().to_string();
  auto handle = managers_[0]->export_texture(**original);
  ASSERT_TRUE(handle) << handle.error().to_string();
  EXPECT_EQ(handle->handle_type, MemoryHandleType::OpaqueWin32);
  ASSERT_TRUE(memory().check_handle(handle->os_handle.get(), handle->image.allocation_size));
  auto imported = managers_[1]->import(*handle);
  ASSERT_TRUE(imported) << imported.error().to_string();
  EXPECT_TRUE(handle->os_handle);  // import duplicates: the handle stays the caller's
  auto seen = readback(**imported);
  ASSERT_TRUE(seen) << seen.error().to_string();
  const auto mismatch = check_test_pattern(*seen, desc.width, desc.height, 4, 7);
  EXPECT_FALSE(mismatch) << "on the importing device: " << mismatch->to_string();
}

TEST_F(VulkanWin32SharingTest, TimelineValueCrossesDevicesAsAnOpaqueWin32Handle) {
  if (!devices_[0]->has_semaphore_win32()) GTEST_SKIP() << kNoSemaphoreWin32;
  auto made = managers_[0]->create_vk_semaphore(SemaphoreType::Timeline);
  ASSERT_TRUE(made) << made.error().to_string();
  auto handle = managers_[0]->export_semaphore(**made);
  ASSERT_TRUE(handle) << handle.error().to_string();
  EXPECT_EQ(handle->handle_type, SemaphoreHandleType::OpaqueWin32);
  auto imported = managers_[1]->import_vk_semaphore(*handle);
  ASSERT_TRUE(imported) << imported.error().to_string();
  ASSERT_TRUE((*made)->signal(5));
  auto waited = (*imported)->wait(5, 1'000'000'000);
  EXPECT_TRUE(waited) << waited.error().to_string();
}

TEST(VulkanWin32SemaphoreTest, SemaphoreExtensionIsReported) {
  const LoaderFacts& facts = loader_facts();
  if (!facts.instance || facts.device_name.empty()) GTEST_SKIP() << "no Vulkan: " << facts.failure;
  if (!facts.semaphore_win32) GTEST_SKIP() << kNoSemaphoreWin32;
  if (!facts.memory_win32) GTEST_SKIP() << kNoMemoryWin32;
  auto device = Device::create_headless();
  ASSERT_TRUE(device) << device.error().to_string();
  EXPECT_TRUE(device->has_semaphore_win32());
  VulkanTextureShareManager manager(*device);
  EXPECT_TRUE(manager.query_semaphore(SemaphoreType::Timeline).exportable);
}

}  // namespace
}  // namespace geyser::vulkan
