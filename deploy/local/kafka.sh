#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft, broker+controller in one JVM) for development and CI.
# No Docker and no tarball download: the broker jars come from Maven Central through
# deploy/local/kafka/pom.xml and are run with plain `java -cp`.
#
#   deploy/local/kafka.sh up      fetch jars if needed, format storage if needed, start, wait
#   deploy/local/kafka.sh down    stop (same as stop)
#   deploy/local/kafka.sh start   start the broker and wait until it answers (idempotent;
#                                 keeps the data of an earlier run: never reformats)
#   deploy/local/kafka.sh stop    SIGTERM, wait up to 30 s, then SIGKILL (harmless if stopped)
#   deploy/local/kafka.sh status  exit 0 iff a broker answers on 127.0.0.1:9092
#
# Bootstrap servers once up: 127.0.0.1:9092
#
# State lives in ${FIRESAFE_INFRA_DIR:-<repo>/.infra}/kafka:
#   libs/            jars (copied by maven-dependency-plugin)
#   data/            KRaft metadata + topic data (log.dirs)
#   logs/            server.log (broker, log4j2), kafka.out (JVM stdout/stderr), tools.log
#   server.properties, log4j2.properties, tools-log4j2.properties, cluster.id, kafka.pid
#
# Environment:
#   FIRESAFE_INFRA_DIR   state root (default <repo>/.infra)
#   FIRESAFE_KAFKA_WAIT  seconds to wait for the broker to answer (default 60)
#   KAFKA_HEAP_OPTS      JVM heap options (default -Xms512m -Xmx512m)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
INFRA_DIR=${FIRESAFE_INFRA_DIR:-$REPO_ROOT/.infra}
mkdir -p "$INFRA_DIR"
INFRA_DIR=$(cd "$INFRA_DIR" && pwd)
CACHE=$INFRA_DIR/kafka
LIBS=$CACHE/libs
DATA=$CACHE/data
LOGS=$CACHE/logs
CONF=$CACHE/server.properties
LOG4J_CONF=$CACHE/log4j2.properties
TOOLS_LOG4J_CONF=$CACHE/tools-log4j2.properties
CLUSTER_ID_FILE=$CACHE/cluster.id
PIDFILE=$CACHE/kafka.pid
LOCKFILE=$CACHE/.lock
POM=$SCRIPT_DIR/kafka/pom.xml
PROBE=$SCRIPT_DIR/kafka_probe.py

HOST=127.0.0.1
PORT=9092
CONTROLLER_PORT=9093
WAIT_SECONDS=${FIRESAFE_KAFKA_WAIT:-60}
STOP_WAIT_SECONDS=30
HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms512m -Xmx512m}

log() { printf '[kafka] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

APT_UPDATED=0
apt_install() {
    if [[ $APT_UPDATED -eq 0 ]]; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
        APT_UPDATED=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

JAVA=java
ensure_java() {
    if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]]; then
        JAVA=$JAVA_HOME/bin/java
    elif ! command -v java >/dev/null 2>&1; then
        log "java not found: installing Debian package openjdk-17-jre-headless"
        apt_install openjdk-17-jre-headless
    fi
}

ensure_maven() {
    if ! command -v mvn >/dev/null 2>&1; then
        log "mvn not found: installing Debian package maven"
        apt_install maven
    fi
}

ensure_libs() {
    if [[ -d $LIBS ]] && compgen -G "$LIBS/kafka_2.13-*.jar" >/dev/null; then
        return 0
    fi
    ensure_maven
    log "fetching Kafka jars with Maven into $LIBS"
    rm -rf "$LIBS"
    local tmp=$LIBS.tmp.$$
    rm -rf "$tmp"
    mvn -q -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
        -DoutputDirectory="$tmp" >&2
    compgen -G "$tmp/kafka_2.13-*.jar" >/dev/null || die "maven did not produce the kafka jars"
    mv "$tmp" "$LIBS"
}

