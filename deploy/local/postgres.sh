#!/usr/bin/env bash
# Local PostgreSQL for development and CI (Debian's postgresql packages, no Docker).
#
#   deploy/local/postgres.sh up      install if needed, create/configure/start the cluster,
#                                    ensure role "firesafe" (password "firesafe", CREATEDB)
#                                    and database "firesafe"; waits until it accepts connections
#   deploy/local/postgres.sh down    stop the cluster (harmless when already stopped)
#   deploy/local/postgres.sh status  exit 0 iff the server answers on 127.0.0.1:$PORT
#
# Connection URL once up:  postgresql://firesafe:firesafe@127.0.0.1:5432/firesafe
#
# Environment:
#   PGPORT_FIRESAFE      TCP port (default 5432); the server listens on 127.0.0.1 only
#   FIRESAFE_PG_CLUSTER  Debian cluster name (default "main")
#   FIRESAFE_PG_WAIT     seconds to wait for readiness (default 60)
#
# Works as root (CI on a fresh machine, no systemd) or as a user with sudo.
set -euo pipefail

PORT="${PGPORT_FIRESAFE:-5432}"
CLUSTER="${FIRESAFE_PG_CLUSTER:-main}"
WAIT_SECONDS="${FIRESAFE_PG_WAIT:-60}"
HOST=127.0.0.1
APP_ROLE=firesafe
APP_PASSWORD=firesafe
APP_DB=firesafe
MAX_CONNECTIONS=300

