#!/bin/sh
#   build-images.sh - builds every image of fogrid and of its test cluster:
#   fogrid/locator, fogrid/hub, fogrid/miner, fogrid/cli, fogrid/prometheus,
#   and the images the cluster's tasks use, fogrid/busybox and
#   fogrid/echo-service
#
#   usage: deploy/images/build-images.sh [--source-build|--host-build]
#
#   BASE (default fogrid/debian:bookworm, made by build-base-image.sh when
#   missing) is the Debian image the Dockerfiles start from; where a
#   registry answers, BASE=debian:bookworm-slim needs no base image script.
#
#   Two ways to get the programs in:
#   --source-build  deploy/docker/Dockerfile as it is: a build stage installs
#                   the -dev packages with apt and compiles with CMake, the
#                   runtime stage installs the runtime libraries with apt.
#                   Needs a build container that reaches the apt mirror.
#   --host-build    the programs built on this machine (make; from
#                   $FOGRID_BIN_DIR, default build/bin) and the libraries
#                   they link (ldd) are copied in, no apt in any container;
#                   the image stages are those of deploy/docker/Dockerfile.
#                   For machines whose containers cannot reach the mirror.
#                   No fogrid/prometheus then (its package needs apt).
#   Without either, a container of BASE is asked to run `apt-get update`:
#   source build if it can, host build if not, and it says which and why.
#   Logs of each build: build/images/NAME.log.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/../.." && pwd)
base="${BASE:-fogrid/debian:bookworm}"
bin_dir="${FOGRID_BIN_DIR:-$source_dir/build/bin}"
log_dir="$source_dir/build/images"
dockerfile="$source_dir/deploy/docker/Dockerfile"
targets="locator hub miner cli"
export DOCKER_BUILDKIT="${DOCKER_BUILDKIT:-0}"   # the classic builder: no buildx needed

say () { echo "build-images: $*"; }
fail () { echo "build-images: $*" >&2; exit 1; }

