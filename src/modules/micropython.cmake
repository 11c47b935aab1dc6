# Every module of this project, for CMake-based ports:
#   make USER_C_MODULES=<repo>/src/modules/micropython.cmake
include(${CMAKE_CURRENT_LIST_DIR}/emlearn_iir/micropython.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/emlearn_iir_q15/micropython.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/emlearn_kmeans/micropython.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/emlearn_arrayutils/micropython.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/emlearn_trees/micropython.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/emlearn_fft/micropython.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/emlearn_neighbors/micropython.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/emlearn_linreg/micropython.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/emlearn_logreg/micropython.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/emlearn_cnn_int8/micropython.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/emlearn_cnn_fp32/micropython.cmake)
