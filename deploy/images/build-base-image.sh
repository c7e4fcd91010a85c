#!/bin/sh
#   build-base-image.sh - builds fogrid/debian:bookworm, the Debian base the
#   Dockerfiles in deploy/docker/ start from, without any image registry
#
#   usage: deploy/images/build-base-image.sh [--force] [--refresh]
#
#   Where a registry answers, the Dockerfiles take debian:bookworm-slim
#   (--build-arg BASE=debian:bookworm-slim) and this script is not needed.
#   Here the image is made the way Debian's own images are: `debootstrap
#   --variant=minbase bookworm` from the apt mirror this machine already
#   uses (/etc/apt/sources.list and sources.list.d; FOGRID_DEBIAN_MIRROR
#   overrides it), trimmed like bookworm-slim (no docs, man pages or
#   locales; apt cleans its archives; services do not start on install),
#   then `docker import`. The root file system is kept as a tarball in
#   $FOGRID_CACHE_DIR (default /var/cache/fogrid), so a rerun only imports.
#   Does nothing when the image exists; --force imports again, --refresh
#   also runs debootstrap again. Needs root, a running Docker engine, and
#   debootstrap (installed here when missing: scripts/deps.sh cluster).
set -eu

suite=bookworm
image="fogrid/debian:$suite"
variant=minbase
cache_dir="${FOGRID_CACHE_DIR:-/var/cache/fogrid}"
tarball="$cache_dir/debian-$suite-$variant.tar.gz"
here=$(cd "$(dirname "$0")" && pwd)

say () { echo "build-base-image: $*"; }
fail () { echo "build-base-image: $*" >&2; exit 1; }

force=0
refresh=0
for arg in "$@"; do
    case "$arg" in
        --force) force=1 ;;
        --refresh) force=1; refresh=1 ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub (/^#/, ""); sub (/^   /, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) fail "unknown argument '$arg' (usage: $0 [--force] [--refresh])" ;;
    esac
done

command -v docker >/dev/null 2>&1 || fail "no docker command: install docker.io (scripts/deps.sh test)"
docker version >/dev/null 2>&1 \
    || fail "no Docker engine answers (start it: dockerd >/var/log/dockerd.log 2>&1 &)"

if [ "$force" -eq 0 ] && docker image inspect "$image" >/dev/null 2>&1; then
    say "$image is present; nothing to do"
    exit 0
fi

#   The apt sources of this machine, as "TYPE URI SUITE" lines, from the
#   one-line format (sources.list, *.list) and the deb822 one (*.sources)
s_host_sources () {
    for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -r "$file" ] || continue
        awk '$1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                           print "deb", $i, $(i + 1) }' "$file"
    done
    for file in /etc/apt/sources.list.d/*.sources; do
        [ -r "$file" ] || continue
        awk 'function flush () {
                 if (enabled != "no" && types ~ /(^| )deb( |$)/)
                     for (u = 1; u <= nuris; u++)
                         for (s = 1; s <= nsuites; s++) print "deb", uris [u], suites [s]
                 types = ""; enabled = ""; nuris = 0; nsuites = 0 }
             /^[ \t]*$/ { flush (); next }
             /^#/ { next }
             tolower ($1) == "types:" { types = $0; sub (/^[^:]*:[ \t]*/, "", types) }
             tolower ($1) == "enabled:" { enabled = tolower ($2) }
             tolower ($1) == "uris:" { for (i = 2; i <= NF; i++) uris [++nuris] = $i }
             tolower ($1) == "suites:" { for (i = 2; i <= NF; i++) suites [++nsuites] = $i }
             END { flush () }' "$file"
    done
}
#   The first URI that serves SUITE (exactly)
s_uri_for () {
    s_host_sources | awk -v suite="$1" '$3 == suite { print $2; exit }' | sed 's,/*$,,'
}

mirror="${FOGRID_DEBIAN_MIRROR:-$(s_uri_for "$suite")}"
mirror="${mirror:-http://deb.debian.org/debian}"
security="${FOGRID_DEBIAN_SECURITY:-$(s_uri_for "$suite-security")}"
security="${security:-http://deb.debian.org/debian-security}"

#   Whether the mirror answers, before debootstrap spends a minute saying so
s_mirror_answers () {
    url="$mirror/dists/$suite/Release"
    if command -v curl >/dev/null 2>&1; then
        curl -fsS --max-time 20 -o /dev/null "$url" 2>&1
    else
        wget -q -T 20 -t 1 -O /dev/null "$url" 2>&1
    fi
}

