#!/usr/bin/env bash
# Local infrastructure for development and CI: PostgreSQL + Redis, and Kafka, no Docker.
#
#   deploy/local/infra.sh up      start them (Kafka in parallel) and wait until all answer
#   deploy/local/infra.sh down    stop them
#   deploy/local/infra.sh status  exit 0 iff all answer
#
# Once up:
#   DATABASE_URL            postgresql+asyncpg://firesafe:firesafe@127.0.0.1:5432/firesafe
#   KAFKA_BOOTSTRAP_SERVERS 127.0.0.1:9092
#   FIRESAFE_RATE_LIMIT_STORAGE redis://127.0.0.1:6379/0 (several gateways sharing counters)
#
# See postgres.sh, redis.sh and kafka.sh beside this file for the details and their environment knobs.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { printf '[infra] %s\n' "$*" >&2; }

# Run "postgres.sh $1 && redis.sh $1" (one after the other: both may apt-get) and
# "kafka.sh $1" in parallel; fail if either fails.
both() {
    local action=$1 rc=0 pg_pid kafka_pid start=$SECONDS
    log "postgres.sh $action && redis.sh $action & kafka.sh $action"
    { bash "$SCRIPT_DIR/postgres.sh" "$action" && bash "$SCRIPT_DIR/redis.sh" "$action"; } &
    pg_pid=$!
    bash "$SCRIPT_DIR/kafka.sh" "$action" &
    kafka_pid=$!
    if ! wait "$pg_pid"; then
        log "postgres.sh or redis.sh $action FAILED"
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
        log "Redis:      redis://127.0.0.1:6379/0"
        ;;
    down) both down ;;
    status)
        rc=0
        bash "$SCRIPT_DIR/postgres.sh" status || rc=1
        bash "$SCRIPT_DIR/redis.sh" status || rc=1
        bash "$SCRIPT_DIR/kafka.sh" status || rc=1
        exit "$rc"
        ;;
    *)
        echo "usage: $0 up|down|status" >&2
        exit 2
        ;;
esac
