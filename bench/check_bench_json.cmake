# BenchQuickSmoke: runs `geyser_bench --quick --json FILE` and checks that the report has
# every key with a finite positive number. No timing is asserted: CI machines are noisy.
#
#   cmake -DBENCH=<geyser_bench> -DJSON=<file> -P check_bench_json.cmake
cmake_minimum_required(VERSION 3.25)
file(REMOVE "${JSON}")
execute_process(COMMAND "${BENCH}" --quick --json "${JSON}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "geyser_bench --quick failed with ${rc}")
endif()
file(READ "${JSON}" report)

# A JSON number that is finite (JSON has no NaN or infinity; the writer emits null) and
# greater than zero: no sign, and at least one non-zero digit before any exponent.
function(expect_positive)
  string(JSON value ERROR_VARIABLE err GET "${report}" ${ARGN})
  string(JSON type ERROR_VARIABLE err2 TYPE "${report}" ${ARGN})
  if(err OR NOT type STREQUAL "NUMBER")
    message(FATAL_ERROR "report: ${ARGN} is missing or not a number (${type} ${err})")
  endif()
  string(REGEX REPLACE "[eE].*$" "" mantissa "${value}")
  if(value MATCHES "^-" OR NOT mantissa MATCHES "[1-9]")
    message(FATAL_ERROR "report: ${ARGN} = ${value} is not a positive number")
  endif()
endfunction()

function(expect_text)
  string(JSON value ERROR_VARIABLE err GET "${report}" ${ARGN})
  if(err OR value STREQUAL "")
    message(FATAL_ERROR "report: ${ARGN} is missing or empty")
  endif()
endfunction()

foreach(key handoff_p50_us handoff_p99_us socket_one_way_p50_us socket_roundtrip_p50_us
            handoff_vs_socket futex_wake_p50_us handoff_vs_futex handoff_4k_vs_256 copy_vs_zero_copy_1080p copy_vs_zero_copy_4k
            throughput_fps_1_receiver throughput_fps_8_receivers
            sender_cpu_us_per_frame_per_receiver_1_receiver
            sender_cpu_us_per_frame_per_receiver_8_receivers sender_cpu_us_per_frame_1_receiver
            sender_cpu_us_per_frame_8_receivers ring_device_bytes_1080p)
  expect_positive(${key})
endforeach()
expect_positive(machine cores)
foreach(key date)
  expect_text(${key})
endforeach()
expect_text(machine hostname)
expect_text(machine cpu_model)
expect_text(device name)
expect_text(device driver)
expect_text(device sync_mode)
string(JSON quick GET "${report}" quick)
if(NOT quick STREQUAL "ON")
  message(FATAL_ERROR "report: quick is ${quick}, expected true")
endif()

# The per-resolution tables: four handoff sizes, two copy sizes, each with its figures.
string(JSON handoffs LENGTH "${report}" handoff)
if(NOT handoffs EQUAL 4)
  message(FATAL_ERROR "report: ${handoffs} handoff rows, expected 4")
endif()
math(EXPR last "${handoffs} - 1")
foreach(i RANGE ${last})
  expect_positive(handoff ${i} handoff_us p50)
  expect_positive(handoff ${i} handoff_us p99)
  expect_positive(handoff ${i} socket_one_way_us p50)
  expect_positive(handoff ${i} socket_roundtrip_us p50)
  expect_positive(handoff ${i} futex_wake_us p50)
endforeach()

# The aims: eight, each with its target; those measured in a quick run have "met".
string(JSON aims LENGTH "${report}" aims)
if(NOT aims EQUAL 8)
  message(FATAL_ERROR "report: ${aims} aims, expected 8")
endif()
foreach(i RANGE 4)
  expect_text(aims ${i} aim)
  expect_positive(aims ${i} target)
  expect_positive(aims ${i} measured)
  string(JSON met TYPE "${report}" aims ${i} met)
  if(NOT met STREQUAL "BOOLEAN")
    message(FATAL_ERROR "report: aims ${i} met is ${met}, expected a boolean")
  endif()
endforeach()
foreach(i 0 1)
  expect_positive(copy ${i} copy_us p50)
  expect_positive(copy ${i} copy_vs_zero_copy)
endforeach()
# The PipeWire baseline: measured or skipped with a reason (check_pipewire_entry.cmake).
include(${CMAKE_CURRENT_LIST_DIR}/check_pipewire_entry.cmake)
check_pipewire_entry(OFF)
string(JSON errors LENGTH "${report}" errors)
if(NOT errors EQUAL 0)
  message(FATAL_ERROR "report: ${errors} errors")
endif()
message(STATUS "BenchQuickSmoke: ${JSON} has every key")
