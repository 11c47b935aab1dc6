# Firmware build with CMake ports (esp32, rp2): USER_C_MODULES=<repo>/src/modules/micropython.cmake
add_library(usermod_emlearn_logreg INTERFACE)
target_sources(usermod_emlearn_logreg INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}/emlearn_logreg.c
    ${CMAKE_CURRENT_LIST_DIR}/../../core/eml_logreg.c
)
target_include_directories(usermod_emlearn_logreg INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}/../../core
    ${CMAKE_CURRENT_LIST_DIR}/..
)
target_link_libraries(usermod INTERFACE usermod_emlearn_logreg)
