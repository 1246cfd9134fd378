# Compiles bpf/<probe>.bpf.c CO-RE objects and turns each into a bpftool skeleton header that
# embeds the object, so the daemon is a single binary. vmlinux.h is generated from BTF (not
# from the build host's kernel headers); CO-RE relocates field offsets on the target kernel.
find_program(BPF_CLANG NAMES clang clang-16 clang-14 REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin REQUIRED)

set(TUNESCOPE_VMLINUX_BTF /sys/kernel/btf/vmlinux
    CACHE FILEPATH "BTF file that vmlinux.h is generated from")
set(BPF_GEN_DIR ${CMAKE_BINARY_DIR}/bpf)
file(MAKE_DIRECTORY ${BPF_GEN_DIR})

add_custom_command(
  OUTPUT ${BPF_GEN_DIR}/vmlinux.h
  COMMAND ${BPFTOOL} btf dump file ${TUNESCOPE_VMLINUX_BTF} format c > ${BPF_GEN_DIR}/vmlinux.h
  COMMENT "Generating vmlinux.h from ${TUNESCOPE_VMLINUX_BTF}"
  VERBATIM)
add_custom_target(tunescope_vmlinux_h DEPENDS ${BPF_GEN_DIR}/vmlinux.h)

# tunescope_bpf_skeleton(<name>): bpf/<name>.bpf.c -> <name>.bpf.o -> <name>.skel.h
function(tunescope_bpf_skeleton name)
  set(src ${CMAKE_SOURCE_DIR}/bpf/${name}.bpf.c)
  set(obj ${BPF_GEN_DIR}/${name}.bpf.o)
  set(skel ${BPF_GEN_DIR}/${name}.skel.h)
  file(GLOB bpf_headers ${CMAKE_SOURCE_DIR}/bpf/*.bpf.h ${CMAKE_SOURCE_DIR}/bpf/common/*.h)
  add_custom_command(
    OUTPUT ${obj}
    # The multiarch directory last: libbpf's usdt.bpf.h includes <linux/errno.h> -> <asm/errno.h>.
    COMMAND ${BPF_CLANG} -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror
            -I${BPF_GEN_DIR} -I${CMAKE_SOURCE_DIR}/bpf
            -idirafter /usr/include/${CMAKE_LIBRARY_ARCHITECTURE} -c ${src} -o ${obj}.tmp
    # Linking through bpftool strips DWARF and keeps BTF, shrinking the embedded object.
    COMMAND ${BPFTOOL} gen object ${obj} ${obj}.tmp
    COMMAND ${CMAKE_COMMAND} -E remove ${obj}.tmp
    DEPENDS ${src} ${bpf_headers} ${BPF_GEN_DIR}/vmlinux.h
    COMMENT "BPF ${name}.bpf.c"
    VERBATIM)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPFTOOL} gen skeleton ${obj} name ${name}_bpf > ${skel}
    DEPENDS ${obj}
    COMMENT "Skeleton ${name}.skel.h"
    VERBATIM)
  set_property(GLOBAL APPEND PROPERTY TUNESCOPE_BPF_SKELETONS ${skel})
endfunction()
