# Compiles bpf/<probe>.bpf.c CO-RE objects and turns each into a bpftool skeleton header that
# embeds the object, so the daemon is a single binary. The kernel types come from the committed
# bpf/vmlinux/<arch>/vmlinux.h (scripts/vmlinux/update.sh regenerates it from Debian's kernel
# packages): the build reads no kernel BTF, so a build server, container or chroot without
# /sys/kernel/btf builds it too; CO-RE relocates field offsets on the kernel it runs on.
find_program(BPF_CLANG NAMES clang clang-16 clang-14 REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin REQUIRED)

# __TARGET_ARCH_<arch> (libbpf's bpf_tracing.h) and the header directory share one name.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(default_bpf_arch x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
  set(default_bpf_arch arm64)
else()
  set(default_bpf_arch ${CMAKE_SYSTEM_PROCESSOR})
endif()
set(TUNESCOPE_BPF_ARCH ${default_bpf_arch} CACHE STRING
    "BPF target architecture: bpf/vmlinux/<arch>/vmlinux.h and __TARGET_ARCH_<arch>")
set(TUNESCOPE_VMLINUX_DIR ${CMAKE_SOURCE_DIR}/bpf/vmlinux/${TUNESCOPE_BPF_ARCH})
if(NOT EXISTS ${TUNESCOPE_VMLINUX_DIR}/vmlinux.h)
  message(FATAL_ERROR "no bpf/vmlinux/${TUNESCOPE_BPF_ARCH}/vmlinux.h for "
          "${CMAKE_SYSTEM_PROCESSOR} (x86 and arm64 are committed; scripts/vmlinux/update.sh)")
endif()

set(BPF_GEN_DIR ${CMAKE_BINARY_DIR}/bpf)
file(MAKE_DIRECTORY ${BPF_GEN_DIR})

# Flags shared with the arm64 compile test (tests/build): the multiarch directory last, because
# libbpf's usdt.bpf.h includes <linux/errno.h> -> <asm/errno.h> (asm-generic's on every arch).
set(TUNESCOPE_BPF_CFLAGS -g -O2 -target bpf -Wall)
if(TUNESCOPE_WERROR)
  list(APPEND TUNESCOPE_BPF_CFLAGS -Werror)
endif()
set(TUNESCOPE_BPF_INCLUDES -I${CMAKE_SOURCE_DIR}/bpf
    -idirafter /usr/include/${CMAKE_LIBRARY_ARCHITECTURE})

# tunescope_bpf_skeleton(<name>): bpf/<name>.bpf.c -> <name>.bpf.o -> <name>.skel.h
function(tunescope_bpf_skeleton name)
  set(src ${CMAKE_SOURCE_DIR}/bpf/${name}.bpf.c)
  set(obj ${BPF_GEN_DIR}/${name}.bpf.o)
  set(skel ${BPF_GEN_DIR}/${name}.skel.h)
  file(GLOB bpf_headers ${CMAKE_SOURCE_DIR}/bpf/*.bpf.h ${CMAKE_SOURCE_DIR}/bpf/common/*.h)
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${BPF_CLANG} ${TUNESCOPE_BPF_CFLAGS} -D__TARGET_ARCH_${TUNESCOPE_BPF_ARCH}
            -I${TUNESCOPE_VMLINUX_DIR} ${TUNESCOPE_BPF_INCLUDES} -c ${src} -o ${obj}.tmp
    # Linking through bpftool strips DWARF and keeps BTF, shrinking the embedded object.
    COMMAND ${BPFTOOL} gen object ${obj} ${obj}.tmp
    COMMAND ${CMAKE_COMMAND} -E remove ${obj}.tmp
    DEPENDS ${src} ${bpf_headers} ${TUNESCOPE_VMLINUX_DIR}/vmlinux.h
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
