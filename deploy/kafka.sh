#!/usr/bin/env bash
# Run a single-node Apache Kafka 3.9.1 broker (KRaft mode, no ZooKeeper) for
# development and tests, from the broker's jars on Maven Central (no Docker, no
# release tarball), with the machine's Java (17).
#
# Usage: deploy/kafka.sh start|stop [--purge]|status|jars
#
#   jars    Copy the broker's jars into the cache once (needs Maven):
#           ${JIESU_CACHE_DIR:-$HOME/.cache/jiesu}/kafka-3.9.1/libs
#   start   Start the broker (or reuse the running one) and print its bootstrap
#           address, 127.0.0.1:<port>, as the last (and only) line on stdout.
#           If KAFKA_BOOTSTRAP_SERVERS is set, that broker wins: it is printed
#           and nothing is started.
#   stop    Stop the broker (TERM, then KILL after JIESU_KAFKA_STOP_TIMEOUT s).
#           --purge also deletes its state dir (topics, offsets, logs).
#   status  Print running/stopped; exit 0 if running, 1 if not.
#
# Environment:
#   JIESU_STATE_DIR               default <repo>/.jiesu; the broker uses <it>/kafka
#   JIESU_CACHE_DIR               default $HOME/.cache/jiesu
#   JIESU_KAFKA_PORT              default 19092 (client listener, 127.0.0.1)
#   JIESU_KAFKA_CONTROLLER_PORT   default 19093 (KRaft controller, 127.0.0.1)
#   JIESU_KAFKA_START_TIMEOUT     default 90 (seconds)
#   JIESU_KAFKA_STOP_TIMEOUT      default 30 (seconds)
#   JIESU_KAFKA_HEAP_OPTS         default "-Xms256m -Xmx512m"
#
# Only the bootstrap address goes to stdout; all messages go to stderr.
#
# From deploy/lib/daemon.sh: log/die, usage and the command dispatch (daemon_main), take_lock,
# port_open, finding the broker by pid file or command line (find_our_pid), stop_pid, and the
# whole stop and status commands (stop_command, status_command).
set -euo pipefail
# runuser, useradd and friends live in the sbin folders, which a minimal PATH may lack
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

readonly KAFKA_VERSION=3.9.1

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(dirname "$SCRIPT_DIR")"
LIB_DIR="$SCRIPT_DIR/lib"
POM="$LIB_DIR/kafka-pom.xml"
TEMPLATE="$LIB_DIR/kafka-server.properties.template"
LOG4J_CONFIG="$LIB_DIR/log4j.properties"

CACHE_DIR="${JIESU_CACHE_DIR:-${HOME:-/tmp}/.cache/jiesu}/kafka-$KAFKA_VERSION"
JAR_DIR="$CACHE_DIR/libs"
JAR_MARKER="$CACHE_DIR/.jars-complete"

STATE_DIR="${JIESU_STATE_DIR:-$REPO_ROOT/.jiesu}/kafka"
DATA_DIR="$STATE_DIR/data"
LOGS_DIR="$STATE_DIR/logs"
PID_FILE="$STATE_DIR/kafka.pid"
PROPS="$STATE_DIR/server.properties"

HOST=127.0.0.1
PORT="${JIESU_KAFKA_PORT:-19092}"
CONTROLLER_PORT="${JIESU_KAFKA_CONTROLLER_PORT:-19093}"
START_TIMEOUT="${JIESU_KAFKA_START_TIMEOUT:-90}"
STOP_TIMEOUT="${JIESU_KAFKA_STOP_TIMEOUT:-30}"
HEAP_OPTS="${JIESU_KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"

# The line KafkaRaftServer logs once the broker and controller are up
# ("[KafkaRaftServer nodeId=1] Kafka Server started (kafka.server.KafkaRaftServer)").
readonly READY_LINE="Kafka Server started"

DAEMON_SCRIPT=kafka.sh
DAEMON_EXTRA_COMMAND=jars
# shellcheck source=lib/daemon.sh
source "$LIB_DIR/daemon.sh"

# --- helpers -----------------------------------------------------------------

# Is this command line a broker started from our server.properties?
is_broker_cmdline() { # $1 = command line
    [[ "$1" == *kafka.Kafka* && "$1" == *"$PROPS"* ]]
}

# Prints the broker's pid if it is running, returns 1 if not. Without a pid file: the java process
# running our exact server.properties.
broker_pid() {
    find_our_pid "$PID_FILE" is_broker_cmdline "$PROPS"
}

