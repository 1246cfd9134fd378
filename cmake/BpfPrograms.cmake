# tunescope_bpf_program_names(<dir> <out-var>): the <name> of every <dir>/<name>.bpf.c, sorted.
# The one place that decides which BPF programs are built (bpf/CMakeLists.txt); kept apart
# from Bpf.cmake so that tests/build/bpf_programs_test.cmake can run it in script mode.
function(tunescope_bpf_program_names dir out)
  # A new program re-runs the configure step (CONFIGURE_DEPENDS), which script mode lacks.
  if(CMAKE_SCRIPT_MODE_FILE)
    file(GLOB programs ${dir}/*.bpf.c)
  else()
    file(GLOB programs CONFIGURE_DEPENDS ${dir}/*.bpf.c)
  endif()
  set(names "")
  foreach(program ${programs})
    get_filename_component(file ${program} NAME)
    string(REGEX REPLACE "\\.bpf\\.c$" "" name ${file})
    list(APPEND names ${name})
  endforeach()
  list(SORT names)
  set(${out} ${names} PARENT_SCOPE)
endfunction()