mode=auto
for arg in "$@"; do
    case "$arg" in
        --source-build) mode=source ;;
        --host-build) mode=host ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub (/^#/, ""); sub (/^   /, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) fail "unknown argument '$arg' (usage: $0 [--source-build|--host-build])" ;;
    esac
done

command -v docker >/dev/null 2>&1 || fail "no docker command: install docker.io (scripts/deps.sh cluster)"
docker version >/dev/null 2>&1 \
    || fail "no Docker engine answers (start it: dockerd >/var/log/dockerd.log 2>&1 &)"
mkdir -p "$log_dir"
started=$(date +%s)
timings=""
s_elapsed () { echo $(( $(date +%s) - $1 )); }

#   1. The base image
if [ "$base" = "fogrid/debian:bookworm" ]; then
    "$here/build-base-image.sh" || fail "no base image $base (above: why)"
elif ! docker image inspect "$base" >/dev/null 2>&1; then
    say "pulling $base"
    docker pull "$base" >/dev/null || fail "cannot pull $base (no registry? leave BASE unset for fogrid/debian:bookworm)"
fi

#   2. Which build: can a build container reach the apt mirror?
if [ "$mode" = auto ]; then
    say "can a build container reach the apt mirror? (apt-get update in $base)"
    if out=$(timeout 120 docker run --rm "$base" \
             apt-get -q -o Acquire::Retries=1 -o Acquire::http::Timeout=15 update 2>&1) &&
       ! echo "$out" | grep -q '^E: \|^W: Failed to fetch\|^W: Some index files'; then
        mode=source
        say "yes: source build (deploy/docker/Dockerfile: apt and CMake inside the build container)"
    else
        mode=host
        echo "$out" | grep '^E: \|^W: Failed to fetch\|^W: Some index files' | head -n 3 | sed 's/^/build-images:   /'
        say "no: host build (the programs of $bin_dir and their libraries are copied in)"
    fi
fi

#   build NAME DOCKER-BUILD-ARGS...: one image, its log kept
s_build () {
    name=$1; shift
    log="$log_dir/$name.log"
    t0=$(date +%s)
    old=$(docker image inspect --format '{{.Id}}' "fogrid/$name:latest" 2>/dev/null || true)
    say "building fogrid/$name (log: $log)"
    if ! docker build --build-arg "BASE=$base" --tag "fogrid/$name:latest" \
            --label "org.fogrid.build=$mode" "$@" >"$log" 2>&1; then
        tail -n 25 "$log" >&2
        fail "fogrid/$name failed to build (above: the end of $log)"
    fi
    #   The image it replaces, unless a container still uses it
    new=$(docker image inspect --format '{{.Id}}' "fogrid/$name:latest")
    if [ -n "$old" ] && [ "$old" != "$new" ]; then
        docker image rm "$old" >/dev/null 2>&1 || true
    fi
    timings="$timings fogrid/$name:$(s_elapsed "$t0")s"
}

if [ "$mode" = source ]; then
    #   One snapshot of the sources for every image (the tree may change
    #   while they build): the files git knows or would add, else the tree
    #   without its builds
    context=$(mktemp -d "${TMPDIR:-/tmp}/fogrid-images.XXXXXX")
    trap 'rm -rf "$context"' EXIT INT TERM
    if git -C "$source_dir" rev-parse --git-dir >/dev/null 2>&1; then
        (cd "$source_dir" && git ls-files -z --cached --others --exclude-standard \
            | xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' _ \
            | tar --null -T - -cf -) | tar -C "$context" -xf - \
            || fail "cannot copy the sources to $context"
    else
        tar -C "$source_dir" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$context" -xf - \
            || fail "cannot copy the sources to $context"
    fi
    cp "$source_dir/.dockerignore" "$context/" 2>/dev/null || true
    #   The build stage first, tagged fogrid/build: it is the cache of the
    #   -dev packages for the next build, and when the sources change the
    #   stage it replaces goes (instead of staying behind untagged). The
    #   runtime stage is built with the first image and cached for the others
    for target in build $targets; do
        s_build "$target" --file "$context/deploy/docker/Dockerfile" --target "$target" "$context"
    done
    s_build prometheus --file "$source_dir/deploy/docker/prometheus.Dockerfile" \
        "$source_dir/deploy/docker"
else
    for program in fogrid-locator fogrid-hub fogrid-miner fogrid fogrid-echo-service; do
        [ -x "$bin_dir/$program" ] || fail "no $bin_dir/$program: build on the host first (make)"
    done
    context=$(mktemp -d "${TMPDIR:-/tmp}/fogrid-images.XXXXXX")
    trap 'rm -rf "$context"' EXIT INT TERM
    mkdir -p "$context/root/usr/local/bin" "$context/root/usr/local/lib/fogrid" \
             "$context/root/etc/ld.so.conf.d"
    for program in fogrid-locator fogrid-hub fogrid-miner fogrid fogrid-echo-service; do
        strip --strip-debug -o "$context/root/usr/local/bin/$program" "$bin_dir/$program"
    done
    #   The libraries they link but glibc's own (the base has the same)
    for program in fogrid-locator fogrid-hub fogrid-miner fogrid; do
        ldd "$bin_dir/$program" | awk '/=> \// { print $3 }'
    done | sort -u | while read -r lib; do
        case "$(basename "$lib")" in
            libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|ld-linux*) ;;
            *) cp -L "$lib" "$context/root/usr/local/lib/fogrid/" ;;
        esac
    done
    echo /usr/local/lib/fogrid > "$context/root/etc/ld.so.conf.d/fogrid.conf"
    #   The runtime stage, then the image stages of deploy/docker/Dockerfile
    #   (everything after its "-- the images --" line)
    {
        echo "ARG BASE=fogrid/debian:bookworm"
        echo "FROM \${BASE} AS runtime"
        echo "COPY root/ /"
        echo "ARG FOGRID_UID=7700"
        echo 'RUN ldconfig \'
        echo ' && groupadd --system --gid "${FOGRID_UID}" fogrid \'
        echo ' && useradd --system --uid "${FOGRID_UID}" --gid fogrid --home-dir /var/lib/fogrid --shell /usr/sbin/nologin fogrid \'
        echo ' && install -d -o fogrid -g fogrid /var/lib/fogrid /var/lib/fogrid/locator /var/lib/fogrid/hub /var/lib/fogrid/miner /etc/fogrid'
        sed -n '/^#   -- the images --/,$p' "$dockerfile"
    } > "$context/Dockerfile"
    grep -q '^FROM runtime AS cli' "$context/Dockerfile" \
        || fail "cannot find the image stages in $dockerfile"
    for target in $targets; do
        s_build "$target" --file "$context/Dockerfile" --target "$target" "$context"
    done
    say "no fogrid/prometheus in a host build (its package needs apt in a container): the cluster runs without it"
fi

#   3. The images the cluster's tasks and services use
"$here/build-test-image.sh" || fail "cannot build fogrid/busybox"
if [ -x "$bin_dir/fogrid-echo-service" ]; then
    echo_binary="$bin_dir/fogrid-echo-service"
else
    #   The one compiled in the image build, when nothing is built here
    echo_dir=$(mktemp -d "${TMPDIR:-/tmp}/fogrid-echo-bin.XXXXXX")
    docker run --rm --user 0 --entrypoint cat fogrid/cli:latest /usr/local/bin/fogrid-echo-service \
        > "$echo_dir/fogrid-echo-service" || fail "cannot take fogrid-echo-service out of fogrid/cli"
    chmod 755 "$echo_dir/fogrid-echo-service"
    echo_binary="$echo_dir/fogrid-echo-service"
fi
"$here/build-echo-image.sh" "$echo_binary" || fail "cannot build fogrid/echo-service"
[ -n "${echo_dir:-}" ] && rm -rf "$echo_dir"

say "done in $(s_elapsed "$started") s ($mode build):$timings"
docker image ls --format '  {{.Repository}}:{{.Tag}}  {{.Size}}' | grep '^  fogrid/' | sort
