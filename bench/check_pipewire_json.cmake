# BenchPipewireBaseline: runs `geyser bench --quick --json FILE` and checks its
# pipewire_handoff entry: measured with positive figures, or skipped with a reason; with
# -DREQUIRE_MEASURED=ON (libpipewire-0.3 and the daemon installed) it must be measured.
# No timing is asserted.
#
#   cmake -DBENCH=<geyser> -DJSON=<file> -DREQUIRE_MEASURED=ON|OFF -P check_pipewire_json.cmake
cmake_minimum_required(VERSION 3.25)
file(REMOVE "${JSON}")
execute_process(COMMAND "${BENCH}" bench --quick --json "${JSON}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "geyser bench --quick failed with ${rc}")
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

include(${CMAKE_CURRENT_LIST_DIR}/check_pipewire_entry.cmake)
check_pipewire_entry(${REQUIRE_MEASURED})
message(STATUS "BenchPipewireBaseline: ${JSON} has the pipewire_handoff entry")
