# Cross-compiling Geyser for 64-bit Windows with Debian's mingw-w64 (posix threads
# variant: std::thread and std::mutex over winpthreads), from Linux:
#   cmake -S . -B build-windows -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/x86_64-w64-mingw32.cmake
# libgcc, libstdc++ and winpthreads are linked statically, so the .exe files run under Wine
# (or on Windows) with no mingw DLL next to them. Tests run through Wine as the emulator.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(GEYSER_MINGW_TRIPLE x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${GEYSER_MINGW_TRIPLE}-gcc-posix)
set(CMAKE_CXX_COMPILER ${GEYSER_MINGW_TRIPLE}-g++-posix)
set(CMAKE_RC_COMPILER ${GEYSER_MINGW_TRIPLE}-windres)

# Libraries and headers come from the mingw sysroot only; programs from the host.
set(CMAKE_FIND_ROOT_PATH /usr/${GEYSER_MINGW_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static-libgcc -static-libstdc++")

find_program(GEYSER_WINE64 NAMES wine64 PATHS /usr/lib/wine NO_DEFAULT_PATH)
if(NOT GEYSER_WINE64)
  find_program(GEYSER_WINE64 NAMES wine64 wine)
endif()
if(GEYSER_WINE64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${GEYSER_WINE64})
endif()
