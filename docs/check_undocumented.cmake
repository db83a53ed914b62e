# Runs Doxygen as docs.reference does, over a copy of HEADERS in which threads_for() has lost its
# comment, and passes only when that run fails naming it: the reference check catches an
# undocumented public name.
file(REMOVE_RECURSE ${WORK_DIR})
file(COPY ${HEADERS} DESTINATION ${WORK_DIR})
set(sizing ${WORK_DIR}/conc/sizing.hpp)
file(READ ${sizing} text)
string(REGEX REPLACE "(///[^\n]*\n)+(std::size_t threads_for\\()" "\\2" stripped "${text}")
if(stripped STREQUAL text)
  message(FATAL_ERROR "${sizing}: no documented threads_for() to strip")
endif()
file(WRITE ${sizing} "${stripped}")
file(WRITE ${WORK_DIR}/Doxyfile "@INCLUDE = ${DOXYFILE}
INPUT = ${WORK_DIR}/conc
EXCLUDE = ${WORK_DIR}/conc/detail
STRIP_FROM_PATH = ${WORK_DIR}
STRIP_FROM_INC_PATH = ${WORK_DIR}
OUTPUT_DIRECTORY = ${WORK_DIR}/out
")
execute_process(COMMAND ${DOXYGEN} ${WORK_DIR}/Doxyfile RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(status EQUAL 0)
  message(FATAL_ERROR "doxygen passed over headers with an undocumented threads_for()")
endif()
if(NOT err MATCHES "sizing.hpp:[0-9]+: (warning|error): Member threads_for[^\n]* is not documented")
  message(FATAL_ERROR "doxygen failed, but not for the undocumented threads_for()")
endif()
