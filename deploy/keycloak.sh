#!/usr/bin/env bash
# Run a Keycloak 26.7.3 OpenID Connect provider for development and tests, in dev mode (in-memory H2,
# plain HTTP on 127.0.0.1), with the TEST-ONLY realm deploy/lib/keycloak-realm-jiesu.json imported at
# every start. The distribution comes from Maven Central (org.keycloak:keycloak-quarkus-dist, zip; no
# Docker) and runs on the machine's Java (17).
#
# Usage: deploy/keycloak.sh start|stop [--purge]|status|dist
#
#   dist    Copy the distribution zip into the cache once (needs Maven):
#           ${JIESU_CACHE_DIR:-$HOME/.cache/jiesu}/keycloak-26.7.3/
#   start   Start Keycloak (or reuse the running one) and print the realm's issuer URL,
#           http://127.0.0.1:<port>/realms/jiesu, as the last (and only) line on stdout, once the
#           realm's /.well-known/openid-configuration answers 200.
#   stop    Stop Keycloak (TERM, then KILL after JIESU_KEYCLOAK_STOP_TIMEOUT s).
#           --purge also deletes its state dir (its unpacked copy of the distribution, logs).
#   status  Print running/stopped; exit 0 if running, 1 if not.
#
# Keycloak writes into its own home (build-time augmentation under lib/quarkus, data/), so each state
# dir gets its own unpacked copy of the cached zip; the realm lives in memory and is re-imported at
# every start, so an edited realm file takes effect on the next start.
#
# Environment:
#   JIESU_STATE_DIR                  default <repo>/.jiesu; Keycloak uses <it>/keycloak
#   JIESU_CACHE_DIR                  default $HOME/.cache/jiesu
#   JIESU_KEYCLOAK_PORT              default 18080 (HTTP, 127.0.0.1)
#   JIESU_KEYCLOAK_START_TIMEOUT     default 180 (seconds; the first start of a copy builds it, ~30 s)
#   JIESU_KEYCLOAK_STOP_TIMEOUT      default 30 (seconds)
#   JIESU_KEYCLOAK_HEAP_OPTS         default "-Xms64m -Xmx384m"
#
# Only the issuer URL goes to stdout; all messages go to stderr.
#
# From deploy/lib/daemon.sh: log/die, usage and the command dispatch (daemon_main), take_lock,
# port_open, finding Keycloak by pid file or command line (find_our_pid), stop_pid, and the
# whole stop and status commands (stop_command, status_command).
set -euo pipefail

readonly KC_VERSION=26.7.3
readonly REALM=jiesu

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(dirname "$SCRIPT_DIR")"
REALM_FILE="$SCRIPT_DIR/lib/keycloak-realm-$REALM.json"

CACHE_DIR="${JIESU_CACHE_DIR:-${HOME:-/tmp}/.cache/jiesu}/keycloak-$KC_VERSION"
ZIP="$CACHE_DIR/keycloak-quarkus-dist-$KC_VERSION.zip"

STATE_DIR="${JIESU_STATE_DIR:-$REPO_ROOT/.jiesu}/keycloak"
KC_HOME="$(readlink -m "$STATE_DIR/keycloak-$KC_VERSION")"  # kc.sh sees its home with links resolved
LOGS_DIR="$STATE_DIR/logs"
PID_FILE="$STATE_DIR/keycloak.pid"

HOST=127.0.0.1
PORT="${JIESU_KEYCLOAK_PORT:-18080}"
START_TIMEOUT="${JIESU_KEYCLOAK_START_TIMEOUT:-180}"
STOP_TIMEOUT="${JIESU_KEYCLOAK_STOP_TIMEOUT:-30}"
HEAP_OPTS="${JIESU_KEYCLOAK_HEAP_OPTS:--Xms64m -Xmx384m}"
ISSUER="http://$HOST:$PORT/realms/$REALM"

DAEMON_SCRIPT=keycloak.sh
DAEMON_EXTRA_COMMAND=dist
# shellcheck source=lib/daemon.sh
source "$SCRIPT_DIR/lib/daemon.sh"

