#!/usr/bin/env bash
# Makes sure RabbitMQ, PostgreSQL and ZooKeeper answer on this machine, installing them from
# Debian's packages and starting them when they do not. Services given by URL on another host, or
# already answering, are left alone. Idempotent: run it as often as you like.
set -euo pipefail

log() { printf '[services] %s\n' "$*" >&2; }

# host and port from a URL or host:port list, with a default
host_of() { local v="${1#*://}"; v="${v#*@}"; v="${v%%/*}"; v="${v%%,*}"; printf '%s' "${v%%:*}"; }
port_of() { local v="${1#*://}"; v="${v#*@}"; v="${v%%/*}"; v="${v%%,*}"; [[ "$v" == *:* ]] && printf '%s' "${v##*:}" || printf '%s' "$2"; }
is_local() { [[ "$1" == 127.0.0.1 || "$1" == localhost || "$1" == ::1 ]]; }
answers() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
wait_for() { # name host port seconds
  for _ in $(seq 1 "$4"); do answers "$2" "$3" && return 0; sleep 1; done
  log "$1 did not answer on $2:$3 within $4 s"; return 1
}

apt_updated=0
apt_install() {
  if ! command -v apt-get >/dev/null; then
    log "cannot install $* here (no apt-get): start it yourself, or use 'docker compose up' on a machine with Docker"; exit 1
  fi
  if [ "$apt_updated" = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null; apt_updated=1; fi
  log "installing $* from Debian's packages"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

amqp_url="${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672}"
pg_url="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
zk="${ZK_CONNECT:-127.0.0.1:2181}"

h=$(host_of "$amqp_url"); p=$(port_of "$amqp_url" 5672)
if is_local "$h" && ! answers "$h" "$p"; then
  command -v rabbitmq-server >/dev/null || apt_install rabbitmq-server
  log "starting RabbitMQ"
  rabbitmq-server -detached >/dev/null 2>&1 || true
  wait_for RabbitMQ "$h" "$p" 90
  rabbitmqctl await_startup >/dev/null 2>&1 || true
fi

# ACTOR_SHARDS > 1 routes through RabbitMQ's consistent-hash exchange, a plugin shipped with it.
h=$(host_of "$amqp_url")
if is_local "$h" && command -v rabbitmq-plugins >/dev/null && ! grep -qs rabbitmq_consistent_hash_exchange /etc/rabbitmq/enabled_plugins; then
  log "enabling RabbitMQ's consistent-hash exchange"
  rabbitmq-plugins enable rabbitmq_consistent_hash_exchange >/dev/null || log "could not enable the consistent-hash exchange; ACTOR_SHARDS=1 still works"
fi

# The broker refuses any message over 1 MiB (the actors refuse bodies over MESSAGE_MAX_BYTES, 64 KiB,
# and headers over MESSAGE_MAX_HEADER_BYTES). RabbitMQ 3.10 has no queue argument or policy for it,
# only this node setting: kept in rabbitmq.conf for restarts, and applied to the running node now.
h=$(host_of "$amqp_url")
if is_local "$h" && command -v rabbitmqctl >/dev/null && [ -d /etc/rabbitmq ]; then
  grep -qs '^max_message_size' /etc/rabbitmq/rabbitmq.conf || echo 'max_message_size = 1048576' >>/etc/rabbitmq/rabbitmq.conf
  rabbitmqctl eval 'application:set_env(rabbit, max_message_size, 1048576).' >/dev/null 2>&1 || log "could not set RabbitMQ's max_message_size; set max_message_size = 1048576 in rabbitmq.conf"
fi

h=$(host_of "$pg_url"); p=$(port_of "$pg_url" 5432)
if is_local "$h" && ! answers "$h" "$p"; then
  command -v pg_ctlcluster >/dev/null || apt_install postgresql
  log "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start || true
  wait_for PostgreSQL "$h" "$p" 60
fi

h=$(host_of "$zk"); p=$(port_of "$zk" 2181)
if is_local "$h" && ! answers "$h" "$p"; then
  [ -x /usr/share/zookeeper/bin/zkServer.sh ] || apt_install zookeeper
  log "starting ZooKeeper"
  ZOO_LOG_DIR=/var/log/zookeeper /usr/share/zookeeper/bin/zkServer.sh start >/dev/null 2>&1 || true
  wait_for ZooKeeper "$h" "$p" 60
fi
log "RabbitMQ, PostgreSQL and ZooKeeper answer"
