# Quick start: `make demo` and `make test` each install what is missing, configure and build.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
GEYSER := $(BUILD_DIR)/tools/geyser/geyser

.PHONY: all deps configure build demo test clean format windows-deps windows test-windows

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD_DIR)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

configure: deps $(BUILD_DIR)/CMakeCache.txt

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

demo: build
	$(GEYSER) demo

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# The Windows build (mingw-w64) and its tests under Wine: docs/windows.md.
WINDOWS_BUILD_DIR ?= build-windows
WINDOWS_TOOLCHAIN := cmake/toolchains/x86_64-w64-mingw32.cmake

windows-deps:
	@bash scripts/install-windows-deps.sh

$(WINDOWS_BUILD_DIR)/CMakeCache.txt: | windows-deps
	cmake -S . -B $(WINDOWS_BUILD_DIR) -DCMAKE_TOOLCHAIN_FILE=$(WINDOWS_TOOLCHAIN) \
	  -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

windows: windows-deps $(WINDOWS_BUILD_DIR)/CMakeCache.txt
	cmake --build $(WINDOWS_BUILD_DIR) -j $(JOBS)

test-windows: windows
	bash scripts/run-windows-tests.sh $(WINDOWS_BUILD_DIR)

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD_DIR)