# --- helpers -----------------------------------------------------------------

# Does the realm's discovery document answer 200? (curl if present, else Python's urllib)
realm_ready() {
    local url="$ISSUER/.well-known/openid-configuration"
    if command -v curl >/dev/null 2>&1; then
        curl -fsS -o /dev/null --max-time 5 "$url" 2>/dev/null
    else
        python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)' "$url" 2>/dev/null
    fi
}

# Is this command line kc.sh or the Keycloak JVM running from our home?
is_keycloak_cmdline() { # $1 = command line
    [[ "$1" == "sh $KC_HOME/bin/kc.sh "* ]] && return 0
    [[ "$1" == *"-Dkc.home.dir=$KC_HOME/bin/.. "* && "$1" == *" io.quarkus.bootstrap.runner.QuarkusEntryPoint "* ]]
}

# Prints Keycloak's pid if it is running, returns 1 if not. Without a pid file: the JVM whose home
# is ours (grep, which also has that argument, is no Quarkus JVM).
keycloak_pid() {
    find_our_pid "$PID_FILE" is_keycloak_cmdline "-Dkc.home.dir=$KC_HOME/bin/.."
}

# TERM (kc.sh passes it to the JVM), wait up to STOP_TIMEOUT, then KILL. Started under setsid, kc.sh
# leads its own process group: KILL goes to the group, which takes its JVM child too.
stop_keycloak() { # $1 = pid
    stop_pid "$1" "$STOP_TIMEOUT" Keycloak group
}

check_java() {
    local java="java"
    [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]] && java="$JAVA_HOME/bin/java"
    command -v "$java" >/dev/null 2>&1 ||
        die "Java 17 or newer is required (java not on PATH, JAVA_HOME unset); on Debian: apt-get install openjdk-17-jre-headless"
}

show_logs() {
    if [[ -s "$LOGS_DIR/server.out" ]]; then
        log "---- last 40 lines of $LOGS_DIR/server.out ----"
        tail -n 40 "$LOGS_DIR/server.out" >&2
    fi
}

# --- dist --------------------------------------------------------------------

cmd_dist() {
    take_lock 8 "$CACHE_DIR.lock"
    if [[ -f "$ZIP" ]]; then
        log "distribution already in $ZIP"
        return 0
    fi
    command -v mvn >/dev/null 2>&1 ||
        die "Maven (mvn) is needed once to fetch Keycloak from Maven Central; on Debian: apt-get install maven"
    log "fetching Keycloak $KC_VERSION from Maven Central into $CACHE_DIR (about 180 MB, once)..."
    mkdir -p "$CACHE_DIR"
    local mvn_log="$CACHE_DIR/mvn.log" tmp="$CACHE_DIR/download"
    rm -rf "$tmp"
    if ! mvn -B -q -Dstyle.color=never \
        org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy \
        -Dartifact="org.keycloak:keycloak-quarkus-dist:$KC_VERSION:zip" \
        -DoutputDirectory="$tmp" >"$mvn_log" 2>&1; then
        log "---- last 40 lines of $mvn_log ----"
        tail -n 40 "$mvn_log" >&2
        die "mvn could not fetch Keycloak (is Maven Central reachable?); see $mvn_log"
    fi
    # Moved into place only when complete, so a half-downloaded zip is never taken for the real one.
    mv -f "$tmp/$(basename "$ZIP")" "$ZIP" || die "mvn succeeded but did not produce $(basename "$ZIP")"
    rm -rf "$tmp"
    log "distribution ready: $(du -h "$ZIP" | cut -f1)"
}

# This state dir's own copy of the distribution (Keycloak builds itself into its home).
unpack_home() {
    [[ -f "$KC_HOME/.unpacked" ]] && return 0
    log "unpacking Keycloak into $KC_HOME"
    rm -rf "$KC_HOME" "$STATE_DIR/unpack"
    python3 -m zipfile -e "$ZIP" "$STATE_DIR/unpack" || die "could not unpack $ZIP"
    mv "$STATE_DIR/unpack/keycloak-$KC_VERSION" "$KC_HOME"
    rm -rf "$STATE_DIR/unpack"
    touch "$KC_HOME/.unpacked"
}