stop_broker() { # $1 = pid; TERM, wait up to STOP_TIMEOUT, then KILL
    stop_pid "$1" "$STOP_TIMEOUT" broker
}

java_bin() {
    if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
        echo "$JAVA_HOME/bin/java"
    elif command -v java >/dev/null 2>&1; then
        command -v java
    else
        die "Java 17 is required (java not on PATH, JAVA_HOME unset); on Debian: apt-get install openjdk-17-jre-headless"
    fi
}

pom_digest() {
    sha256sum "$POM" | cut -d' ' -f1
}

jars_complete() {
    [[ -f "$JAR_MARKER" && -f "$JAR_DIR/kafka_2.13-$KAFKA_VERSION.jar" ]] &&
        [[ "$(<"$JAR_MARKER")" == "$(pom_digest)" ]]
}

show_logs() {
    local f
    for f in "$LOGS_DIR/server.out" "$LOGS_DIR/server.log"; do
        if [[ -s "$f" ]]; then
            log "---- last 40 lines of $f ----"
            tail -n 40 "$f" >&2
        fi
    done
}

# --- jars --------------------------------------------------------------------

cmd_jars() {
    take_lock 8 "$CACHE_DIR.lock"
    if jars_complete; then
        log "jars already in $JAR_DIR"
        return 0
    fi
    command -v mvn >/dev/null 2>&1 ||
        die "Maven (mvn) is needed once to fetch Kafka's jars from Maven Central; on Debian: apt-get install maven"
    [[ -f "$POM" ]] || die "missing $POM"

    log "fetching Kafka $KAFKA_VERSION jars from Maven Central into $JAR_DIR (about 50 MB, once)..."
    rm -rf "$JAR_DIR" "$JAR_MARKER"
    mkdir -p "$JAR_DIR"
    local mvn_log="$CACHE_DIR/mvn.log"
    if ! mvn -B -q -Dstyle.color=never -f "$POM" \
        org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$JAR_DIR" >"$mvn_log" 2>&1; then
        log "---- last 40 lines of $mvn_log ----"
        tail -n 40 "$mvn_log" >&2
        die "mvn could not fetch Kafka's jars (is Maven Central reachable?); see $mvn_log"
    fi
    [[ -f "$JAR_DIR/kafka_2.13-$KAFKA_VERSION.jar" ]] ||
        die "mvn succeeded but $JAR_DIR/kafka_2.13-$KAFKA_VERSION.jar is missing"
    pom_digest >"$JAR_MARKER"
    log "jars ready: $(find "$JAR_DIR" -name '*.jar' | wc -l) jars, $(du -sh "$JAR_DIR" | cut -f1)"
}

# --- start -------------------------------------------------------------------

render_properties() {
    [[ -f "$TEMPLATE" ]] || die "missing $TEMPLATE"
    local text
    text="$(<"$TEMPLATE")"
    text="${text//@LISTENER_PORT@/$PORT}"
    text="${text//@CONTROLLER_PORT@/$CONTROLLER_PORT}"
    text="${text//@LOG_DIR@/$DATA_DIR}"
    printf '%s\n' "$text" >"$PROPS.tmp"
    mv -f "$PROPS.tmp" "$PROPS"
}

format_storage() {
    local java="$1"
    # Formatting is needed once; meta.properties marks a formatted log dir.
    [[ -f "$DATA_DIR/meta.properties" ]] && return 0
    # The tool's own log4j output goes to logs/storage-tool/, not the broker's server.log.
    local tool_opts=(-cp "$JAR_DIR/*" -Dlog4j.configuration="file:$LOG4J_CONFIG"
        -Dkafka.logs.dir="$LOGS_DIR/storage-tool")
    local cluster_id
    cluster_id="$("$java" "${tool_opts[@]}" kafka.tools.StorageTool random-uuid 2>>"$LOGS_DIR/format.out")" ||
        die "kafka.tools.StorageTool random-uuid failed; see $LOGS_DIR/format.out"
    cluster_id="$(tail -n 1 <<<"$cluster_id")"
    log "formatting storage in $DATA_DIR (cluster id $cluster_id)"
    "$java" "${tool_opts[@]}" kafka.tools.StorageTool format \
        -t "$cluster_id" -c "$PROPS" --ignore-formatted >>"$LOGS_DIR/format.out" 2>&1 || {
        tail -n 40 "$LOGS_DIR/format.out" >&2
        die "kafka.tools.StorageTool format failed; see $LOGS_DIR/format.out"
    }
}

