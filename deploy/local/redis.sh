#!/usr/bin/env bash
# Local Redis for development and CI (Debian's redis-server, no Docker): the shared counter
# store of the gateway's rate limits when several gateway replicas run.
#
#   deploy/local/redis.sh up      install if needed, start on 127.0.0.1:$PORT, wait until it answers
#   deploy/local/redis.sh down    stop it (harmless when already stopped)
#   deploy/local/redis.sh status  exit 0 iff it answers
#
# URL once up: redis://127.0.0.1:6379/0
#
# Environment:
#   REDIS_PORT_FIRESAFE  TCP port (default 6379); listens on 127.0.0.1 only
#   FIRESAFE_INFRA_DIR   where its data and log live (default <repo>/.infra)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PORT="${REDIS_PORT_FIRESAFE:-6379}"
INFRA_DIR="${FIRESAFE_INFRA_DIR:-$SCRIPT_DIR/../../.infra}"
DIR="$INFRA_DIR/redis"

log() { printf '[redis] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

ensure_installed() {
    command -v redis-server >/dev/null 2>&1 && return 0
    log "redis-server not found: installing Debian package 'redis-server'"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server
}

is_ready() { redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null | grep -q PONG; }

up() {
    ensure_installed
    if is_ready; then log "already answering on 127.0.0.1:$PORT"; return 0; fi
    mkdir -p "$DIR"
    # No persistence: it holds rate-limit counters only, which may be lost on a restart.
    redis-server --bind 127.0.0.1 --port "$PORT" --daemonize yes --save "" --appendonly no \
        --dir "$DIR" --logfile "$DIR/redis.log" --pidfile "$DIR/redis.pid"
    for _ in $(seq 1 50); do
        if is_ready; then log "up on 127.0.0.1:$PORT"; return 0; fi
        sleep 0.2
    done
    die "no answer on 127.0.0.1:$PORT; see $DIR/redis.log"
}

down() {
    if is_ready; then redis-cli -h 127.0.0.1 -p "$PORT" shutdown nosave >/dev/null 2>&1 || true; fi
    log "stopped"
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    status) is_ready ;;
    *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
