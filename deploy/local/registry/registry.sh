#!/usr/bin/env bash
# Local Confluent-compatible schema registry for tollgate: Apicurio Registry, assembled from
# Maven Central by ./pom.xml, serving the Confluent API at /apis/ccompat/v7.
#
#   registry.sh build    fetch + unpack the pinned Apicurio distribution (no-op when up to date)
#   registry.sh start    build if needed, start in the background, wait until it answers
#   registry.sh stop     stop it (SIGTERM, wait, SIGKILL)
#   registry.sh status   one line; exit 0 if running, 3 if not
#   registry.sh url      print the ccompat URL for the configured port
#
# Environment (all optional):
#   TOLLGATE_CACHE                  cache root (default ~/.cache/tollgate); this uses <root>/registry
#   TOLLGATE_REGISTRY_PORT          HTTP port on 127.0.0.1 (default 8081)
#   TOLLGATE_REGISTRY_STORAGE       postgresql (default: ids survive restarts) | mem (in-memory H2)
#   TOLLGATE_REGISTRY_PG_HOST/_PG_PORT/_PG_USER/_PG_PASSWORD/_PG_DB
#                                   default 127.0.0.1 / 5432 / postgres / postgres / tollgate_registry
#   TOLLGATE_REGISTRY_COMPATIBILITY global compatibility rule applied at start (default BACKWARD,
#                                   like Confluent; NONE leaves Apicurio without a global rule)
#   TOLLGATE_REGISTRY_JAVA_HOME     JDK/JRE to run with (must be Java >= 21; found automatically)
#   TOLLGATE_REGISTRY_START_TIMEOUT seconds to wait for the registry to answer (default 120)
#   TOLLGATE_REGISTRY_XMX           max heap (default 384m)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
POM="$HERE/pom.xml"

pom_prop() { sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$POM" | head -n1; }
VERSION=$(pom_prop apicurio.version)
JAVA_MIN=$(pom_prop apicurio.java.min)

CACHE="${TOLLGATE_CACHE:-$HOME/.cache/tollgate}/registry"
APP="$CACHE/quarkus-app"
STAMP="$CACHE/build.stamp"
PIDFILE="$CACHE/registry.pid"
STATEFILE="$CACHE/registry.state"
LOG="$CACHE/registry.log"
BUILD_LOG="$CACHE/build.log"
LOCK="$CACHE/registry.sh.lock"

PORT="${TOLLGATE_REGISTRY_PORT:-8081}"
HOST=127.0.0.1
URL="http://$HOST:$PORT/apis/ccompat/v7"
STORAGE="${TOLLGATE_REGISTRY_STORAGE:-postgresql}"
PG_HOST="${TOLLGATE_REGISTRY_PG_HOST:-127.0.0.1}"
PG_PORT="${TOLLGATE_REGISTRY_PG_PORT:-5432}"
PG_USER="${TOLLGATE_REGISTRY_PG_USER:-postgres}"
PG_PASSWORD="${TOLLGATE_REGISTRY_PG_PASSWORD:-postgres}"
PG_DB="${TOLLGATE_REGISTRY_PG_DB:-tollgate_registry}"
COMPATIBILITY="${TOLLGATE_REGISTRY_COMPATIBILITY:-BACKWARD}"
START_TIMEOUT="${TOLLGATE_REGISTRY_START_TIMEOUT:-120}"
XMX="${TOLLGATE_REGISTRY_XMX:-384m}"

die() { echo "registry: $*" >&2; exit 1; }

ensure_cache() { mkdir -p "$CACHE" || die "cannot create cache folder $CACHE; set TOLLGATE_CACHE to a writable folder"; }

# Serialise build/start/stop between concurrent callers (e.g. parallel test runners).
take_lock() {
  ensure_cache
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$LOCK"
    flock -w 300 9 || die "another registry.sh holds $LOCK for over 300 s; retry, or remove the stuck process"
  fi
}

# ---------------------------------------------------------------- java
java_major() { # $1 = java binary; prints the major version or nothing
  "$1" -version 2>&1 | sed -n 's/.* version "\([0-9]*\)\(\.[^"]*\)\{0,1\}".*/\1/p' | head -n1
}

find_java() { # prints a java binary of version >= JAVA_MIN, or fails with one line
  local c seen=""
  local -a cands=()
  [ -n "${TOLLGATE_REGISTRY_JAVA_HOME:-}" ] && cands+=("$TOLLGATE_REGISTRY_JAVA_HOME/bin/java")
  [ -n "${JAVA_HOME:-}" ] && cands+=("$JAVA_HOME/bin/java")
  command -v java >/dev/null 2>&1 && cands+=("$(command -v java)")
  for c in /usr/lib/jvm/*/bin/java /opt/java/*/bin/java /opt/*jdk*/bin/java; do cands+=("$c"); done
  local done_paths=" "
  for c in "${cands[@]}"; do
    [ -x "$c" ] || continue
    local real; real=$(readlink -f "$c" 2>/dev/null || echo "$c")
    case "$done_paths" in *" $real "*) continue ;; esac
    done_paths="$done_paths$real "
    local m; m=$(java_major "$c")
    [ -n "$m" ] || continue
    seen="$seen ${m}"
    if [ "$m" -ge "$JAVA_MIN" ]; then echo "$c"; return 0; fi
  done
  if [ -z "$seen" ]; then
    die "java not found; Apicurio $VERSION needs Java >= $JAVA_MIN: install a JDK $JAVA_MIN+ or set TOLLGATE_REGISTRY_JAVA_HOME"
  fi
  die "no Java >= $JAVA_MIN found (saw:$seen); Apicurio $VERSION needs it: install a JDK $JAVA_MIN+ or set TOLLGATE_REGISTRY_JAVA_HOME"
}

