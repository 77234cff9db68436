#!/usr/bin/env bash
# Build Jiesu's container images with podman, where no container registry is reachable:
#   localhost/jiesu-base:bookworm      Debian 12 made by debootstrap from Debian's packages (Python 3.11), cached
#   localhost/jiesu-<name>:<tag>       intake dispatch gateway audit console refdept: wheels built on the
#                                      host from uv.lock, installed offline (pip --no-index) in the image
#   localhost/jiesu-kafka:3.9.1        the broker from the same Maven Central jars the tests use (deploy/kafka.sh)
#   localhost/jiesu-postgres:15        Debian's PostgreSQL 15
#
# Usage: deploy/images.sh [all|base|wheels|services|kafka|postgres]   (default: all; idempotent)
# Prints each image's name on stdout. Installs podman, runc and debootstrap from Debian's packages when missing,
# and CNI's dnsname plugin: with podman 4.3's CNI networks it is what resolves compose's service names.
#
# Environment:
#   JIESU_IMAGE_TAG       default: the git commit (short) of this checkout, else "dev"
#   JIESU_CONTAINERS_DIR  default <repo>/.jiesu/containers: the base image's tarball cache, wheels, contexts
#   JIESU_PODMAN          default "podman"; CONTAINERS_CONF defaults to deploy/images/containers.conf (runc, no ulimits)
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
log() { printf 'images.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(dirname "$SCRIPT_DIR")"
WORK="${JIESU_CONTAINERS_DIR:-$REPO_ROOT/.jiesu/containers}"
TAG="${JIESU_IMAGE_TAG:-$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo dev)}"
PODMAN="${JIESU_PODMAN:-podman}"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$SCRIPT_DIR/images/containers.conf}"
BASE=localhost/jiesu-base:bookworm
KAFKA_VERSION=3.9.1
# image name -> the Python distribution to install and the module to run
declare -A DIST=([intake]=jiesu-intake [dispatch]=jiesu-dispatch [gateway]=jiesu-gateway [audit]=jiesu-audit
                 [console]=jiesu-console [refdept]=jiesu-reference-department)
declare -A MODULE=([intake]=jiesu_intake [dispatch]=jiesu_dispatch [gateway]=jiesu_gateway [audit]=jiesu_audit
                   [console]=jiesu_console [refdept]=jiesu_reference_department)
declare -A PORT=([intake]=8001 [dispatch]=8002 [gateway]=8003 [audit]=8004 [console]=8005 [refdept]=8010)

