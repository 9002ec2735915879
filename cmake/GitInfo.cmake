# Run with cmake -P at build time: writes OUT (a header) with the current commit and dirty state;
# configure_file leaves the file untouched when nothing changed, so nothing rebuilds needlessly.
set(commit "unknown")
set(dirty "unknown")
if(GIT_EXECUTABLE AND EXISTS "${SOURCE_DIR}/.git")
  execute_process(COMMAND "${GIT_EXECUTABLE}" rev-parse HEAD WORKING_DIRECTORY "${SOURCE_DIR}"
                  OUTPUT_VARIABLE out OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc ERROR_QUIET)
  if(rc EQUAL 0)
    set(commit "${out}")
    execute_process(COMMAND "${GIT_EXECUTABLE}" status --porcelain --untracked-files=no
                    WORKING_DIRECTORY "${SOURCE_DIR}" OUTPUT_VARIABLE st ERROR_QUIET)
    if(st)
      set(dirty "true")
    else()
      set(dirty "false")
    endif()
  endif()
endif()
file(WRITE "${OUT}.tmp" "#pragma once\n#define MLHPC_GIT_COMMIT \"${commit}\"\n#define MLHPC_GIT_DIRTY \"${dirty}\"\n")
configure_file("${OUT}.tmp" "${OUT}" COPYONLY)
