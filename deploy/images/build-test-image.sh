#!/bin/sh
#   build-test-image.sh - builds fogrid/busybox:latest, the minimal image
#   the docker runtime's tests (and a first look at the runtime) use
#
#   usage: deploy/images/build-test-image.sh [--force]
#
#   No registry is needed: the image is a `docker import` of a root file
#   system holding Debian's static busybox and a symlink for each applet
#   the tests call. Does nothing when the image exists (--force rebuilds).
#   Needs a running Docker engine and the busybox-static package (installed
#   here when missing and we are root).
set -eu

image="fogrid/busybox:latest"
busybox=/bin/busybox
applets="sh ash echo cat sleep head tail dd sha256sum md5sum true false ls
         env id pwd printf test [ wc tr seq yes kill ps grep sed awk mkdir rm
         touch date uname hostname cut sort uniq tee xargs expr stat timeout"

say () { echo "build-test-image: $*"; }
fail () { echo "build-test-image: $*" >&2; exit 1; }

force=0
case "${1:-}" in
    --force) force=1 ;;
    "") ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^#   \{0,1\}//'; exit 0 ;;
    *) fail "unknown argument '$1' (usage: $0 [--force])" ;;
esac

command -v docker >/dev/null 2>&1 || fail "no docker command: install docker.io (scripts/deps.sh test)"
docker version >/dev/null 2>&1 \
    || fail "no Docker engine answers (start it: dockerd >/var/log/dockerd.log 2>&1 &)"

if [ "$force" -eq 0 ] && docker image inspect "$image" >/dev/null 2>&1; then
    say "$image is present; nothing to do"
    exit 0
fi

#   A static busybox: it must run without any library in the image
s_static_busybox () {
    [ -x "$busybox" ] && "$busybox" --list 2>/dev/null | grep -qx sh \
        && ! ldd "$busybox" >/dev/null 2>&1
}
if ! s_static_busybox; then
    if [ "$(id -u)" -eq 0 ]; then
        say "installing busybox-static"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            busybox-static >/dev/null || fail "cannot install busybox-static"
    else
        fail "$busybox is missing or not static: install busybox-static"
    fi
fi
s_static_busybox || fail "$busybox is still not a static busybox"

rootfs=$(mktemp -d "${TMPDIR:-/tmp}/fogrid-busybox.XXXXXX")
trap 'rm -rf "$rootfs"' EXIT INT TERM
mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/etc" "$rootfs/proc" "$rootfs/sys" \
         "$rootfs/dev" "$rootfs/work"
chmod 1777 "$rootfs/tmp"
cp "$busybox" "$rootfs/bin/busybox"
for applet in $applets; do
    ln -s busybox "$rootfs/bin/$applet"
done
echo "root:x:0:0:root:/root:/bin/sh" > "$rootfs/etc/passwd"
echo "nobody:x:65534:65534:nobody:/:/bin/false" >> "$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$rootfs/etc/group"

say "importing $image ($("$busybox" 2>&1 | head -n 1))"
tar -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/bin' \
    --change 'WORKDIR /work' \
    --change 'CMD ["/bin/sh"]' \
    --change 'LABEL org.fogrid.image=test' \
    - "$image" >/dev/null || fail "docker import failed"
say "built $image"
