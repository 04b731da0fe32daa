# BenchCrossDeviceUnknownDevice: `geyser bench --cross-device --recv-device SPEC` with a
# SPEC no device has is a usage error: exit code 2 (kExitUsage), a message on stderr naming
# the option and listing the devices, no report written, no crash.
#
#   cmake -DBENCH=<geyser> -DJSON=<file> -P check_cross_device_unknown.cmake
cmake_minimum_required(VERSION 3.25)
file(REMOVE "${JSON}")
execute_process(
  COMMAND "${BENCH}" bench --cross-device --quick --recv-device no-such-device-geyser-test
          --json "${JSON}"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 2)
  message(FATAL_ERROR "expected exit code 2, got ${rc}\nstdout:\n${out}\nstderr:\n${err}")
endif()
if(NOT err MATCHES "--recv-device: no Vulkan device has name containing \"no-such-device-geyser-test\"")
  message(FATAL_ERROR "stderr does not name the unknown --recv-device:\n${err}")
endif()
if(NOT err MATCHES "the Vulkan devices are: 0: ")
  message(FATAL_ERROR "stderr does not list the devices:\n${err}")
endif()
if(EXISTS "${JSON}")
  message(FATAL_ERROR "a report was written for a usage error: ${JSON}")
endif()
# --recv-device without --cross-device does not parse: the same exit code.
execute_process(COMMAND "${BENCH}" bench --recv-device 0 RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 2 OR NOT err MATCHES "--recv-device requires --cross-device")
  message(FATAL_ERROR "--recv-device alone: exit ${rc}, stderr:\n${err}")
endif()
message(STATUS "unknown --recv-device: exit 2 with: ${err}")
