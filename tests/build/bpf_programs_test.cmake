# build.bpf_programs: a bpf/<name>.bpf.c dropped into the folder becomes a skeleton with no
# CMake edit. Runs cmake/BpfPrograms.cmake (what bpf/CMakeLists.txt builds from) on a copy of
# bpf/ with a dummy program added. (That every catalogue row has its skeleton built is
# unit.ProbeCatalogue.EveryRowHasItsSkeletonFlagsAndName.)
#   cmake -DSOURCE_DIR=<repo> -DWORK_DIR=<scratch> -P bpf_programs_test.cmake
cmake_minimum_required(VERSION 3.25)
include(${SOURCE_DIR}/cmake/BpfPrograms.cmake)

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
file(GLOB real ${SOURCE_DIR}/bpf/*.bpf.c)
file(COPY ${real} DESTINATION ${WORK_DIR})
file(WRITE ${WORK_DIR}/dummyprobe.bpf.c "// a probe added by the test\n")
file(WRITE ${WORK_DIR}/notaprogram.bpf.h "// headers are not programs\n")

tunescope_bpf_program_names(${WORK_DIR} with_dummy)
if(NOT "dummyprobe" IN_LIST with_dummy)
  message(FATAL_ERROR "a new bpf/dummyprobe.bpf.c is not built: ${with_dummy}")
endif()
if("notaprogram" IN_LIST with_dummy)
  message(FATAL_ERROR "a .bpf.h was taken for a program: ${with_dummy}")
endif()

file(REMOVE_RECURSE ${WORK_DIR})
