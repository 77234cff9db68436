#!/usr/bin/env bash
# Run a private PostgreSQL cluster for development and tests: our own data
# directory, our own port, 127.0.0.1 only. It never touches the system cluster
# (Debian's "main") nor systemd.
#
# Usage: deploy/postgres.sh start|stop [--purge]|status|url
#
#   start   Start the cluster (initdb on first use, reuse it if running), create
#           database jiesu_test if missing, and print the SQLAlchemy URL
#           postgresql+psycopg://jiesu@127.0.0.1:<port>/jiesu_test as the last
#           (and only) line on stdout. If JIESU_TEST_POSTGRES_URL is set, that
#           database wins: it is printed and nothing is started.
#   stop    pg_ctl stop -m fast if running. --purge also deletes the cluster's data.
#   status  Print running/stopped; exit 0 if running, 1 if not.
#   url     Print the URL (JIESU_TEST_POSTGRES_URL if set).
#
# Environment:
#   JIESU_STATE_DIR   default <repo>/.jiesu; the cluster lives in <it>/postgres
#   JIESU_PG_PORT     default 15432
#   JIESU_PG_BIN      a PostgreSQL bin dir to use instead of the newest
#                     /usr/lib/postgresql/*/bin
#
# If the server binaries are missing they are installed from Debian's packages
# (apt-get install postgresql; as root, or through sudo).
# PostgreSQL refuses to run as root: when run as root, the cluster belongs to
# the "postgres" system user and initdb/pg_ctl run through runuser.
#
# Only the URL goes to stdout; all messages go to stderr.
#
# From deploy/lib/daemon.sh: log/die, usage and the command dispatch (daemon_main), take_lock,
# port_open, and the parsing of stop's --purge (wants_purge). The cluster is known by pg_ctl, not
# by a pid of ours, so stop and status are its own.
set -euo pipefail
# runuser, useradd and friends live in the sbin folders, which a minimal PATH may lack
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
umask 022

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(dirname "$SCRIPT_DIR")"

HOST=127.0.0.1
PORT="${JIESU_PG_PORT:-15432}"
DB_USER=jiesu
DB_NAME=jiesu_test
URL="postgresql+psycopg://$DB_USER@$HOST:$PORT/$DB_NAME"
PG_OS_USER=postgres

DAEMON_SCRIPT=postgres.sh
DAEMON_EXTRA_COMMAND=url
# shellcheck source=lib/daemon.sh
source "$SCRIPT_DIR/lib/daemon.sh"

is_root() { [[ "$(id -u)" -eq 0 ]]; }

# Run a command as the cluster's owner: the postgres user when we are root,
# ourselves otherwise. Lock fd 9 is closed so the postmaster never inherits it.
as_owner() {
    if is_root; then
        (cd "$PG_DIR" && runuser -u "$PG_OS_USER" -- "$@" 9>&-)
    else
        (cd "$PG_DIR" && "$@" 9>&-)
    fi
}

short_hash() { printf '%s' "$1" | sha256sum | cut -c1-10; }

# --- where the cluster lives -------------------------------------------------

# The cluster lives in <state dir>/postgres. As root it must belong to the
# postgres user, who then needs to traverse every parent directory; if some
# parent is closed to it (e.g. a repo under /root), use a directory under /tmp
# instead, named after the state dir so every subcommand finds the same one.
resolve_pg_dir() {
    local wanted="${JIESU_STATE_DIR:-$REPO_ROOT/.jiesu}/postgres"
    PG_DIR="$wanted"
    if is_root; then
        local probe="$wanted"
        while [[ ! -e "$probe" ]]; do probe="$(dirname "$probe")"; done
        if id "$PG_OS_USER" >/dev/null 2>&1 &&
            ! runuser -u "$PG_OS_USER" -- test -x "$probe" 2>/dev/null; then
            PG_DIR="/tmp/jiesu-pg-$(id -u)-$(short_hash "$wanted")"
            if [[ -z "${FALLBACK_SAID:-}" ]]; then
                log "the $PG_OS_USER user cannot reach $wanted (a parent directory is not traversable); using $PG_DIR instead"
                FALLBACK_SAID=1
            fi
        fi
    fi
    DATA_DIR="$PG_DIR/data"
    SOCKET_DIR="$PG_DIR/run"
    LOG_FILE="$PG_DIR/logs/postgres.log"
}

# --- binaries ----------------------------------------------------------------

