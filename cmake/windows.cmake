# What the Windows cross build takes from the Debian host (scripts/install-windows-deps.sh),
# included by the top-level CMakeLists.txt when cross-compiling for Windows:
# - tl::expected, header-only: its headers are copied into the build tree, because putting
#   the host's /usr/include on a mingw include path would pull in glibc's headers;
# - GoogleTest, built for mingw from the googletest package's sources (there is no network
#   for FetchContent), as GTest::gtest and GTest::gtest_main.
set(GEYSER_TL_EXPECTED_HEADER /usr/include/tl/expected.hpp CACHE FILEPATH
    "tl/expected.hpp to stage for the Windows build (Debian: libexpected-dev)")
set(GEYSER_GOOGLETEST_SOURCE_DIR /usr/src/googletest CACHE PATH
    "GoogleTest's sources for the Windows build (Debian: googletest)")

if(NOT EXISTS ${GEYSER_TL_EXPECTED_HEADER})
  message(FATAL_ERROR "geyser: ${GEYSER_TL_EXPECTED_HEADER} not found "
                      "(Debian: libexpected-dev; scripts/install-windows-deps.sh)")
endif()
set(geyser_staged_include ${CMAKE_BINARY_DIR}/third_party/include)
file(COPY ${GEYSER_TL_EXPECTED_HEADER} DESTINATION ${geyser_staged_include}/tl)
add_library(tl::expected INTERFACE IMPORTED)
set_target_properties(tl::expected PROPERTIES
  INTERFACE_SYSTEM_INCLUDE_DIRECTORIES ${geyser_staged_include}
  INTERFACE_INCLUDE_DIRECTORIES ${geyser_staged_include})

if(GEYSER_BUILD_TESTS)
  if(NOT EXISTS ${GEYSER_GOOGLETEST_SOURCE_DIR}/CMakeLists.txt)
    message(FATAL_ERROR "geyser: GoogleTest sources not found in ${GEYSER_GOOGLETEST_SOURCE_DIR} "
                        "(Debian: googletest; scripts/install-windows-deps.sh)")
  endif()
  set(BUILD_GMOCK OFF CACHE BOOL "" FORCE)
  set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
  # GoogleTest's own CMakeLists.txt defines GTest::gtest and GTest::gtest_main.
  add_subdirectory(${GEYSER_GOOGLETEST_SOURCE_DIR} ${CMAKE_BINARY_DIR}/googletest EXCLUDE_FROM_ALL)
endif()

# Windows 10's API level; windows.h without its min/max macros and rarely used parts.
add_compile_definitions(_WIN32_WINNT=0x0A00 WINVER=0x0A00 WIN32_LEAN_AND_MEAN NOMINMAX)

# The Vulkan backend: Debian's Vulkan headers (libvulkan-dev), staged like tl::expected, and
# an import library for vulkan-1.dll made from cmake/vulkan/vulkan-1.def with dlltool.
# Debian has no Windows Vulkan loader to link against; the import library binds to whatever
# vulkan-1.dll the system has at run time (Wine's, or the Khronos loader on Windows).
if(GEYSER_ENABLE_VULKAN)
  set(GEYSER_VULKAN_INCLUDE_DIR /usr/include CACHE PATH
      "Where vulkan/vulkan.h and vk_video/ are, for the Windows build (Debian: libvulkan-dev)")
  if(NOT EXISTS ${GEYSER_VULKAN_INCLUDE_DIR}/vulkan/vulkan_win32.h)
    message(FATAL_ERROR "geyser: ${GEYSER_VULKAN_INCLUDE_DIR}/vulkan/vulkan_win32.h not found "
                        "(Debian: libvulkan-dev; scripts/install-windows-deps.sh)")
  endif()
  file(COPY ${GEYSER_VULKAN_INCLUDE_DIR}/vulkan DESTINATION ${geyser_staged_include})
  if(EXISTS ${GEYSER_VULKAN_INCLUDE_DIR}/vk_video)
    file(COPY ${GEYSER_VULKAN_INCLUDE_DIR}/vk_video DESTINATION ${geyser_staged_include})
  endif()
  find_program(GEYSER_MINGW_DLLTOOL NAMES ${GEYSER_MINGW_TRIPLE}-dlltool REQUIRED)
  set(geyser_vulkan_def ${PROJECT_SOURCE_DIR}/cmake/vulkan/vulkan-1.def)
  set(geyser_vulkan_implib ${CMAKE_BINARY_DIR}/third_party/lib/libvulkan-1.a)
  file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/third_party/lib)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${geyser_vulkan_def})
  execute_process(
    COMMAND ${GEYSER_MINGW_DLLTOOL} -d ${geyser_vulkan_def} -l ${geyser_vulkan_implib}
            -D vulkan-1.dll
    RESULT_VARIABLE geyser_dlltool_result)
  if(NOT geyser_dlltool_result EQUAL 0)
    message(FATAL_ERROR "geyser: ${GEYSER_MINGW_DLLTOOL} failed to make ${geyser_vulkan_implib}")
  endif()
  add_library(Vulkan::Vulkan UNKNOWN IMPORTED)
  set_target_properties(Vulkan::Vulkan PROPERTIES
    IMPORTED_LOCATION ${geyser_vulkan_implib}
    INTERFACE_SYSTEM_INCLUDE_DIRECTORIES ${geyser_staged_include}
    INTERFACE_INCLUDE_DIRECTORIES ${geyser_staged_include}
    # vulkan_win32.h: the OPAQUE_WIN32 handle types and their entry points.
    INTERFACE_COMPILE_DEFINITIONS VK_USE_PLATFORM_WIN32_KHR)
endif()

# The geyser command's header-only libraries, staged the same way: CLI11 (libcli11-dev),
# nlohmann-json (nlohmann-json3-dev) and stb_image_write (libstb-dev).
if(GEYSER_BUILD_TOOLS)
  set(GEYSER_TOOLS_HEADER_ROOT /usr/include CACHE PATH
      "Where CLI/, nlohmann/ and stb/ are, for the Windows build of the geyser command")
  foreach(dir CLI nlohmann stb)
    if(NOT IS_DIRECTORY ${GEYSER_TOOLS_HEADER_ROOT}/${dir})
      message(FATAL_ERROR "geyser: ${GEYSER_TOOLS_HEADER_ROOT}/${dir} not found "
                          "(Debian: libcli11-dev nlohmann-json3-dev libstb-dev; "
                          "scripts/install-windows-deps.sh)")
    endif()
  endforeach()
  set(geyser_tools_include ${CMAKE_BINARY_DIR}/third_party/tools/include)
  file(COPY ${GEYSER_TOOLS_HEADER_ROOT}/CLI ${GEYSER_TOOLS_HEADER_ROOT}/nlohmann
       DESTINATION ${geyser_tools_include})
  file(COPY ${GEYSER_TOOLS_HEADER_ROOT}/stb/stb_image_write.h DESTINATION ${geyser_tools_include}/stb)
  foreach(target CLI11::CLI11 nlohmann_json::nlohmann_json)
    add_library(${target} INTERFACE IMPORTED)
    set_target_properties(${target} PROPERTIES
      INTERFACE_SYSTEM_INCLUDE_DIRECTORIES ${geyser_tools_include}
      INTERFACE_INCLUDE_DIRECTORIES ${geyser_tools_include})
  endforeach()
  set(GEYSER_STB_INCLUDE_DIR ${geyser_tools_include})
endif()