write_configs() {
    mkdir -p "$DATA" "$LOGS"
    local tmp=$CONF.tmp.$$
    cat >"$tmp" <<EOF
# Written by deploy/local/kafka.sh -- single-node KRaft broker for local development and CI.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=$HOST:$CONTROLLER_PORT
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$PORT
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT

log.dirs=$DATA
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=false
delete.topic.enable=true

offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0

num.network.threads=3
num.io.threads=4
num.recovery.threads.per.data.dir=2
log.retention.hours=168
log.segment.bytes=104857600
EOF
    mv "$tmp" "$CONF"

    tmp=$LOG4J_CONF.tmp.$$
    cat >"$tmp" <<EOF
# Written by deploy/local/kafka.sh -- broker logs go to files, never to the terminal.
status = warn
name = firesafe-local-kafka

appender.server.type = RollingFile
appender.server.name = SERVER
appender.server.fileName = $LOGS/server.log
appender.server.filePattern = $LOGS/server.log.%i
appender.server.layout.type = PatternLayout
appender.server.layout.pattern = [%d] %p %m (%c)%n
appender.server.policies.type = Policies
appender.server.policies.size.type = SizeBasedTriggeringPolicy
appender.server.policies.size.size = 20MB
appender.server.strategy.type = DefaultRolloverStrategy
appender.server.strategy.max = 3

rootLogger.level = INFO
rootLogger.appenderRef.server.ref = SERVER

# Chatty loggers: warnings only.
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.network.name = kafka.network.RequestChannel\$
logger.network.level = WARN
logger.statechange.name = state.change.logger
logger.statechange.level = WARN
logger.authorizer.name = kafka.authorizer.logger
logger.authorizer.level = WARN
logger.logcleaner.name = kafka.log.LogCleaner
logger.logcleaner.level = WARN
logger.zookeeper.name = org.apache.zookeeper
logger.zookeeper.level = WARN
EOF
    mv "$tmp" "$LOG4J_CONF"

    tmp=$TOOLS_LOG4J_CONF.tmp.$$
    cat >"$tmp" <<EOF
# Written by deploy/local/kafka.sh -- logging of the Kafka command-line tools it runs.
status = warn
name = firesafe-local-kafka-tools
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = $LOGS/tools.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.file.ref = FILE
EOF
    mv "$tmp" "$TOOLS_LOG4J_CONF"
}

# Run a Kafka command-line tool class from the jars (small heap, fast JIT start-up).
kafka_tool() {
    "$JAVA" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
        -Dlog4j2.configurationFile="$TOOLS_LOG4J_CONF" -cp "$LIBS/*" "$@"
}

ensure_formatted() {
    if [[ -f $DATA/meta.properties ]]; then
        return 0
    fi
    if [[ ! -s $CLUSTER_ID_FILE ]]; then
        kafka_tool kafka.tools.StorageTool random-uuid | tr -d '[:space:]' >"$CLUSTER_ID_FILE.tmp"
        [[ -s $CLUSTER_ID_FILE.tmp ]] || die "could not generate a cluster id"
        mv "$CLUSTER_ID_FILE.tmp" "$CLUSTER_ID_FILE"
    fi
    local cluster_id
    cluster_id=$(<"$CLUSTER_ID_FILE")
    log "formatting storage in $DATA (cluster id $cluster_id)"
    kafka_tool kafka.tools.StorageTool format --standalone -t "$cluster_id" -c "$CONF" >&2
    [[ -f $DATA/meta.properties ]] || die "format did not write $DATA/meta.properties"
}

answering() {
    if command -v python3 >/dev/null 2>&1; then
        python3 "$PROBE" "$HOST" "$PORT" 2
    else
        [[ -d $LIBS ]] || return 1
        kafka_tool org.apache.kafka.tools.BrokerApiVersionsCommand \
            --bootstrap-server "$HOST:$PORT" >/dev/null 2>&1
    fi
}

# True if the process exists and is not a zombie (a reparented zombie answers kill -0).
alive() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat:0:1} != Z ]]
}