newest_bin_dir() {
    local d best="" best_ver=""
    for d in /usr/lib/postgresql/*/bin; do
        [[ -x "$d/initdb" && -x "$d/pg_ctl" ]] || continue
        local ver
        ver="$(basename "$(dirname "$d")")"
        if [[ -z "$best" ]] || [[ "$(printf '%s\n%s\n' "$best_ver" "$ver" | sort -V | tail -n1)" == "$ver" ]]; then
            best="$d"
            best_ver="$ver"
        fi
    done
    [[ -n "$best" ]] && echo "$best"
}

install_postgres() {
    log "PostgreSQL server binaries not found; installing Debian's postgresql package"
    command -v apt-get >/dev/null 2>&1 ||
        die "no PostgreSQL server found under /usr/lib/postgresql and no apt-get to install one; install PostgreSQL or set JIESU_PG_BIN (or JIESU_TEST_POSTGRES_URL)"
    local sudo=()
    if ! is_root; then
        command -v sudo >/dev/null 2>&1 ||
            die "PostgreSQL is not installed and we are not root and have no sudo; run as root: apt-get install postgresql"
        sudo=(sudo)
    fi
    # Installing may also create Debian's system cluster "main" (port 5432); we never use it.
    "${sudo[@]}" apt-get update -qq >&2 || die "apt-get update failed"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2 ||
        die "apt-get install postgresql failed"
}

# Sets BIN_DIR: JIESU_PG_BIN, else the version that made an existing data dir,
# else the newest installed (installing one if there is none).
find_binaries() {
    if [[ -n "${JIESU_PG_BIN:-}" ]]; then
        BIN_DIR="$JIESU_PG_BIN"
    elif [[ -f "$DATA_DIR/PG_VERSION" ]]; then
        local ver
        ver="$(<"$DATA_DIR/PG_VERSION")"
        BIN_DIR="/usr/lib/postgresql/$ver/bin"
        [[ -x "$BIN_DIR/pg_ctl" ]] ||
            die "the cluster in $DATA_DIR was made by PostgreSQL $ver, which is not installed; run '$0 stop --purge' to start afresh"
    else
        BIN_DIR="$(newest_bin_dir)" || {
            install_postgres
            BIN_DIR="$(newest_bin_dir)" || die "PostgreSQL was installed but no /usr/lib/postgresql/*/bin/initdb was found"
        }
    fi
    local tool
    for tool in initdb pg_ctl psql; do
        [[ -x "$BIN_DIR/$tool" ]] || die "$BIN_DIR/$tool not found"
    done
}

# --- cluster -----------------------------------------------------------------

ensure_os_user() {
    is_root || return 0
    id "$PG_OS_USER" >/dev/null 2>&1 && return 0
    log "creating system user $PG_OS_USER"
    useradd --system --user-group --home-dir /var/lib/postgresql --no-create-home \
        --shell /usr/sbin/nologin "$PG_OS_USER" || die "could not create the $PG_OS_USER user"
}

prepare_dirs() {
    mkdir -p "$PG_DIR" "$SOCKET_DIR" "$(dirname "$LOG_FILE")"
    if is_root; then
        chown "$PG_OS_USER:" "$PG_DIR" "$SOCKET_DIR" "$(dirname "$LOG_FILE")"
        [[ -e "$LOG_FILE" ]] && chown "$PG_OS_USER:" "$LOG_FILE"
        runuser -u "$PG_OS_USER" -- test -w "$PG_DIR" ||
            die "the $PG_OS_USER user cannot write to $PG_DIR"
    fi
    return 0
}

init_cluster() {
    [[ -f "$DATA_DIR/PG_VERSION" ]] && return 0
    rm -rf "$DATA_DIR" # a half-made data dir from an interrupted initdb
    log "creating a cluster in $DATA_DIR with $BIN_DIR/initdb"
    local common=(-D "$DATA_DIR" -A trust -U "$DB_USER" --encoding=UTF8)
    if ! as_owner "$BIN_DIR/initdb" "${common[@]}" --locale=C.UTF-8 >"$PG_DIR/logs/initdb.log" 2>&1; then
        log "initdb with locale C.UTF-8 failed; retrying with locale C"
        rm -rf "$DATA_DIR"
        as_owner "$BIN_DIR/initdb" "${common[@]}" --locale=C >>"$PG_DIR/logs/initdb.log" 2>&1 || {
            tail -n 40 "$PG_DIR/logs/initdb.log" >&2
            die "initdb failed; see $PG_DIR/logs/initdb.log"
        }
    fi
    # Our settings live in jiesu.conf, rewritten on every start.
    printf "\n# deploy/postgres.sh\ninclude_if_exists = 'jiesu.conf'\n" >>"$DATA_DIR/postgresql.conf"
}