ensure_tools() {
    local missing=()
    command -v podman >/dev/null || missing+=(podman)
    command -v runc >/dev/null || missing+=(runc)
    command -v debootstrap >/dev/null || missing+=(debootstrap)
    [[ -x /usr/lib/cni/dnsname ]] || missing+=(golang-github-containernetworking-plugin-dnsname)
    if (( ${#missing[@]} )); then
        log "installing ${missing[*]} from Debian's packages …"
        local sudo=""; [[ "$(id -u)" -eq 0 ]] || sudo="sudo"
        $sudo apt-get update -qq >&2
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            podman runc debootstrap uidmap golang-github-containernetworking-plugin-dnsname >&2
    fi
}

has_image() { $PODMAN image exists "$1"; }

unmount_below() { # debootstrap mounts /proc and /sys in the new root; never delete through a mount
    local m
    for m in $(findmnt -rn -o TARGET | grep -F "$1/" | sort -r); do umount -l "$m" || true; done
}

uv_bin() {
    if command -v uv >/dev/null 2>&1; then echo uv; return; fi
    [[ -x "$REPO_ROOT/.jiesu/tools/bin/uv" ]] || die "uv is missing: run ./jiesu test (or ./jiesu demo) once"
    echo "$REPO_ROOT/.jiesu/tools/bin/uv"
}

# --- the base image: debootstrap once, the tarball kept in the cache -----------------------------------
build_base() {
    if has_image "$BASE"; then log "$BASE present"; echo "$BASE"; return; fi
    local tarball="$WORK/base-bookworm.tar"
    if [[ ! -s "$tarball" ]]; then
        local rootfs="$WORK/rootfs"
        unmount_below "$rootfs"; rm -rf "$rootfs"; mkdir -p "$rootfs"
        log "debootstrap bookworm (minbase + Python 3.11) into $rootfs (about a minute, once) …"
        debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
            bookworm "$rootfs" http://deb.debian.org/debian >"$WORK/debootstrap.log" 2>&1 ||
            { tail -n 30 "$WORK/debootstrap.log" >&2; die "debootstrap failed; see $WORK/debootstrap.log"; }
        rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
        unmount_below "$rootfs"
        tar -C "$rootfs" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
        rm -rf "$rootfs"
    fi
    $PODMAN import --change 'CMD ["/bin/bash"]' "$tarball" "$BASE" >/dev/null
    log "$BASE imported from $tarball"
    echo "$BASE"
}

pip_python() { # a Python with pip: ./jiesu's tools venv, else one of our own
    if [[ -x "$REPO_ROOT/.jiesu/tools/bin/python" ]]; then echo "$REPO_ROOT/.jiesu/tools/bin/python"; return; fi
    [[ -x "$WORK/pip/bin/python" ]] || python3 -m venv "$WORK/pip" >&2
    echo "$WORK/pip/bin/python"
}

# --- wheels: third-party ones from the lock (cached per uv.lock), ours built fresh ------------------------
build_wheels() {
    local uv lock_sum third
    uv="$(uv_bin)"
    lock_sum="$(sha256sum "$REPO_ROOT/uv.lock" | cut -c1-16)"
    third="$WORK/wheels-$lock_sum"
    if [[ ! -f "$third/.complete" ]]; then
        rm -rf "$third"; mkdir -p "$third"
        log "building the locked third-party wheels into $third (once per uv.lock) …"
        (cd "$REPO_ROOT" && UV_SYSTEM_CERTS=true "$uv" export --frozen --no-dev --all-packages --no-emit-workspace \
            --no-hashes --format requirements-txt -o "$third/requirements.txt" --quiet)
        "$(pip_python)" -m pip wheel --quiet --disable-pip-version-check --no-deps \
            -r "$third/requirements.txt" -w "$third" >&2
        touch "$third/.complete"
    fi
    local context="$WORK/context-python"
    rm -rf "$context"; mkdir -p "$context/wheels" "$context/bin"
    cp -l "$third"/*.whl "$context/wheels/" 2>/dev/null || cp "$third"/*.whl "$context/wheels/"
    (cd "$REPO_ROOT" && UV_SYSTEM_CERTS=true "$uv" build --all-packages --wheel --quiet -o "$context/wheels" >&2)
    cp "$SCRIPT_DIR/images/bin/jiesu-health" "$context/bin/"
    log "wheelhouse: $(find "$context/wheels" -name '*.whl' | wc -l) wheels"
}

build() { # $1 image, $2 Containerfile, $3 context, then --build-arg …
    local image="$1" file="$2" context="$3"; shift 3
    $PODMAN build --quiet --network=host --format docker --layers -t "$image" -f "$file" "$@" "$context" >/dev/null
    echo "$image"
}

build_services() {
    build_wheels
    local python="localhost/jiesu-python:$TAG" name
    build "$python" "$SCRIPT_DIR/images/python.Containerfile" "$WORK/context-python" \
        --build-arg "BASE=$BASE" --build-arg "DISTS=${DIST[*]}"
    for name in intake dispatch gateway audit console refdept; do
        build "localhost/jiesu-$name:$TAG" "$SCRIPT_DIR/images/service.Containerfile" "$WORK/context-python" \
            --build-arg "PYTHON_IMAGE=$python" --build-arg "MODULE=${MODULE[$name]}" --build-arg "PORT=${PORT[$name]}"
    done
    # each build leaves its build stage (the wheels, ~700 MB) untagged: keep the store from growing
    $PODMAN image prune --force >/dev/null || true
}

build_kafka() {
    local image="localhost/jiesu-kafka:$KAFKA_VERSION" context="$WORK/context-kafka" jars
    if has_image "$image"; then log "$image present"; echo "$image"; return; fi
    bash "$SCRIPT_DIR/kafka.sh" jars
    jars="${JIESU_CACHE_DIR:-${HOME:-/tmp}/.cache/jiesu}/kafka-$KAFKA_VERSION/libs"
    rm -rf "$context"; mkdir -p "$context/bin"
    cp -r "$jars" "$context/libs"
    cp "$SCRIPT_DIR/lib/log4j.properties" "$context/"
    cp "$SCRIPT_DIR/images/bin/kafka-start" "$context/bin/"
    build "$image" "$SCRIPT_DIR/images/kafka.Containerfile" "$context" --build-arg "BASE=$BASE"
}

build_postgres() {
    local image="localhost/jiesu-postgres:15" context="$WORK/context-postgres"
    if has_image "$image"; then log "$image present"; echo "$image"; return; fi
    rm -rf "$context"; mkdir -p "$context/bin"
    cp "$SCRIPT_DIR/images/bin/postgres-start" "$context/bin/"
    build "$image" "$SCRIPT_DIR/images/postgres.Containerfile" "$context" --build-arg "BASE=$BASE"
}

main() {
    mkdir -p "$WORK"
    ensure_tools
    local what="${1:-all}"
    case "$what" in
        base) build_base ;;
        wheels) build_wheels ;;
        services) build_base >/dev/null; build_services ;;
        kafka) build_base >/dev/null; build_kafka ;;
        postgres) build_base >/dev/null; build_postgres ;;
        all) build_base; build_kafka; build_postgres; build_services ;;
        *) die "usage: deploy/images.sh [all|base|wheels|services|kafka|postgres]" ;;
    esac
}

main "$@"