# Command line of a process, arguments joined by spaces (bash builtins only: no fork per pid).
cmdline_of() {
    local -a args=()
    mapfile -d '' -t args 2>/dev/null <"/proc/$1/cmdline" || return 1
    ((${#args[@]})) || return 1
    printf '%s ' "${args[@]}"
}

is_our_broker() {
    [[ $1 =~ ^[0-9]+$ ]] || return 1
    local cmd
    cmd=$(cmdline_of "$1") || return 1
    [[ $cmd == *" kafka.Kafka $CONF "* ]] && alive "$1"
}

# PID of the broker running with our server.properties: from the pid file, or (if that file
# was lost) found by its command line, in which case the pid file is rewritten.
our_pid() {
    local pid="" f
    [[ -f $PIDFILE ]] && pid=$(<"$PIDFILE")
    if is_our_broker "$pid"; then
        printf '%s' "$pid"
        return 0
    fi
    for f in /proc/[0-9]*/cmdline; do
        pid=${f#/proc/}
        pid=${pid%/cmdline}
        if is_our_broker "$pid"; then
            printf '%s\n' "$pid" >"$PIDFILE"
            printf '%s' "$pid"
            return 0
        fi
    done
    return 1
}

# Any other kafka.Kafka process (e.g. started from another checkout's .infra dir).
foreign_broker() {
    local f pid cmd
    for f in /proc/[0-9]*/cmdline; do
        pid=${f#/proc/}
        pid=${pid%/cmdline}
        cmd=$(cmdline_of "$pid") || continue
        if [[ $cmd == *" kafka.Kafka "* && $cmd != *" kafka.Kafka $CONF "* ]]; then
            printf '%s: %s' "$pid" "${cmd##* kafka.Kafka }"
            return 0
        fi
    done
    return 1
}

show_log_tail() {
    log "last lines of $LOGS/kafka.out and $LOGS/server.log:"
    tail -n 20 "$LOGS/kafka.out" 2>/dev/null >&2 || true
    tail -n 40 "$LOGS/server.log" 2>/dev/null >&2 || true
}

# Poll until the broker answers a real request; fail early if the process dies.
wait_answering() {
    local pid=$1 start=$SECONDS
    local deadline=$((SECONDS + WAIT_SECONDS))
    until answering; do
        if ! alive "$pid"; then
            show_log_tail
            die "broker process $pid exited during start-up"
        fi
        if (( SECONDS >= deadline )); then
            show_log_tail
            die "broker did not answer on $HOST:$PORT within ${WAIT_SECONDS}s (pid $pid still running)"
        fi
        sleep 0.2
    done
    log "broker answering on $HOST:$PORT (pid $pid, ready after $((SECONDS - start))s)"
}

LAUNCHED_PID=""
launch() {
    mkdir -p "$LOGS"
    rm -f "$PIDFILE"
    # setsid + nohup: detached from the caller's session and terminal; all three standard
    # streams redirected (and the lock fd closed) so a caller capturing our output, e.g. a
    # test running this script through subprocess, is not kept waiting by the broker.
    # shellcheck disable=SC2016,SC2086
    nohup setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PIDFILE" \
        "$JAVA" $HEAP_OPTS -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
        -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
        -Djava.awt.headless=true \
        -Dkafka.logs.dir="$LOGS" \
        -Dlog4j2.configurationFile="$LOG4J_CONF" \
        -cp "$LIBS/*" kafka.Kafka "$CONF" \
        </dev/null >>"$LOGS/kafka.out" 2>&1 9>&- &
    local deadline=$((SECONDS + 10))
    until [[ -s $PIDFILE ]]; do
        (( SECONDS < deadline )) || die "broker launcher did not write $PIDFILE"
        sleep 0.05
    done
    LAUNCHED_PID=$(<"$PIDFILE")
}

with_lock() {
    mkdir -p "$CACHE"
    exec 9>"$LOCKFILE"
    if ! flock -w 120 9; then
        die "timed out waiting for the lock $LOCKFILE (another kafka.sh running?)"
    fi
}

cmd_start() {
    local pid other
    if pid=$(our_pid); then
        if answering; then
            log "already running and answering on $HOST:$PORT (pid $pid)"
            return 0
        fi
        log "broker pid $pid is running but not answering yet: waiting"
        wait_answering "$pid"
        return 0
    fi
    if answering; then
        if other=$(foreign_broker); then
            log "WARNING: a broker not started from $CACHE already answers on $HOST:$PORT (pid $other); leaving it alone"
        else
            log "WARNING: something else already answers on $HOST:$PORT; leaving it alone"
        fi
        return 0
    fi
    ensure_java
    ensure_libs
    write_configs
    ensure_formatted
    log "starting broker (logs: $LOGS/server.log)"
    launch
    wait_answering "$LAUNCHED_PID"
}

cmd_stop() {
    local pid other
    if ! pid=$(our_pid); then
        rm -f "$PIDFILE"
        if other=$(foreign_broker); then
            log "not running from $CACHE (another broker runs as pid $other; not touched)"
        else
            log "not running"
        fi
        return 0
    fi
    log "stopping broker (pid $pid)"
    local start=$SECONDS
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + STOP_WAIT_SECONDS))
    while alive "$pid"; do
        if (( SECONDS >= deadline )); then
            log "still running after ${STOP_WAIT_SECONDS}s: sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            deadline=$((SECONDS + 10))
            while alive "$pid" && (( SECONDS < deadline )); do sleep 0.1; done
            break
        fi
        sleep 0.05
    done
    rm -f "$PIDFILE"
    log "stopped after $((SECONDS - start))s"
}

cmd_status() {
    if answering; then
        log "answering on $HOST:$PORT"
        return 0
    fi
    log "not answering on $HOST:$PORT"
    return 1
}

case "${1:-}" in
    up | start)
        with_lock
        cmd_start
        ;;
    down | stop)
        with_lock
        cmd_stop
        ;;
    status) cmd_status ;;
    *)
        echo "usage: $0 up|down|start|stop|status" >&2
        exit 2
        ;;
esac
