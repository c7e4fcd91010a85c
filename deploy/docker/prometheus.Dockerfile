#   prometheus.Dockerfile - fogrid/prometheus, Debian's Prometheus for the
#   test cluster (deploy/docker-compose.yml), on the same base as fogrid's
#   images: BASE=fogrid/debian:bookworm here, debian:bookworm-slim where a
#   registry answers. The configuration comes at run time (-v, --config.file).
ARG BASE=fogrid/debian:bookworm
FROM ${BASE}
#   Without moment-timezone's raw data (212 MB; the UI loads its bundled
#   .min.js) and promtool
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus \
 && rm -rf /var/lib/apt/lists/* \
 && rm -rf /usr/share/javascript/moment-timezone/data /usr/bin/promtool \
 && install -d -o prometheus -g prometheus /var/lib/prometheus/metrics2
USER prometheus
VOLUME /var/lib/prometheus/metrics2
EXPOSE 9090
ENTRYPOINT ["prometheus", "--storage.tsdb.path=/var/lib/prometheus/metrics2", \
            "--web.console.libraries=/usr/share/prometheus/console_libraries", \
            "--web.console.templates=/usr/share/prometheus/consoles"]
CMD ["--config.file=/etc/prometheus/prometheus.yml"]
LABEL org.fogrid.image=prometheus