cmd_start() {
    if [[ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ]]; then
        log "KAFKA_BOOTSTRAP_SERVERS is set; using that broker"
        echo "$KAFKA_BOOTSTRAP_SERVERS"
        return 0
    fi

    mkdir -p "$STATE_DIR"
    take_lock 9 "$STATE_DIR/.lock"

    local pid
    if pid="$(broker_pid)"; then
        if port_open "$HOST" "$PORT"; then
            log "broker already running (pid $pid)"
            echo "$HOST:$PORT"
            return 0
        fi
        die "a broker from $STATE_DIR is running (pid $pid) but port $PORT is closed; run '$0 stop' first"
    fi
    rm -f "$PID_FILE"
    if port_open "$HOST" "$PORT"; then
        die "port $HOST:$PORT is in use by another process; set JIESU_KAFKA_PORT, or KAFKA_BOOTSTRAP_SERVERS to use that broker"
    fi
    if port_open "$HOST" "$CONTROLLER_PORT"; then
        die "controller port $HOST:$CONTROLLER_PORT is in use by another process; set JIESU_KAFKA_CONTROLLER_PORT"
    fi

    cmd_jars
    local java
    java="$(java_bin)"

    mkdir -p "$DATA_DIR" "$LOGS_DIR"
    render_properties
    format_storage "$java"

    # Keep the previous run's logs aside, so readiness is judged on this run's log only.
    local f
    for f in server.log server.out; do
        [[ -f "$LOGS_DIR/$f" ]] && mv -f "$LOGS_DIR/$f" "$LOGS_DIR/$f.prev"
    done

    log "starting Kafka $KAFKA_VERSION on $HOST:$PORT (state in $STATE_DIR)"
    # setsid + nohup: the broker survives the shell that started it. The inner
    # bash writes its own pid (which exec hands to java) whatever setsid does.
    # The lock fds 8 and 9 are closed for it.
    (
        cd "$STATE_DIR"
        # shellcheck disable=SC2086,SC2016  # HEAP_OPTS is a list of JVM options; $$ is the inner bash's
        exec setsid nohup bash -c 'echo $$ >"$0"; exec "$@"' "$PID_FILE" \
            "$java" $HEAP_OPTS \
            -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
            -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
            -Dlog4j.configuration="file:$LOG4J_CONFIG" -Dkafka.logs.dir="$LOGS_DIR" \
            -cp "$JAR_DIR/*" kafka.Kafka "$PROPS" \
            </dev/null >"$LOGS_DIR/server.out" 2>&1 8>&- 9>&-
    ) &
    local launcher=$!

    local deadline=$((SECONDS + START_TIMEOUT))
    pid=""
    while :; do
        [[ -z "$pid" && -s "$PID_FILE" ]] && pid="$(<"$PID_FILE")"
        if [[ -n "$pid" ]]; then
            if ! kill -0 "$pid" 2>/dev/null; then
                show_logs
                rm -f "$PID_FILE"
                die "the broker (pid $pid) exited during startup"
            fi
            if port_open "$HOST" "$PORT" && grep -qF "$READY_LINE" "$LOGS_DIR/server.log" 2>/dev/null; then
                break
            fi
        elif ! kill -0 "$launcher" 2>/dev/null && [[ ! -s "$PID_FILE" ]]; then
            show_logs
            die "the broker could not be launched"
        fi
        if ((SECONDS >= deadline)); then
            show_logs
            if [[ -n "$pid" ]]; then
                log "stopping the broker (pid $pid) that did not get ready"
                stop_broker "$pid"
            fi
            rm -f "$PID_FILE"
            die "the broker was not ready within ${START_TIMEOUT}s (JIESU_KAFKA_START_TIMEOUT)"
        fi
        sleep 0.25
    done
    log "broker ready (pid $pid) in ${SECONDS}s"
    echo "$HOST:$PORT"
}

# --- stop / status -----------------------------------------------------------

cmd_stop() {
    stop_command "$STATE_DIR" "$PID_FILE" broker_pid stop_broker broker "$@"
}

cmd_status() {
    status_command "$STATE_DIR" broker_pid "bootstrap $HOST:$PORT" "port $PORT not open yet" \
        port_open "$HOST" "$PORT"
}

daemon_main "$@"
