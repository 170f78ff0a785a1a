# Warnings for our own targets only: linked as $<BUILD_INTERFACE:csm_warnings> so they never
# reach a consumer of the installed package.
add_library(csm_warnings INTERFACE)
target_compile_options(csm_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wold-style-cast
  -Wnon-virtual-dtor -Wimplicit-fallthrough)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  # GCC 12 reports impossible overlaps in inlined std::string concatenation at -O2 and above
  # (GCC bug 105329); the warning is noise there, and clang still checks our code.
  target_compile_options(csm_warnings INTERFACE -Wno-restrict)
endif()
if(CSM_WARNINGS_AS_ERRORS)
  target_compile_options(csm_warnings INTERFACE -Werror)
endif()
