# FindXGBoost: XGBoost's C API from Debian's libxgboost-dev (header xgboost/c_api.h, libxgboost.so).
# Debian's own CMake package (xgboost-config.cmake) also names the `xgboost` command-line program,
# which libxgboost-dev does not ship, so loading it fails; this module looks for the two files.
# Defines XGBoost_FOUND, the imported target XGBoost::xgboost, and XGBoost_SONAME: the name the
# library is loaded under at run time (libxgboost.so.0 on Debian 12; csm_ml dlopens it).
find_path(XGBoost_INCLUDE_DIR NAMES xgboost/c_api.h)
find_library(XGBoost_LIBRARY NAMES xgboost)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(XGBoost REQUIRED_VARS XGBoost_LIBRARY XGBoost_INCLUDE_DIR)
if(XGBoost_FOUND AND NOT TARGET XGBoost::xgboost)
  add_library(XGBoost::xgboost UNKNOWN IMPORTED)
  set_target_properties(XGBoost::xgboost PROPERTIES
    IMPORTED_LOCATION "${XGBoost_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${XGBoost_INCLUDE_DIR}")
endif()
if(XGBoost_FOUND AND NOT XGBoost_SONAME)
  # The SONAME from the library's dynamic section (objdump comes with the compiler); else the
  # name of the file found.
  get_filename_component(XGBoost_SONAME "${XGBoost_LIBRARY}" NAME)
  if(CMAKE_OBJDUMP)
    execute_process(COMMAND "${CMAKE_OBJDUMP}" -p "${XGBoost_LIBRARY}" OUTPUT_VARIABLE _xgb_dynamic
                    ERROR_QUIET RESULT_VARIABLE _xgb_status)
    if(_xgb_status EQUAL 0 AND _xgb_dynamic MATCHES "SONAME +([^\n ]+)")
      set(XGBoost_SONAME "${CMAKE_MATCH_1}")
    endif()
  endif()
  set(XGBoost_SONAME "${XGBoost_SONAME}" CACHE STRING "XGBoost's library as dlopen loads it")
endif()
mark_as_advanced(XGBoost_INCLUDE_DIR XGBoost_LIBRARY XGBoost_SONAME)
