#!/bin/sh
#   deps.sh - installs the Debian packages fogrid needs that are missing
#
#   usage: scripts/deps.sh [build|test|bench|cluster|deb|all]
#   Does nothing (and needs no network) when everything is installed.
set -eu

build="cmake make gcc pkg-config libzmq3-dev libczmq-dev libprotobuf-c-dev
       protobuf-c-compiler libcurl4-openssl-dev libsqlite3-dev libsodium-dev
       libmicrohttpd-dev libjansson-dev libcunit1-dev"
test="procps psmisc curl dnsutils clang prometheus chromium docker.io busybox-static iproute2 iptables
      python3-zmq python3-protobuf python3-nacl protobuf-compiler"

bench="gearman-job-server libgearman-dev"
#   the docker-compose test cluster (make cluster-up, cluster-test): the
#   base image is made by debootstrap, the cluster run by docker-compose
cluster="docker.io debootstrap docker-compose curl busybox-static"

#   sd-daemon: the daemons' Type=notify readiness, status and watchdog
build="$build libsystemd-dev"

#   the Debian packages (make deb: dpkg-buildpackage, which also wants
#   build-essential; debhelper, lintian) and their check in a container
#   of the debootstrap base image (make deb-test)
deb="$build build-essential dpkg-dev debhelper lintian docker.io debootstrap"

case "${1:-build}" in
    build) wanted="$build" ;;
    bench) wanted="$build $bench" ;;
    test)  wanted="$build $test" ;;
    cluster) wanted="$cluster" ;;
    deb)   wanted="$deb" ;;
    all)   wanted="$build $test $cluster $deb" ;;
    *)     echo "usage: $0 [build|test|bench|cluster|deb|all]" >&2; exit 2 ;;
esac

missing=""
for package in $wanted; do
    status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing="$missing $package" ;;
    esac
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing"
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=sudo
    else
        echo "deps: missing packages:$missing; run as root or install them" >&2
        exit 1
    fi
else
    SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
# Update the package lists only when they are absent or older than a day
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -n 1)" ]; then
    $SUDO apt-get update -q
fi
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
