#!/usr/bin/env bash
# One-node Apache Kafka in KRaft mode for the local stack, run straight from the jars that
# Maven resolves from Central (pom.xml beside this file). Subcommands: fetch, start, stop, status.
# Quiet on success; on failure, one line with the reason and a remedy, and a non-zero exit.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")"
cache="${TOLLGATE_CACHE:-$HOME/.cache/tollgate}/kafka"
libs="$cache/$version/libs"
data="$cache/data"
logs="$cache/logs"
pidfile="$cache/kafka.pid"
port="${TOLLGATE_KAFKA_PORT:-9092}"
controller_port="${TOLLGATE_KAFKA_CONTROLLER_PORT:-9093}"

fail() { echo "kafka: $*" >&2; exit 1; }

need_java() {
  command -v java >/dev/null 2>&1 || fail "java not found; install a JDK 17+ (apt-get install openjdk-17-jre-headless)"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running() { [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

fetch() {
  [[ -f "$libs/.complete" ]] && return 0
  command -v mvn >/dev/null 2>&1 || fail "mvn not found; install Maven (apt-get install maven) to fetch Kafka $version"
  mkdir -p "$cache" "$logs"
  rm -rf "$libs"
  if ! mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
      -DoutputDirectory="$libs" >"$logs/fetch.log" 2>&1; then
    fail "could not download Kafka $version from Maven Central; see $logs/fetch.log and check network access to the Maven registry"
  fi
  touch "$libs/.complete"
}

write_config() {
  mkdir -p "$cache/config"
  cat >"$cache/config/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$data
num.partitions=4
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
delete.topic.enable=true
log.retention.hours=168
PROPS
  cat >"$cache/config/log4j2.properties" <<PROPS
appender.file.type=File
appender.file.name=file
appender.file.fileName=$logs/server.log
appender.file.layout.type=PatternLayout
appender.file.layout.pattern=[%d] %p %m (%c)%n
rootLogger.level=INFO
rootLogger.appenderRef.file.ref=file
logger.kafka.name=kafka
logger.kafka.level=INFO
logger.state.name=state.change.logger
logger.state.level=WARN
PROPS
}

kafka_java() {
  java -Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$cache/config/log4j2.properties" \
    -cp "$libs/*" "$@"
}

format_storage() {
  [[ -f "$data/meta.properties" ]] && return 0
  mkdir -p "$data"
  local id
  id="$(kafka_java kafka.tools.StorageTool random-uuid 2>>"$logs/format.log" | tail -n1)"
  kafka_java kafka.tools.StorageTool format -t "$id" -c "$cache/config/server.properties" \
    >>"$logs/format.log" 2>&1 || fail "formatting the KRaft storage in $data failed; see $logs/format.log"
}

start() {
  need_java
  if running; then return 0; fi
  if port_open "$port" || port_open "$controller_port"; then
    fail "port $port or $controller_port is taken by another process; stop it or set TOLLGATE_KAFKA_PORT / TOLLGATE_KAFKA_CONTROLLER_PORT"
  fi
  fetch
  mkdir -p "$logs"
  write_config
  format_storage
  nohup bash -c 'exec "$@"' _ java -Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$cache/config/log4j2.properties" \
    -cp "$libs/*" kafka.Kafka "$cache/config/server.properties" >"$logs/stdout.log" 2>&1 &
  echo $! >"$pidfile"
  local deadline=$((SECONDS + ${TOLLGATE_KAFKA_START_TIMEOUT:-90}))
  until port_open "$port"; do
    running || fail "Kafka exited during start-up; see $logs/server.log and $logs/stdout.log"
    ((SECONDS < deadline)) || fail "Kafka did not open port $port in time; see $logs/server.log"
    sleep 0.3
  done
}

stop() {
  running || { rm -f "$pidfile"; return 0; }
  local pid
  pid="$(cat "$pidfile")"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; return 0; }
    sleep 0.2
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

status() {
  if running; then
    echo "kafka $version: running (pid $(cat "$pidfile")) on 127.0.0.1:$port"
  else
    echo "kafka $version: stopped"
    return 3
  fi
}

case "${1:-}" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: kafka.sh fetch|start|stop|status" >&2; exit 2 ;;
esac
