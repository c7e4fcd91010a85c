#!/bin/sh
#   build-echo-image.sh - builds fogrid/echo-service:latest, the image of
#   fogrid's example service (examples/echo-service), for run-service
#
#   usage: deploy/images/build-echo-image.sh [--force] [BINARY]
#
#   BINARY is the built fogrid-echo-service (default: $FOGRID_BIN_DIR, else
#   build/bin, under the source tree). The image is the busybox test image
#   (built first when missing) plus the binary: a static binary alone, a
#   dynamic one with the libraries and the loader `ldd` names. Its labels
#   tell a miner the service's functions, protocol version, port and that
#   it speaks CurveZMQ with the key the miner gives it. Does nothing when
#   the image already holds this very binary (--force rebuilds).
set -eu

image="fogrid/echo-service:latest"
base="fogrid/busybox:latest"
here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/../.." && pwd)

say () { echo "build-echo-image: $*"; }
fail () { echo "build-echo-image: $*" >&2; exit 1; }

force=0
binary=""
for arg in "$@"; do
    case "$arg" in
        --force) force=1 ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^#   \{0,1\}//'; exit 0 ;;
        -*) fail "unknown option '$arg' (usage: $0 [--force] [BINARY])" ;;
        *) binary="$arg" ;;
    esac
done
if [ -z "$binary" ]; then
    binary="${FOGRID_BIN_DIR:-$source_dir/build/bin}/fogrid-echo-service"
fi
[ -x "$binary" ] || fail "no $binary: build it first (cmake --build build --target fogrid-echo-service)"

command -v docker >/dev/null 2>&1 || fail "no docker command: install docker.io (scripts/deps.sh test)"
docker version >/dev/null 2>&1 \
    || fail "no Docker engine answers (start it: dockerd >/var/log/dockerd.log 2>&1 &)"

#   The image is labelled with a hash of the binary and of this script:
#   the same binary and the same recipe, no rebuild
sum=$( (sha256sum < "$binary"; sha256sum < "$0") | sha256sum | cut -d' ' -f1)
if [ "$force" -eq 0 ]; then
    have=$(docker image inspect --format '{{ index .Config.Labels "org.fogrid.service.build" }}' \
           "$image" 2>/dev/null || true)
    if [ "$have" = "$sum" ]; then
        say "$image holds this $binary; nothing to do"
        exit 0
    fi
fi

if ! docker image inspect "$base" >/dev/null 2>&1; then
    "$here/build-test-image.sh" || fail "cannot build $base"
fi

context=$(mktemp -d "${TMPDIR:-/tmp}/fogrid-echo.XXXXXX")
trap 'rm -rf "$context"' EXIT INT TERM
mkdir -p "$context/root/bin"
cp "$binary" "$context/root/bin/fogrid-echo-service"
strip "$context/root/bin/fogrid-echo-service" 2>/dev/null || true

#   A dynamic binary brings its libraries and loader, at the paths ldd names
if ldd "$binary" >/dev/null 2>&1; then
    say "$binary is dynamic: copying the libraries ldd names"
    ldd "$binary" | awk '/=> \// { print $3 } /^[ \t]*\// { print $1 }' | sort -u |
    while read -r lib; do
        mkdir -p "$context/root$(dirname "$lib")"
        cp -L "$lib" "$context/root$lib"
    done
else
    say "$binary is static"
fi

cat > "$context/Dockerfile" <<DOCKERFILE
FROM $base
COPY root/ /
USER 65534:65534
EXPOSE 5555
LABEL org.fogrid.service.name="echo" \\
      org.fogrid.service.functions="echo,sha256,primes" \\
      org.fogrid.service.protocol="1" \\
      org.fogrid.service.description="fogrid CallRequest -> CallReply over ZeroMQ (proto/fogrid.proto)" \\
      org.fogrid.service.function.echo="TEXT... -> the text, its words joined by spaces" \\
      org.fogrid.service.function.sha256="TEXT... -> SHA-256 of the text, hex" \\
      org.fogrid.service.function.primes="N (0..100000) -> the primes up to N, on one line" \\
      org.fogrid.service.port="5555" \\
      org.fogrid.service.curve="1" \\
      org.fogrid.service.build="$sum"
ENTRYPOINT ["/bin/fogrid-echo-service"]
CMD ["--bind", "tcp://*:5555"]
DOCKERFILE

old=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
say "building $image from $base"
#   The classic builder: no buildx is needed (it warns that it is deprecated)
if ! out=$(DOCKER_BUILDKIT=0 docker build --quiet --tag "$image" "$context" 2>&1); then
    echo "$out" >&2
    fail "docker build failed"
fi
#   The image it replaces, unless a container still uses it
new=$(docker image inspect --format '{{.Id}}' "$image")
if [ -n "$old" ] && [ "$old" != "$new" ]; then
    docker image rm "$old" >/dev/null 2>&1 || true
fi
say "built $image"
