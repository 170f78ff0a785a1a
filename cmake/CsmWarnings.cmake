# Warnings for our own targets only: linked as $<BUILD_INTERFACE:csm_warnings> so they never
# reach a consumer of the installed package.
add_library(csm_warnings INTERFACE)
target_compile_options(csm_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wold-style-cast
  -Wnon-virtual-dtor -Wimplicit-fallthrough)
if(CSM_WARNINGS_AS_ERRORS)
  target_compile_options(csm_warnings INTERFACE -Werror)
endif()
