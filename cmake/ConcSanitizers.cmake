# CONC_SANITIZE=thread    -> ThreadSanitizer
# CONC_SANITIZE=address   -> AddressSanitizer + UndefinedBehaviorSanitizer
if(CONC_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -g -O1)
  add_link_options(-fsanitize=thread)
elseif(CONC_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -g -O1)
  add_link_options(-fsanitize=address,undefined)
elseif(NOT CONC_SANITIZE STREQUAL "")
  message(FATAL_ERROR "CONC_SANITIZE must be '', 'thread' or 'address', not '${CONC_SANITIZE}'")
endif()