log() { printf '[postgres] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Run a command as root (directly, or through sudo for a non-root developer).
as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

# Run a command as the postgres OS user.
as_postgres() {
    if [[ $(id -u) -eq 0 ]]; then
        if command -v runuser >/dev/null 2>&1; then
            runuser -u postgres -- "$@"
        else
            su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
        fi
    else
        sudo -u postgres "$@"
    fi
}

# Newest PostgreSQL major version whose server binaries are installed ("" if none).
installed_version() {
    local d v best=""
    for d in /usr/lib/postgresql/*/bin/postgres; do
        [[ -x $d ]] || continue
        v=${d#/usr/lib/postgresql/}
        v=${v%%/*}
        if [[ -z $best ]] || (( v > best )); then best=$v; fi
    done
    printf '%s' "$best"
}

ensure_installed() {
    if [[ -n $(installed_version) ]] && command -v pg_createcluster >/dev/null 2>&1 \
        && command -v pg_ctlcluster >/dev/null 2>&1; then
        return 0
    fi
    log "PostgreSQL server binaries not found: installing Debian package 'postgresql'"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql
    [[ -n $(installed_version) ]] || die "postgresql installed but no server binaries under /usr/lib/postgresql"
}

is_ready() {
    pg_isready -h "$HOST" -p "$PORT" -q -t 2 >/dev/null 2>&1
}

wait_ready() {
    local deadline=$((SECONDS + WAIT_SECONDS))
    until is_ready; do
        if (( SECONDS >= deadline )); then
            die "server not ready on $HOST:$PORT after ${WAIT_SECONDS}s (see /var/log/postgresql/postgresql-$VER-$CLUSTER.log)"
        fi
        sleep 0.2
    done
}

cluster_exists() {
    pg_lsclusters -h 2>/dev/null | awk -v v="$VER" -v c="$CLUSTER" '$1 == v && $2 == c {found=1} END {exit !found}'
}

cluster_online() {
    pg_lsclusters -h 2>/dev/null | awk -v v="$VER" -v c="$CLUSTER" '$1 == v && $2 == c && $4 ~ /^online/ {found=1} END {exit !found}'
}

ensure_runtime_dirs() {
    # /var/run/postgresql is a tmpfs directory normally made at boot by systemd-tmpfiles.
    as_root install -d -o postgres -g postgres -m 2775 /var/run/postgresql
    as_root install -d -o postgres -g postgres -m 1775 /var/log/postgresql
}

ensure_cluster() {
    if ! cluster_exists; then
        log "creating cluster $VER/$CLUSTER on port $PORT"
        as_root pg_createcluster --port "$PORT" "$VER" "$CLUSTER" -- \
            --auth-local=peer --auth-host=scram-sha-256 >/dev/null
    fi
}

# Settings for a local dev/CI database. Changed ones that need a restart are detected
# through pg_settings.pending_restart after a reload.
configure_cluster() {
    local confdir=/etc/postgresql/$VER/$CLUSTER
    local hba=$confdir/pg_hba.conf
    [[ -f $hba ]] || die "missing $hba"

    # The port goes into postgresql.conf itself, where pg_lsclusters/pg_ctlcluster read it.
    as_root pg_conftool "$VER" "$CLUSTER" set port "$PORT"
    # Everything else lives in a file of our own under conf.d/ (Debian's postgresql.conf
    # ends with include_dir = 'conf.d'; add it if someone removed it).
    local conf=$confdir/postgresql.conf
    if ! as_root grep -qE "^[[:space:]]*include_dir[[:space:]]*=[[:space:]]*'conf\.d'" "$conf"; then
        printf "\ninclude_dir = 'conf.d'\n" | as_root tee -a "$conf" >/dev/null
    fi
    as_root install -d -o postgres -g postgres -m 0755 "$confdir/conf.d"
    local tmp
    tmp=$(mktemp)
    cat >"$tmp" <<CONF
# Written by deploy/local/postgres.sh -- local development / CI settings.
listen_addresses = '$HOST'
max_connections = $MAX_CONNECTIONS
password_encryption = 'scram-sha-256'
# Throwaway local/CI data: trade crash durability for speed (tests create/drop many DBs).
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
    as_root install -o postgres -g postgres -m 0644 "$tmp" "$confdir/conf.d/50-firesafe.conf"
    rm -f "$tmp"

    # Password auth over TCP on 127.0.0.1 (first matching line wins, so put ours on top).
    local marker="# firesafe: password auth over TCP (deploy/local/postgres.sh)"
    if ! as_root grep -qF "$marker" "$hba"; then
        log "adding scram-sha-256 rule for $HOST/32 to $hba"
        tmp=$(mktemp)
        {
            printf '%s\n' "$marker"
            printf 'host    all             all             %s/32            scram-sha-256\n' "$HOST"
            as_root cat "$hba"
        } >"$tmp"
        as_root install -o postgres -g postgres -m 0640 "$tmp" "$hba"
        rm -f "$tmp"
    fi
}

psql_admin() {
    as_postgres psql -X -q -v ON_ERROR_STOP=1 -h /var/run/postgresql -p "$PORT" -d postgres "$@"
}

start_cluster() {
    if cluster_online; then
        # Pick up config edits; restart only if one of them needs it.
        as_root pg_ctlcluster "$VER" "$CLUSTER" reload
        local pending
        pending=$(psql_admin -tAc "select count(*) from pg_settings where pending_restart")
        if [[ $pending != 0 ]]; then
            log "restarting cluster $VER/$CLUSTER to apply settings"
            as_root pg_ctlcluster "$VER" "$CLUSTER" restart -m fast
        fi
    else
        log "starting cluster $VER/$CLUSTER"
        as_root pg_ctlcluster "$VER" "$CLUSTER" start
    fi
}

ensure_role_and_db() {
    psql_admin <<SQL
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$APP_ROLE') THEN
        CREATE ROLE $APP_ROLE LOGIN CREATEDB PASSWORD '$APP_PASSWORD';
    ELSE
        ALTER ROLE $APP_ROLE LOGIN CREATEDB PASSWORD '$APP_PASSWORD';
    END IF;
END
\$\$;
SQL
    if [[ $(psql_admin -tAc "select 1 from pg_database where datname = '$APP_DB'") != 1 ]]; then
        log "creating database $APP_DB"
        psql_admin -c "CREATE DATABASE $APP_DB OWNER $APP_ROLE"
    fi
}

cmd_up() {
    ensure_installed
    VER=$(installed_version)
    ensure_runtime_dirs
    ensure_cluster
    configure_cluster
    start_cluster
    wait_ready
    ensure_role_and_db
    # Prove password auth over TCP works, as the apps will use it.
    PGPASSWORD=$APP_PASSWORD psql -X -q -h "$HOST" -p "$PORT" -U "$APP_ROLE" -d "$APP_DB" \
        -tAc 'select 1' >/dev/null || die "password login as $APP_ROLE over TCP failed"
    log "ready: postgresql://$APP_ROLE:$APP_PASSWORD@$HOST:$PORT/$APP_DB (PostgreSQL $VER)"
}

cmd_down() {
    VER=$(installed_version)
    if [[ -z $VER ]] || ! command -v pg_lsclusters >/dev/null 2>&1 || ! cluster_exists; then
        log "no cluster to stop"
        return 0
    fi
    if cluster_online; then
        log "stopping cluster $VER/$CLUSTER"
        as_root pg_ctlcluster "$VER" "$CLUSTER" stop -m fast
    else
        log "cluster $VER/$CLUSTER already stopped"
    fi
}

cmd_status() {
    if is_ready; then
        log "ready on $HOST:$PORT"
        return 0
    fi
    log "not ready on $HOST:$PORT"
    return 1
}

VER=""
case "${1:-}" in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    *)
        echo "usage: $0 up|down|status" >&2
        exit 2
        ;;
esac