# ---------------------------------------------------------------- build
build_key() { echo "apicurio=$VERSION pom=$(sha256sum "$POM" | cut -c1-16)"; }

is_built() { [ -f "$APP/quarkus-run.jar" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(build_key)" ]; }

do_build() { # caller holds the lock
  is_built && return 0
  command -v mvn >/dev/null 2>&1 || die "mvn not found; install Maven (apt-get install maven) and re-run"
  local tmp="$CACHE/build.tmp"
  rm -rf "$tmp"
  # -DskipExternalRepos: Apicurio's parent pom otherwise adds repositories outside Maven Central.
  if ! mvn -B -q -f "$POM" -DbuildDir="$tmp" -DskipExternalRepos=true package >"$BUILD_LOG" 2>&1; then
    rm -rf "$tmp"
    die "maven could not download/unpack io.apicurio:apicurio-registry-app:$VERSION:tar.gz:all (see $BUILD_LOG); check access to Maven Central (~/.m2/settings.xml mirrors/proxy) and re-run"
  fi
  [ -f "$tmp/quarkus-app/quarkus-run.jar" ] || die "build produced no quarkus-run.jar (see $BUILD_LOG); delete $CACHE and re-run"
  rm -rf "$APP"
  mv "$tmp/quarkus-app" "$APP"
  rm -rf "$tmp"
  build_key >"$STAMP"
}

# ---------------------------------------------------------------- process helpers
our_pid() { # prints the pid of our running registry, or nothing
  [ -f "$PIDFILE" ] || return 0
  local pid; pid=$(cat "$PIDFILE" 2>/dev/null || true)
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  # Guard against pid reuse: the process must be running our quarkus-run.jar.
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$APP/quarkus-run.jar" || return 0
  echo "$pid"
}

http_code() { # $1 = url; prints the HTTP status code (000 when nothing answers)
  if command -v curl >/dev/null 2>&1; then
    curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$1" 2>/dev/null || true
  else
    local hostport=${1#http://}; hostport=${hostport%%/*}; local path="/${1#http://*/}"
    local h=${hostport%:*} p=${hostport##*:}
    ( exec 3<>"/dev/tcp/$h/$p" && printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$path" "$hostport" >&3 &&
      head -n1 <&3 | awk '{print $2}' ) 2>/dev/null || echo 000
  fi
}

ready() { [ "$(http_code "$URL/subjects")" = "200" ]; }

port_in_use() { (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; }

port_owner() { # best effort: "pid/name" of the listener on $PORT
  command -v ss >/dev/null 2>&1 || return 0
  ss -Hltnp "sport = :$PORT" 2>/dev/null | sed -n 's/.*users:((\("[^"]*",pid=[0-9]*\).*/\1/p' | head -n1 | tr -d '"' | sed 's/,pid=/ pid /'
}

state_get() { if [ -f "$STATEFILE" ]; then sed -n "s/^$1=//p" "$STATEFILE" | head -n1; fi; }

# ---------------------------------------------------------------- storage
ensure_pg_db() {
  command -v psql >/dev/null 2>&1 || die "psql not found (needed to create database $PG_DB); install postgresql-client, or use TOLLGATE_REGISTRY_STORAGE=mem"
  local q=(psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -v ON_ERROR_STOP=1 -qAt -w)
  local exists
  if ! exists=$(PGPASSWORD="$PG_PASSWORD" "${q[@]}" -c "select 1 from pg_database where datname = '$PG_DB'" 2>&1); then
    die "PostgreSQL not usable at $PG_HOST:$PG_PORT as $PG_USER ($(echo "$exists" | head -n1)); start it or set TOLLGATE_REGISTRY_PG_*, or use TOLLGATE_REGISTRY_STORAGE=mem"
  fi
  if [ "$exists" != "1" ]; then
    local out
    out=$(PGPASSWORD="$PG_PASSWORD" "${q[@]}" -c "create database \"$PG_DB\"" 2>&1) ||
      echo "$out" | grep -q 'already exists' ||
      die "cannot create database $PG_DB on $PG_HOST:$PG_PORT ($(echo "$out" | head -n1)); create it by hand or use TOLLGATE_REGISTRY_STORAGE=mem"
  fi
}

storage_args() {
  case "$STORAGE" in
    postgresql|postgres|pg)
      ensure_pg_db
      STORAGE_DESC="postgresql $PG_HOST:$PG_PORT/$PG_DB"
      JAVA_ARGS+=(-Dapicurio.storage.kind=sql -Dapicurio.storage.sql.kind=postgresql
        "-Dapicurio.datasource.url=jdbc:postgresql://$PG_HOST:$PG_PORT/$PG_DB"
        "-Dapicurio.datasource.username=$PG_USER")
      export APICURIO_DATASOURCE_PASSWORD="$PG_PASSWORD" ;;
    mem|memory|h2)
      STORAGE_DESC="in-memory (H2; lost on stop)"
      JAVA_ARGS+=(-Dapicurio.storage.kind=sql -Dapicurio.storage.sql.kind=h2) ;;
    *) die "unknown TOLLGATE_REGISTRY_STORAGE=$STORAGE; use postgresql or mem" ;;
  esac
}

apply_compatibility() { # $1 = pid. Apicurio has no global rule by default (= NONE); Confluent's default is BACKWARD
  [ "$COMPATIBILITY" = "NONE" ] && return 0
  command -v curl >/dev/null 2>&1 || return 0
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X PUT \
    -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
    --data "{\"compatibility\":\"$COMPATIBILITY\"}" "$URL/config" || true)
  [ "$code" = "200" ] && return 0
  kill_pid "$1"; rm -f "$PIDFILE"
  die "setting global compatibility $COMPATIBILITY failed (HTTP $code; registry stopped); see $LOG, or set TOLLGATE_REGISTRY_COMPATIBILITY=NONE"
}

# ---------------------------------------------------------------- commands
kill_pid() { # $1 = pid: SIGTERM, wait up to 20 s, then SIGKILL
  local pid=$1 _
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
  kill -KILL "$pid" 2>/dev/null || true
  for _ in $(seq 1 10); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
}

wait_ready() { # $1 = pid
  local pid=$1 deadline=$((SECONDS + START_TIMEOUT))
  while [ "$SECONDS" -lt "$deadline" ]; do
    ready && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PIDFILE"
      local why; why=$(grep -m1 -E ' ERROR |Exception:|Caused by' "$LOG" 2>/dev/null | cut -c1-200 || true)
      die "registry exited during startup${why:+: $why}; see $LOG"
    fi
    sleep 0.5
  done
  kill_pid "$pid"; rm -f "$PIDFILE"
  die "registry did not answer $URL/subjects within ${START_TIMEOUT}s (stopped it); see $LOG, or raise TOLLGATE_REGISTRY_START_TIMEOUT"
}

cmd_build() { take_lock; do_build; }

cmd_start() {
  take_lock
  local pid; pid=$(our_pid)
  if [ -n "$pid" ]; then
    local running_url; running_url=$(state_get url)
    [ -z "$running_url" ] || [ "$running_url" = "$URL" ] ||
      die "a registry from $CACHE is already running at $running_url (pid $pid); run '$0 stop' first, or use another TOLLGATE_CACHE"
    ready && return 0
    wait_ready "$pid"; return 0
  fi
  rm -f "$PIDFILE"
  if port_in_use; then
    local who; who=$(port_owner)
    die "port $PORT on $HOST is taken by another process${who:+ ($who)}; stop it or set TOLLGATE_REGISTRY_PORT"
  fi
  local java; java=$(find_java)
  do_build

  JAVA_ARGS=("-Xmx$XMX" -Xss512k -XX:+UseSerialGC -XX:MaxMetaspaceSize=256m -XX:ReservedCodeCacheSize=96m
    # C1 only: faster start and ~50 MB less RSS; plenty for a local registry
    -XX:TieredStopAtLevel=1
    "-XX:ErrorFile=$CACHE/hs_err_pid%p.log" -Djava.io.tmpdir="$CACHE/tmp"
    "-Dquarkus.http.host=$HOST" "-Dquarkus.http.port=$PORT"
    # management interface (health/metrics): loopback, ephemeral port, to avoid clashing on 9000
    "-Dquarkus.management.host=$HOST" -Dquarkus.management.port=0
    -Dquarkus.http.access-log.enabled=false
    -Dquarkus.http.cors.enabled=false
    "-Dapicurio.storage.snapshot.location=$CACHE/tmp" "-Dapicurio.import.work-dir=$CACHE/tmp"
    -Dapicurio.datasource.jdbc.initial-size=2 -Dapicurio.datasource.jdbc.min-size=2
    -Dapicurio.datasource.jdbc.max-size=20
    # deletes: ccompat DELETE /subjects/... works anyway; these also allow them on the core v3 API
    -Dapicurio.rest.deletion.group.enabled=true -Dapicurio.rest.deletion.artifact.enabled=true
    -Dapicurio.rest.deletion.artifact-version.enabled=true)
  STORAGE_DESC=""
  storage_args
  mkdir -p "$CACHE/tmp"
  [ -f "$LOG" ] && mv -f "$LOG" "$LOG.1"

  # setsid: own session, so a Ctrl-C or the end of the caller's shell does not take it down.
  # The inner sh writes its own pid and then execs java, so the pid file names the JVM.
  # 9>&- : the JVM must not inherit the lock file descriptor (it would hold the lock forever).
  # cd: the JVM's working directory is the cache folder, never the caller's (e.g. the repo).
  # shellcheck disable=SC2016 # $$ and $@ are for the inner sh
  ( cd "$CACHE" && exec setsid sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$PIDFILE" \
      "$java" "${JAVA_ARGS[@]}" -jar "$APP/quarkus-run.jar" ) >"$LOG" 2>&1 </dev/null 9>&- &
  disown $! 2>/dev/null || true
  local _
  for _ in $(seq 1 50); do [ -s "$PIDFILE" ] && break; sleep 0.1; done
  pid=$(cat "$PIDFILE" 2>/dev/null || true)
  [ -n "$pid" ] || die "could not launch $java (no pid written); see $LOG"
  printf 'version=%s\nurl=%s\nstorage=%s\njava=%s\n' "$VERSION" "$URL" "$STORAGE_DESC" "$java" >"$STATEFILE"
  wait_ready "$pid"
  apply_compatibility "$pid"
}

cmd_stop() {
  take_lock
  local pid; pid=$(our_pid)
  [ -n "$pid" ] && kill_pid "$pid"
  rm -f "$PIDFILE"
}

cmd_status() {
  local pid; pid=$(our_pid)
  local storage; storage=$(state_get storage)
  if [ -n "$pid" ]; then # report the URL the running process was started with
    local u; u=$(state_get url); [ -n "$u" ] && URL=$u
    local v; v=$(state_get version); [ -n "$v" ] && VERSION=$v
  fi
  if [ -n "$pid" ] && ready; then
    echo "running: apicurio-registry $VERSION at $URL (pid $pid, storage ${storage:-?})"
    return 0
  elif [ -n "$pid" ]; then
    echo "stopped: apicurio-registry $VERSION pid $pid is up but $URL does not answer yet (starting or stuck; log $LOG)"
  else
    local who=""
    port_in_use && who=" - but port $PORT is taken by another process $(port_owner)"
    echo "stopped: apicurio-registry $VERSION (would serve $URL)$who"
  fi
  return 3
}

case "${1:-}" in
  build) cmd_build ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  url) echo "$URL" ;;
  *) echo "usage: $(basename "$0") build|start|stop|status|url" >&2; exit 2 ;;
esac
