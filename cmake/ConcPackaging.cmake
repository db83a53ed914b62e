# Debian packages by CPack (scripts/package.sh): `conc` from the apps component (the programs, their
# man pages and shell completions) and `libconc-dev` from the dev component (headers, libconc.a and
# libconc.so, CMake and pkg-config files), each with the runtime dependencies dpkg-shlibdeps finds.
set(CPACK_PACKAGE_NAME conc)
set(CPACK_PACKAGE_VENDOR "The conc authors")
set(CPACK_PACKAGE_CONTACT "The conc authors <conc@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Parallel bulk work: thumbnail photo folders, download URL lists")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_GENERATOR DEB)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL apps dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_APPS_PACKAGE_NAME conc)
set(CPACK_DEBIAN_APPS_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_APPS_DESCRIPTION
  "Parallel bulk work: thumbnail photo folders, download URL lists
 conc-thumbs thumbnails whole photo folders on every core, a crashing or hanging decoder
 costing one file; conc-fetch downloads URL lists resumably, and with --thumbnail makes
 thumbnails of what it downloads.")
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libconc-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# libconc.a links oneTBB's allocator, which the shared library's dependencies do not bring.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "libtbb-dev")
set(CPACK_DEBIAN_DEV_DESCRIPTION
  "C++20 thread and process pools, queues, futures, sizing, rate limiting and progress
 libconc: a thread pool for IO-bound work that sizes itself by the blocking rule, a process
 pool for CPU-bound work that survives crashing and hanging tasks, blocking queues, events,
 semaphores, futures with callbacks, a rate limiter and a progress bar.")

install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/conc
  RENAME copyright COMPONENT apps)
# The JSON Schemas of the files the tools write, where a reader of those files finds them.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/schemas/ DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/conc/schemas
  COMPONENT apps FILES_MATCHING PATTERN "*.schema.json")
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/libconc-dev
  RENAME copyright COMPONENT dev)
include(CPack)