if [ "$refresh" -eq 1 ] || [ ! -s "$tarball" ]; then
    [ "$(id -u)" -eq 0 ] || fail "debootstrap needs root (run as root, or with sudo)"
    if ! command -v debootstrap >/dev/null 2>&1; then
        say "installing debootstrap"
        "$here/../../scripts/deps.sh" cluster || fail "cannot install debootstrap"
    fi
    say "checking that the mirror $mirror serves $suite"
    if ! why=$(s_mirror_answers); then
        echo "build-base-image: cannot reach the Debian mirror $mirror, which debootstrap needs" >&2
        echo "build-base-image:   $mirror/dists/$suite/Release: ${why:-no answer}" >&2
        echo "build-base-image:   set FOGRID_DEBIAN_MIRROR=URL to a mirror that answers; where a registry" >&2
        fail "  answers, BASE=debian:bookworm-slim deploy/images/build-images.sh needs no base image"
    fi
    mkdir -p "$cache_dir"
    rootfs=$(mktemp -d "${TMPDIR:-/tmp}/fogrid-debootstrap.XXXXXX")
    trap 'rm -rf "$rootfs"' EXIT INT TERM
    log="$cache_dir/debootstrap.log"
    say "debootstrap --variant=$variant $suite from $mirror (a minute or two; log: $log)"
    started=$(date +%s)
    if ! debootstrap --variant="$variant" --arch="$(dpkg --print-architecture)" \
            "$suite" "$rootfs" "$mirror" >"$log" 2>&1; then
        tail -n 15 "$log" >&2
        [ -r "$rootfs/debootstrap/debootstrap.log" ] && tail -n 15 "$rootfs/debootstrap/debootstrap.log" >&2
        echo "build-base-image: debootstrap failed (above: the end of $log)" >&2
        fail "  a mirror that cannot be reached shows as 'Failed getting release file' or 'Couldn't download'"
    fi
    say "debootstrap done in $(( $(date +%s) - started )) s; trimming it like bookworm-slim"

    #   Like Debian's official images: the same sources as the host (main,
    #   updates, security), services never started by package scripts,
    #   no docs, man pages or translations, apt keeps no archives
    rm -f "$rootfs/etc/apt/sources.list"
    cat > "$rootfs/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
    printf '#!/bin/sh\nexit 101\n' > "$rootfs/usr/sbin/policy-rc.d"
    chmod 755 "$rootfs/usr/sbin/policy-rc.d"
    cat > "$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
DPKG
    cat > "$rootfs/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Acquire::Languages "none";
APT
    find "$rootfs/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete 2>/dev/null || true
    find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
    rm -rf "$rootfs/usr/share/man/"* "$rootfs/usr/share/info/"* "$rootfs/usr/share/locale/"* \
           "$rootfs/var/lib/apt/lists/"* "$rootfs/var/cache/apt/"*.bin \
           "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/var/log/"*.log \
           "$rootfs/debootstrap"
    #   The engine provides these at run time
    : > "$rootfs/etc/resolv.conf"
    : > "$rootfs/etc/hostname"
    : > "$rootfs/etc/machine-id"

    say "keeping the root file system in $tarball"
    tar --numeric-owner -C "$rootfs" -cf - . | gzip -1 > "$tarball.new" \
        || fail "cannot write $tarball"
    mv "$tarball.new" "$tarball"
    rm -rf "$rootfs"
    trap - EXIT INT TERM
else
    say "using the root file system kept in $tarball (--refresh makes it again)"
fi

old=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
say "importing $image"
docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    --change 'LABEL org.fogrid.image=base' \
    --change "LABEL org.fogrid.base.mirror=$mirror" \
    --change "LABEL org.fogrid.base.made=$(date -u -r "$tarball" +%Y-%m-%dT%H:%M:%SZ)" \
    "$tarball" "$image" >/dev/null || fail "docker import of $tarball failed"
new=$(docker image inspect --format '{{.Id}}' "$image")
if [ -n "$old" ] && [ "$old" != "$new" ]; then
    docker image rm "$old" >/dev/null 2>&1 || true
fi
say "built $image ($(docker image inspect --format '{{.Size}}' "$image" | awk '{ printf "%.0f MB", $1 / 1e6 }'))"
