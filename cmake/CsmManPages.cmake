# Run as a script at build time: makes csm-metrics.1 and csm-metrics-COMMAND.1 for every visible
# command with help2man from the binary's own --help, so the man pages say what --help says.
#   cmake -DBINARY=... -DHELP2MAN=... -DOUT_DIR=... -P CsmManPages.cmake
file(REMOVE_RECURSE "${OUT_DIR}")
file(MAKE_DIRECTORY "${OUT_DIR}")
execute_process(COMMAND "${BINARY}" completion --list-commands OUTPUT_VARIABLE listing
                RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "csm-metrics completion --list-commands failed: ${result}")
endif()
string(REPLACE "\n" ";" lines "${listing}")
set(see_also "")
set(commands "")
foreach(line IN LISTS lines)
  if(line STREQUAL "")
    continue()
  endif()
  string(REGEX REPLACE "\t.*" "" name "${line}")
  string(REGEX REPLACE "^[^\t]*\t" "" description "${line}")
  list(APPEND commands "${name}")
  set(description_${name} "${description}")
  string(APPEND see_also ".BR csm-metrics-${name} (1),\n")
endforeach()
string(APPEND see_also "and the documentation in /usr/share/doc/csm-metrics or docs/ of the sources.\n")

# Every page refers to the others; the include file adds the section to each.
set(include_file "${OUT_DIR}/see-also.h2m")
file(WRITE "${include_file}"
     "[SEE ALSO]\n.BR csm-metrics (1),\n${see_also}\n"
     "[EXIT STATUS]\n0 success; 1 a --fail-if threshold was crossed; 2 usage error; 65 invalid input "
     "data; 66 input missing or unreadable; 70 internal error; 71 out of memory; 74 output could "
     "not be written; 130, 141, 143 killed by SIGINT, SIGPIPE, SIGTERM.\n")

function(make_page page help_option name_text)
  execute_process(
    COMMAND "${HELP2MAN}" --no-info --no-discard-stderr --section=1 --source=csm-metrics
            "--name=${name_text}" "--help-option=${help_option}" --version-option=--version
            "--include=${include_file}" "--output=${OUT_DIR}/${page}.1" "${BINARY}"
    RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "help2man failed for ${page}")
  endif()
  # help2man names the page after the binary; a subcommand's page is named after it.
  file(READ "${OUT_DIR}/${page}.1" text)
  string(TOUPPER "${page}" upper)
  string(REGEX REPLACE "\\.TH \"?[^ \"]+\"? " ".TH ${upper} " text "${text}")
  string(REGEX REPLACE "\n\\.SH NAME\n[^ ]+ " "\n.SH NAME\n${page} " text "${text}")
  file(WRITE "${OUT_DIR}/${page}.1" "${text}")
  execute_process(COMMAND gzip -9nf "${OUT_DIR}/${page}.1" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "gzip failed for ${page}")
  endif()
endfunction()

make_page(csm-metrics --help "customer-success metrics from customer records")
foreach(name IN LISTS commands)
  make_page(csm-metrics-${name} "${name} --help" "${description_${name}}")
endforeach()
file(WRITE "${OUT_DIR}/stamp" "")
