#!/bin/sh
#   test-packages.sh - installs fogrid's packages in a clean Debian 12
#   container and runs a task through the installed grid
#
#   usage: deploy/deb/test-packages.sh [DEB_DIR]       (make deb-test)
#
#   DEB_DIR (default build-deb) holds the four packages `make deb` builds.
#   The container is fogrid/debian:bookworm, the debootstrap base image of
#   deploy/images/build-base-image.sh (made when missing; no registry),
#   with DEB_DIR and deploy/deb/check-installed.sh mounted read-only. It
#   installs the packages with apt-get (its apt reaches the mirror the
#   base image came from), checks what they installed, starts a locator,
#   a hub and a miner as the fogrid user with the installed configs, runs
#   a task with the installed `fogrid`, stops them, and purges. The
#   container goes whatever happens. Exits non-zero on failure, with the
#   daemons' logs.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/../.." && pwd)
deb_dir="${1:-$source_dir/build-deb}"
image=fogrid/debian:bookworm

say () { echo "test-packages: $*"; }
fail () { echo "test-packages: $*" >&2; exit 1; }

ls "$deb_dir"/fogrid-locator_*.deb "$deb_dir"/fogrid-hub_*.deb "$deb_dir"/fogrid-miner_*.deb \
   "$deb_dir"/fogrid_*.deb >/dev/null 2>&1 || fail "no packages in $deb_dir: make deb first"
deb_dir=$(cd "$deb_dir" && pwd)
command -v docker >/dev/null 2>&1 || fail "no docker command: install docker.io (scripts/deps.sh deb)"
docker version >/dev/null 2>&1 \
    || fail "no Docker engine answers (start it: dockerd >/var/log/dockerd.log 2>&1 &)"
"$source_dir/deploy/images/build-base-image.sh" || fail "no base image $image (above: why)"

started=$(date +%s)
name="fogrid-deb-test-$$"
trap 'docker rm -f "$name" >/dev/null 2>&1 || true' EXIT INT TERM
say "installing $(cd "$deb_dir" && echo fogrid*.deb) in a container of $image"
rc=0
timeout 600 docker run --rm --name "$name" \
    -v "$deb_dir:/debs:ro" -v "$here/check-installed.sh:/check-installed.sh:ro" \
    "$image" sh /check-installed.sh /debs || rc=$?
if [ "$rc" -ne 0 ]; then
    fail "the installed packages failed their check (exit $rc, above)"
fi
say "passed in $(( $(date +%s) - started )) s"
