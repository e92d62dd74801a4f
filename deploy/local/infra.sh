#!/usr/bin/env bash
# Local infrastructure for development and CI: PostgreSQL + Kafka, no Docker.
#
#   deploy/local/infra.sh up      start both (in parallel) and wait until both answer
#   deploy/local/infra.sh down    stop both
#   deploy/local/infra.sh status  exit 0 iff both answer
#
# Once up:
#   DATABASE_URL            postgresql+asyncpg://firesafe:firesafe@127.0.0.1:5432/firesafe
#   KAFKA_BOOTSTRAP_SERVERS 127.0.0.1:9092
#
# See postgres.sh and kafka.sh beside this file for the details and their environment knobs.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { printf '[infra] %s\n' "$*" >&2; }

# Run "postgres.sh $1" and "kafka.sh $1" in parallel; fail if either fails.
both() {
    local action=$1 rc=0 pg_pid kafka_pid start=$SECONDS
    log "postgres.sh $action & kafka.sh $action"
    bash "$SCRIPT_DIR/postgres.sh" "$action" &
    pg_pid=$!
    bash "$SCRIPT_DIR/kafka.sh" "$action" &
    kafka_pid=$!
    if ! wait "$pg_pid"; then
        log "postgres.sh $action FAILED"
        rc=1
    fi
    if ! wait "$kafka_pid"; then
        log "kafka.sh $action FAILED"
        rc=1
    fi
    if [[ $rc -eq 0 ]]; then
        log "$action done in $((SECONDS - start))s"
    fi
    return "$rc"
}

case "${1:-}" in
    up)
        both up
        log "PostgreSQL: postgresql://firesafe:firesafe@127.0.0.1:${PGPORT_FIRESAFE:-5432}/firesafe"
        log "Kafka:      127.0.0.1:9092"
        ;;
    down) both down ;;
    status)
        rc=0
        bash "$SCRIPT_DIR/postgres.sh" status || rc=1
        bash "$SCRIPT_DIR/kafka.sh" status || rc=1
        exit "$rc"
        ;;
    *)
        echo "usage: $0 up|down|status" >&2
        exit 2
        ;;
esac
