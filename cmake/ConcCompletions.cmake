# Shell completion for a program, generated at build time by the program itself from its option
# definitions (PROGRAM --completion SHELL), so that it never drifts from --help, and installed where
# bash, zsh and fish look for it.
function(conc_completions target)
  set(dir ${CMAKE_CURRENT_BINARY_DIR}/completions)
  set(bash ${dir}/${target})
  set(zsh ${dir}/_${target})
  set(fish ${dir}/${target}.fish)
  add_custom_command(OUTPUT ${bash} ${zsh} ${fish}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${dir}
    COMMAND $<TARGET_FILE:${target}> --completion bash > ${bash}
    COMMAND $<TARGET_FILE:${target}> --completion zsh > ${zsh}
    COMMAND $<TARGET_FILE:${target}> --completion fish > ${fish}
    DEPENDS ${target}
    COMMENT "Shell completion for ${target}"
    VERBATIM)
  add_custom_target(${target}-completions ALL DEPENDS ${bash} ${zsh} ${fish})
  install(FILES ${bash} DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/bash-completion/completions COMPONENT apps)
  install(FILES ${zsh} DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/zsh/site-functions COMPONENT apps)
  install(FILES ${fish} DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/fish/vendor_completions.d COMPONENT apps)
endfunction()
