# Install the built project into a scratch prefix, then configure, build and run a consumer
# project against it, compiled with the same flags (a sanitizer build needs them to link).
# Arguments: -DBUILD_DIR= -DSOURCE_DIR= -DWORK_DIR= -DCXX_FLAGS=
file(REMOVE_RECURSE ${WORK_DIR})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(rc)
  message(FATAL_ERROR "cmake --install failed: ${rc}")
endif()
if(NOT EXISTS ${WORK_DIR}/prefix/bin/csm-metrics)
  message(FATAL_ERROR "the binary was not installed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/install/consumer -B ${WORK_DIR}/build
                        -G Ninja -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix
                        "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}"
                        -DCSM_EXAMPLE_SOURCE=${SOURCE_DIR}/examples/compute_from_csv.cpp
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(rc)
  message(FATAL_ERROR "configuring the consumer failed:\n${out}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/build
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(rc)
  message(FATAL_ERROR "building the consumer failed:\n${out}")
endif()
execute_process(COMMAND ${WORK_DIR}/build/consumer RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(rc OR NOT out MATCHES "sum=100.30 churn=5.0")
  message(FATAL_ERROR "the consumer printed '${out}' (exit ${rc})")
endif()
message(STATUS "install ok: ${out}")
# The example, built against the installed package, on the hand-worked file.
set(EXAMPLE ${WORK_DIR}/build/compute_from_csv)
set(INPUT ${SOURCE_DIR}/tests/data/library/tiny_activity.csv)
include(${SOURCE_DIR}/tests/install/check_example.cmake)
