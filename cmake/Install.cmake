# `cmake --install` layout (prefix /usr in the .deb, /usr/local by default):
#   sbin/tunescope, bin/refserver
#   lib/systemd/system/tunescope.service    ExecStart= names <prefix>/sbin/tunescope
#   share/tunescope/dashboards/*.json        Grafana dashboards
#   share/tunescope/grafana/provisioning/    Grafana datasource and dashboard provisioning
#   share/tunescope/prometheus/              scrape config, alert rules, tuning commands
#   share/tunescope/kubernetes/              DaemonSet, ServiceMonitor, scrape job
#   share/tunescope/web-config.example.yml   basic auth (--web.config.file)
#   share/doc/tunescope/                     README.md and docs/
set(TUNESCOPE_DATADIR ${CMAKE_INSTALL_DATADIR}/tunescope)

# The committed unit names /usr/sbin/tunescope; the installed one names the binary where this
# install put it. Done at install time so that `cmake --install --prefix DIR` is honoured too.
install(CODE "
  set(unit_src \"${CMAKE_SOURCE_DIR}/deploy/systemd/tunescope.service\")
  set(sbindir \"${CMAKE_INSTALL_SBINDIR}\")
  set(unitdir \"lib/systemd/system\")
")
install(SCRIPT ${CMAKE_SOURCE_DIR}/cmake/InstallUnit.cmake)

install(FILES dashboards/tunescope-overview.json dashboards/tunescope-probes.json
        DESTINATION ${TUNESCOPE_DATADIR}/dashboards)
install(DIRECTORY deploy/grafana/provisioning DESTINATION ${TUNESCOPE_DATADIR}/grafana)
install(FILES deploy/prometheus/prometheus.yml deploy/prometheus/tunescope-rules.yml
              deploy/prometheus/tunescope-tuning-commands.yml
        DESTINATION ${TUNESCOPE_DATADIR}/prometheus)
install(FILES deploy/kubernetes/daemonset.yaml deploy/kubernetes/servicemonitor.yaml
              deploy/kubernetes/prometheus-scrape-job.yaml
        DESTINATION ${TUNESCOPE_DATADIR}/kubernetes)
install(FILES deploy/web-config/web-config.example.yml DESTINATION ${TUNESCOPE_DATADIR})
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs FILES_MATCHING PATTERN "*.md")