write_settings() {
    local sockets="$SOCKET_DIR"
    # A Unix socket path is limited to 107 bytes; with a deeper state dir we do TCP only.
    if ((${#SOCKET_DIR} + 16 > 107)); then
        log "$SOCKET_DIR is too long for a Unix socket; the cluster listens on TCP only"
        sockets=""
    fi
    cat >"$DATA_DIR/jiesu.conf" <<EOF
# Written by deploy/postgres.sh on every start; edits are lost.
listen_addresses = '$HOST'
port = $PORT
unix_socket_directories = '$sockets'
max_connections = 200
timezone = 'UTC'
# A throwaway test cluster: durability is traded for speed. A crash of the
# machine may corrupt it (then: deploy/postgres.sh stop --purge). Never use
# these settings for data that matters.
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    is_root && chown "$PG_OS_USER:" "$DATA_DIR/jiesu.conf"
    return 0
}

is_running() {
    [[ -f "$DATA_DIR/PG_VERSION" ]] || return 1
    as_owner "$BIN_DIR/pg_ctl" status -D "$DATA_DIR" >/dev/null 2>&1
}

# The port of the running postmaster (line 4 of postmaster.pid).
running_port() {
    sed -n 4p "$DATA_DIR/postmaster.pid" 2>/dev/null
}

psql_cmd() { # runs SQL against database $1 over TCP
    local db="$1"
    shift
    env -u PGPASSWORD -u PGSERVICE -u PGOPTIONS PGCONNECT_TIMEOUT=10 \
        "$BIN_DIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$HOST" -p "$PORT" -U "$DB_USER" -d "$db" "$@"
}

ensure_database() {
    local exists
    exists="$(psql_cmd postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" ||
        die "could not connect to PostgreSQL on $HOST:$PORT"
    if [[ "$exists" != 1 ]]; then
        log "creating database $DB_NAME"
        psql_cmd postgres -c "CREATE DATABASE $DB_NAME" >&2 || die "could not create database $DB_NAME"
    fi
}

# --- commands ----------------------------------------------------------------

cmd_start() {
    if [[ -n "${JIESU_TEST_POSTGRES_URL:-}" ]]; then
        log "JIESU_TEST_POSTGRES_URL is set; using that database"
        echo "$JIESU_TEST_POSTGRES_URL"
        return 0
    fi
    resolve_pg_dir
    find_binaries # may install PostgreSQL, which creates the postgres user
    ensure_os_user
    resolve_pg_dir # again: whether the postgres user can reach it is known only now
    take_lock 9 "$PG_DIR/.lock"
    prepare_dirs

    if is_running; then
        local port
        port="$(running_port)"
        [[ "$port" == "$PORT" ]] ||
            die "the cluster in $DATA_DIR is running on port $port, not $PORT; run '$0 stop' first"
        log "already running on $HOST:$PORT ($DATA_DIR)"
    else
        port_open "$HOST" "$PORT" &&
            die "port $HOST:$PORT is in use by another process; set JIESU_PG_PORT, or JIESU_TEST_POSTGRES_URL to use that server"
        init_cluster
        write_settings
        log "starting PostgreSQL ($BIN_DIR) on $HOST:$PORT, data in $DATA_DIR"
        if ! as_owner "$BIN_DIR/pg_ctl" -D "$DATA_DIR" -l "$LOG_FILE" -w -t 60 start >/dev/null 2>"$PG_DIR/logs/pg_ctl.err"; then
            cat "$PG_DIR/logs/pg_ctl.err" >&2
            log "---- last 40 lines of $LOG_FILE ----"
            tail -n 40 "$LOG_FILE" >&2 2>/dev/null || true
            die "PostgreSQL did not start"
        fi
    fi
    ensure_database
    echo "$URL"
}

cmd_stop() {
    local purge=0
    wants_purge "${1:-}" && purge=1
    resolve_pg_dir
    if [[ -f "$DATA_DIR/PG_VERSION" ]]; then
        take_lock 9 "$PG_DIR/.lock"
        find_binaries
        if is_running; then
            log "stopping PostgreSQL ($DATA_DIR)"
            as_owner "$BIN_DIR/pg_ctl" -D "$DATA_DIR" -m fast -w -t 60 stop >&2 ||
                die "pg_ctl stop failed"
        else
            log "not running"
        fi
    else
        log "not running"
    fi
    if ((purge)); then
        log "deleting $PG_DIR"
        rm -rf "$PG_DIR"
    fi
}

cmd_status() {
    resolve_pg_dir
    if [[ -f "$DATA_DIR/PG_VERSION" ]]; then
        find_binaries
        if is_running; then
            echo "running (port $(running_port), data $DATA_DIR)"
            return 0
        fi
    fi
    echo "stopped"
    return 1
}

cmd_url() {
    echo "${JIESU_TEST_POSTGRES_URL:-$URL}"
}

daemon_main "$@"
