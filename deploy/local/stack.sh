#!/usr/bin/env bash
# The local stack tollgate runs and is tested against: Kafka (KRaft), the schema registry,
# Redis and Postgres. `up` is idempotent and quiet on success; `down` stops what this script
# started (Kafka and the registry; Redis and Postgres are shared machine services and stay);
# `status` prints one line per service.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${TOLLGATE_CACHE:-$HOME/.cache/tollgate}"
export TOLLGATE_CACHE="$cache"
mkdir -p "$cache/logs"

redis_url="${TOLLGATE_REDIS_URL:-redis://127.0.0.1:6379}"
pg_url="${TOLLGATE_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

fail() { echo "stack: $*" >&2; exit 1; }

# host and port out of a URL like scheme://[user[:pw]@]host:port[/db]
url_host() { local r="${1#*://}"; r="${r##*@}"; r="${r%%/*}"; echo "${r%%:*}"; }
url_port() { local r="${1#*://}"; r="${r##*@}"; r="${r%%/*}"; [[ "$r" == *:* ]] && echo "${r##*:}" || echo "$2"; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

apt_install() {
  command -v apt-get >/dev/null 2>&1 || fail "$1 is not running and apt-get is unavailable; install and start $1 yourself"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"; } \
    >>"$cache/logs/apt.log" 2>&1 || fail "apt-get install $* failed; see $cache/logs/apt.log"
}

redis_up() {
  local host port
  host="$(url_host "$redis_url")"; port="$(url_port "$redis_url" 6379)"
  port_open "$host" "$port" && return 0
  [[ "$host" == 127.0.0.1 || "$host" == localhost ]] || fail "Redis at $host:$port does not answer; start it or fix TOLLGATE_REDIS_URL"
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
    --logfile "$cache/logs/redis.log" >/dev/null || fail "redis-server failed to start; see $cache/logs/redis.log"
  for _ in $(seq 1 50); do port_open "$host" "$port" && return 0; sleep 0.1; done
  fail "Redis did not open $host:$port; see $cache/logs/redis.log"
}

postgres_up() {
  local host port
  host="$(url_host "$pg_url")"; port="$(url_port "$pg_url" 5432)"
  port_open "$host" "$port" && return 0
  [[ "$host" == 127.0.0.1 || "$host" == localhost ]] || fail "Postgres at $host:$port does not answer; start it or fix TOLLGATE_POSTGRES_URL"
  command -v pg_ctlcluster >/dev/null 2>&1 || apt_install postgresql
  local ver
  ver="$(ls /etc/postgresql | sort -V | tail -n1)"
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start >>"$cache/logs/postgres.log" 2>&1 \
    || fail "Postgres $ver failed to start; see $cache/logs/postgres.log"
  for _ in $(seq 1 100); do port_open "$host" "$port" && return 0; sleep 0.1; done
  fail "Postgres did not open $host:$port; see $cache/logs/postgres.log"
}

registry_enabled() { [[ -x "$here/registry/registry.sh" || -f "$here/registry/registry.sh" ]]; }

up() {
  redis_up
  postgres_up
  bash "$here/kafka/kafka.sh" start
  if registry_enabled; then bash "$here/registry/registry.sh" start; fi
  # Ready means answering metadata requests, not just an open port.
  (cd "$root" && node "$here/wait-kafka.mjs") || fail "Kafka does not answer metadata requests; see $cache/kafka/logs/server.log"
}

down() {
  if registry_enabled; then bash "$here/registry/registry.sh" stop; fi
  bash "$here/kafka/kafka.sh" stop
}

status() {
  local rc=0 host port
  host="$(url_host "$redis_url")"; port="$(url_port "$redis_url" 6379)"
  if port_open "$host" "$port"; then echo "redis: running on $host:$port"; else echo "redis: not answering on $host:$port"; rc=3; fi
  host="$(url_host "$pg_url")"; port="$(url_port "$pg_url" 5432)"
  if port_open "$host" "$port"; then echo "postgres: running on $host:$port"; else echo "postgres: not answering on $host:$port"; rc=3; fi
  bash "$here/kafka/kafka.sh" status || rc=3
  if registry_enabled; then bash "$here/registry/registry.sh" status || rc=3; fi
  return $rc
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: stack.sh up|down|status" >&2; exit 2 ;;
esac
