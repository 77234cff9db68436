# shellcheck shell=bash
# Shell machinery shared by the deploy scripts that run a local server for the tests and the demo
# (kafka.sh, keycloak.sh, postgres.sh). Sourced, never run; the script keeps `set -euo pipefail`.
#
# Before sourcing, the script sets:
#   DAEMON_SCRIPT          its name in messages, e.g. kafka.sh
#   DAEMON_EXTRA_COMMAND   its command besides start, stop and status, e.g. jars
# and defines cmd_start, cmd_stop, cmd_status and cmd_<DAEMON_EXTRA_COMMAND>; daemon_main runs them.
#
# Only the script's one result (an address) goes to stdout; every message here goes to stderr.

log() { printf '%s: %s\n' "$DAEMON_SCRIPT" "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
    echo "usage: $0 start|stop [--purge]|status|$DAEMON_EXTRA_COMMAND" >&2
    exit 2
}

# Runs the command named by the first argument; a wrong command or argument count is a usage error.
daemon_main() {
    [[ $# -ge 1 ]] || usage
    local cmd="$1"
    shift
    case "$cmd" in
        start | status | "$DAEMON_EXTRA_COMMAND") [[ $# -eq 0 ]] || usage; "cmd_$cmd" ;;
        stop) cmd_stop "$@" ;;
        *) usage ;;
    esac
}

# Serialize concurrent invocations (e.g. parallel test workers) on one lock file. The scripts close
# the fd for the server they launch, so the server never holds the lock.
take_lock() { # $1 = fd, $2 = lock file
    if command -v flock >/dev/null 2>&1; then
        mkdir -p "$(dirname "$2")"
        eval "exec $1>\"\$2\""
        flock "$1"
    fi
}

port_open() { # $1 = host, $2 = port
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# The argument of `stop`: returns 0 for --purge, 1 for none; anything else is a usage error.
wants_purge() { # $1 = stop's first argument
    case "${1:-}" in
        "") return 1 ;;
        --purge) return 0 ;;
        *) usage ;;
    esac
}

# --- a server known by its pid -------------------------------------------------

# Is $1 the pid of a live process whose command line (arguments joined by spaces) function $2 accepts?
pid_is_ours() { # $1 = pid, $2 = function given the command line
    local pid="$1" cmdline
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    cmdline="$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline")" || return 1
    "$2" "$cmdline"
}

# Prints our server's pid if it is running, returns 1 if not. If the pid file is lost or stale, the
# server is looked for among the processes that have argument $3 (the one that makes it ours), and
# the pid file is rewritten. grep also lists itself, which the function $2 must reject.
find_our_pid() { # $1 = pid file, $2 = function given a command line, $3 = our server's argument
    local pid_file="$1" is_ours="$2" pid=""
    [[ -f "$pid_file" ]] && pid="$(<"$pid_file")"
    if pid_is_ours "$pid" "$is_ours"; then
        echo "$pid"
        return 0
    fi
    local cmdline_file
    while IFS= read -r cmdline_file; do
        pid="${cmdline_file#/proc/}"
        pid="${pid%/cmdline}"
        if pid_is_ours "$pid" "$is_ours"; then
            echo "$pid" >"$pid_file"
            echo "$pid"
            return 0
        fi
    done < <(grep -lzxF -- "$3" /proc/[0-9]*/cmdline 2>/dev/null)
    return 1
}

# TERM, wait up to $2 seconds, then KILL. With $4 = group, KILL goes to the process group that $1
# leads (a server started under setsid whose child, e.g. a JVM, would otherwise outlive it).
stop_pid() { # $1 = pid, $2 = timeout (s), $3 = its name in messages, $4 = group (optional)
    local pid="$1" timeout="$2" name="$3" deadline=$((SECONDS + $2))
    kill -TERM "$pid" 2>/dev/null || return 0
    while kill -0 "$pid" 2>/dev/null; do
        if ((SECONDS >= deadline)); then
            log "$name (pid $pid) still running after ${timeout}s; sending KILL"
            if [[ "${4:-}" == group ]]; then
                kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
            else
                kill -KILL "$pid" 2>/dev/null || true
            fi
            local kill_deadline=$((SECONDS + 5))
            while kill -0 "$pid" 2>/dev/null && ((SECONDS < kill_deadline)); do
                sleep 0.1
            done
            break
        fi
        sleep 0.2
    done
}

# `stop [--purge]`: under the state dir's lock, stop the server and forget its pid file;
# --purge then deletes the state dir.
stop_command() { # $1 = state dir, $2 = pid file, $3 = function printing the pid, $4 = function stopping pid $1,
                 # $5 = the server's name in messages, $6 = stop's argument
    local state_dir="$1" pid_file="$2" find_pid="$3" stop="$4" name="$5" purge=0
    wants_purge "${6:-}" && purge=1
    if [[ -d "$state_dir" ]]; then
        take_lock 9 "$state_dir/.lock"
        local pid
        if pid="$("$find_pid")"; then
            log "stopping $name (pid $pid)"
            "$stop" "$pid"
            kill -0 "$pid" 2>/dev/null && die "$name (pid $pid) is still running"
            log "stopped"
        else
            log "not running"
        fi
        rm -f "$pid_file"
    else
        log "not running"
    fi
    if ((purge)); then
        log "deleting $state_dir"
        rm -rf "$state_dir"
    fi
}

# `status`: prints "running (pid N, <$3 if the command $5.. succeeds, else starting: $4>)" and returns 0,
# or prints "stopped" and returns 1.
status_command() { # $1 = state dir, $2 = function printing the pid, $3 = text when ready, $4 = text while starting,
                   # $5.. = the readiness check
    local state_dir="$1" find_pid="$2" ready="$3" starting="$4" pid
    shift 4
    if [[ -d "$state_dir" ]] && pid="$("$find_pid")"; then
        if "$@"; then
            echo "running (pid $pid, $ready)"
        else
            echo "running (pid $pid, starting: $starting)"
        fi
        return 0
    fi
    echo "stopped"
    return 1
}
