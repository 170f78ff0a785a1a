# FindXGBoost: XGBoost's C API from Debian's libxgboost-dev (header xgboost/c_api.h, libxgboost.so).
# Debian's own CMake package (xgboost-config.cmake) also names the `xgboost` command-line program,
# which libxgboost-dev does not ship, so loading it fails; this module looks for the two files.
# Defines XGBoost_FOUND and the imported target XGBoost::xgboost.
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
mark_as_advanced(XGBoost_INCLUDE_DIR XGBoost_LIBRARY)