# --- start -------------------------------------------------------------------

launch() {
    mkdir -p "$KC_HOME/data/import" "$LOGS_DIR"
    cp -f "$REALM_FILE" "$KC_HOME/data/import/"
    [[ -f "$LOGS_DIR/server.out" ]] && mv -f "$LOGS_DIR/server.out" "$LOGS_DIR/server.out.prev"
    log "starting Keycloak $KC_VERSION on $HOST:$PORT (state in $STATE_DIR)"
    # setsid + nohup: Keycloak survives the shell that started it. The inner bash writes its own pid
    # (which exec hands to kc.sh) whatever setsid does. The lock fds 8 and 9 are closed for it.
    # dev-mem: nothing persists, the realm file is imported afresh at every start.
    (
        cd "$STATE_DIR"
        export JAVA_OPTS_KC_HEAP="$HEAP_OPTS"
        # shellcheck disable=SC2016  # $$ and $0 are the inner bash's
        exec setsid nohup bash -c 'echo $$ >"$0"; exec "$@"' "$PID_FILE" \
            sh "$KC_HOME/bin/kc.sh" start-dev --import-realm --db=dev-mem \
            --http-host="$HOST" --http-port="$PORT" --hostname="http://$HOST:$PORT" \
            </dev/null >"$LOGS_DIR/server.out" 2>&1 8>&- 9>&-
    ) &
    LAUNCHER=$!
}

wait_ready() {
    local deadline=$((SECONDS + START_TIMEOUT)) pid=""
    while :; do
        [[ -z "$pid" && -s "$PID_FILE" ]] && pid="$(<"$PID_FILE")"
        if [[ -n "$pid" ]]; then
            if ! kill -0 "$pid" 2>/dev/null; then
                show_logs
                rm -f "$PID_FILE"
                die "Keycloak (pid $pid) exited during startup"
            fi
            port_open "$HOST" "$PORT" && realm_ready && break
        elif ! kill -0 "$LAUNCHER" 2>/dev/null && [[ ! -s "$PID_FILE" ]]; then
            show_logs
            die "Keycloak could not be launched"
        fi
        if ((SECONDS >= deadline)); then
            show_logs
            [[ -n "$pid" ]] && { log "stopping Keycloak (pid $pid) that did not get ready"; stop_keycloak "$pid"; }
            rm -f "$PID_FILE"
            die "Keycloak was not ready within ${START_TIMEOUT}s (JIESU_KEYCLOAK_START_TIMEOUT)"
        fi
        sleep 0.5
    done
    log "Keycloak ready (pid $pid) in ${SECONDS}s; issuer $ISSUER"
}

cmd_start() {
    mkdir -p "$STATE_DIR"
    take_lock 9 "$STATE_DIR/.lock"

    local pid
    if pid="$(keycloak_pid)"; then
        if realm_ready; then
            log "Keycloak already running (pid $pid)"
            echo "$ISSUER"
            return 0
        fi
        die "a Keycloak from $STATE_DIR is running (pid $pid) but $ISSUER does not answer; run '$0 stop' first"
    fi
    rm -f "$PID_FILE"
    port_open "$HOST" "$PORT" && die "port $HOST:$PORT is in use by another process; set JIESU_KEYCLOAK_PORT, or JIESU_TEST_OIDC_ISSUER to use that provider"
    [[ -f "$REALM_FILE" ]] || die "missing $REALM_FILE"

    check_java
    cmd_dist
    unpack_home
    launch
    wait_ready
    echo "$ISSUER"
}

# --- stop / status -----------------------------------------------------------

cmd_stop() {
    stop_command "$STATE_DIR" "$PID_FILE" keycloak_pid stop_keycloak Keycloak "$@"
}

cmd_status() {
    status_command "$STATE_DIR" keycloak_pid "issuer $ISSUER" "$ISSUER not answering yet" realm_ready
}

daemon_main "$@"
