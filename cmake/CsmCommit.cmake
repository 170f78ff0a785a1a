# CSM_COMMIT: the commit the binary is built from, for `csm-metrics --version` ("unknown" outside
# a git checkout, e.g. from a source tarball; "-dirty" when the work tree has changes).
set(CSM_COMMIT "unknown")
find_package(Git QUIET)
if(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --short=12 HEAD
                  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} OUTPUT_VARIABLE _csm_commit
                  RESULT_VARIABLE _csm_git_result OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(_csm_git_result EQUAL 0 AND _csm_commit)
    set(CSM_COMMIT "${_csm_commit}")
    execute_process(COMMAND ${GIT_EXECUTABLE} status --porcelain --untracked-files=no
                    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} OUTPUT_VARIABLE _csm_dirty
                    ERROR_QUIET)
    if(_csm_dirty)
      string(APPEND CSM_COMMIT "-dirty")
    endif()
    # Configure again when HEAD moves, so that the version names the commit actually built.
    foreach(_csm_git_file HEAD logs/HEAD)
      execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --git-path ${_csm_git_file}
                      WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} OUTPUT_VARIABLE _csm_path
                      OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
      if(_csm_path)
        get_filename_component(_csm_path "${_csm_path}" ABSOLUTE BASE_DIR ${PROJECT_SOURCE_DIR})
        if(EXISTS "${_csm_path}")
          set_property(DIRECTORY ${PROJECT_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
                       "${_csm_path}")
        endif()
      endif()
    endforeach()
  endif()
endif()
