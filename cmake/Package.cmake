# `cpack -G DEB` (or `cmake --build BUILD --target package`) builds tunescope_<version>_<arch>.deb
# from the install layout of cmake/Install.cmake, prefix /usr. Its Depends are Debian's package
# names, computed by dpkg-shlibdeps (package dpkg-dev) from the libraries the binaries link, plus
# the libbpf tunescope is built for: Debian 12 has it in bookworm-backports (docs/install.md).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME tunescope)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "tunescope developers <tunescope@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "kernel network-path metrics (BPF) and ranked network tuning advice")
set(CPACK_PACKAGE_DESCRIPTION
    "tunescope loads CO-RE BPF probes (softirq, hardirq, run queue, netfilter, qdisc,
cross-CPU reads, request latency), exports what they see as Prometheus metrics and ranks
the documented network tunings by the payoff these measurements predict on this host.
Includes refserver, a tuned reference HTTP API server, the systemd unit, Grafana
dashboards and Prometheus alert rules.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES TRUE)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE https://github.com/tunescope/tunescope)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# dpkg-shlibdeps only knows which symbols are used; netfilter links and tcx need libbpf 1.4.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libbpf1 (>= 1:1.4)")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "prometheus")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/cmake/deb/postinst ${CMAKE_SOURCE_DIR}/cmake/deb/prerm
    ${CMAKE_SOURCE_DIR}/cmake/deb/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
# Only the layout above: no test binaries, no source package.
set(CPACK_SOURCE_GENERATOR "")
include(CPack)
