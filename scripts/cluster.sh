#!/usr/bin/env bash
# A three-node RabbitMQ cluster and a three-server ZooKeeper ensemble on this machine, for trying
# the service against failover. They run beside the shared RabbitMQ (5672) and ZooKeeper (2181),
# which this script never touches, with all their state under <repo>/.cluster/.
#
#   cluster.sh up            start whatever is not running, wait for it, print the two exports
#   cluster.sh status        nodes, servers and quorum queues, also when some are down
#   cluster.sh down          stop everything and remove .cluster/
#   cluster.sh env           print the two exports only
#   cluster.sh start-node|stop-node|kill-node rabbit|zk 1|2|3   (kill: SIGKILL, as a crash)
#   cluster.sh ctl 1|2|3 <rabbitmqctl arguments>
#
# Only the exports go to stdout, so that `eval "$(bash scripts/cluster.sh up)"` works.
set -euo pipefail

log() { printf '[cluster] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
root="$repo/.cluster"
RABBITMQ_BIN="${RABBITMQ_BIN_DIR:-/usr/lib/rabbitmq/bin}"
ZK_CLASSPATH=/etc/zookeeper/conf:/usr/share/java/zookeeper.jar

print_env() {
  echo "export AMQP_URL=amqp://guest:guest@127.0.0.1:5681,amqp://guest:guest@127.0.0.1:5682,amqp://guest:guest@127.0.0.1:5683"
  echo "export ZK_CONNECT=127.0.0.1:2191,127.0.0.1:2192,127.0.0.1:2193"
}

# ---------------------------------------------------------------- RabbitMQ
node_name() { printf 'oa-rabbit-%s@localhost' "$1"; }

# Every rabbitmq command for node N runs in a clean environment of its own: nothing may fall back
# to /etc/rabbitmq (whose rabbitmq-env.conf names the shared node) or to the caller's RABBITMQ_*.
# The three nodes share one HOME, so the CLI and the nodes read the same Erlang cookie.
# Three nodes share this host's cores: Erlang's schedulers would spin waiting for work (+sbwt) and
# burn the CPU the other nodes and the service need, so busy waiting is off, as RabbitMQ advises
# for hosts where it shares the cores.
rabbit_env() {
  local d="$root/rabbit-$1"
  printf '%s\n' "PATH=$PATH" "HOME=$root/home" LANG=C.UTF-8 ERL_EPMD_ADDRESS=127.0.0.1 \
    "RABBITMQ_NODENAME=$(node_name "$1")" "RABBITMQ_NODE_PORT=$((5680 + $1))" "RABBITMQ_DIST_PORT=$((25680 + $1))" \
    "RABBITMQ_MNESIA_BASE=$d/mnesia" "RABBITMQ_LOG_BASE=$d/log" "RABBITMQ_PID_FILE=$d/pid" \
    "RABBITMQ_ENABLED_PLUGINS_FILE=$d/etc/enabled_plugins" "RABBITMQ_CONFIG_FILE=$d/etc/rabbitmq.conf" \
    "RABBITMQ_ADVANCED_CONFIG_FILE=$d/etc/advanced.config" "RABBITMQ_CONF_ENV_FILE=$d/etc/rabbitmq-env.conf" \
    "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1} +sbwt none +sbwtdcpu none +sbwtdio none"
}
rabbit() { local n=$1 bin=$2 e; shift 2; mapfile -t e < <(rabbit_env "$n"); env -i "${e[@]}" "$RABBITMQ_BIN/$bin" "$@"; }
# rabbitmqctl, always aimed at one of these nodes by name: never at the shared one.
ctl() { local n=$1; shift; rabbit "$n" rabbitmqctl -q -n "$(node_name "$n")" "$@"; }

# Whether the node's Erlang VM is registered with epmd (cheap; says nothing of the app).
vm_up() { [[ "$(epmd -names 2>/dev/null)" == *"name oa-rabbit-$1 at port"* ]]; }
# The nodes listed under a key of `cluster_status --formatter json`, one a line.
nodes_in() { grep -o "\"$2\":\[[^]]*\]" <<<"$1" | grep -o 'oa-rabbit-[0-9]@localhost' | sort || true; }

start_rabbit_vm() {
  local n=$1 d="$root/rabbit-$1" i
  log "starting $(node_name "$n") on 127.0.0.1:$((5680 + n))"
  mkdir -p "$root/home" "$d/etc" "$d/mnesia" "$d/log"
  [ -s "$root/home/.erlang.cookie" ] || head -c 24 /dev/urandom | base64 | tr -dc A-Za-z0-9 >"$root/home/.erlang.cookie"
  chmod 600 "$root/home/.erlang.cookie" # Erlang refuses a cookie others can read
  echo '[rabbitmq_consistent_hash_exchange].' >"$d/etc/enabled_plugins"
  : >"$d/etc/rabbitmq-env.conf" # stands in for /etc/rabbitmq/rabbitmq-env.conf
  {
    echo "listeners.tcp.local = 127.0.0.1:$((5680 + n))"
    echo "max_message_size = 1048576" # as the single node (scripts/services.sh)
    echo "cluster_formation.peer_discovery_backend = classic_config"
    for i in 1 2 3; do echo "cluster_formation.classic_config.nodes.$i = $(node_name "$i")"; done
  } >"$d/etc/rabbitmq.conf"
  rabbit "$n" rabbitmq-server -detached >>"$d/log/startup.log" 2>&1
}

await_rabbit() { # N seconds
  local deadline=$((SECONDS + $2))
  # await_startup fails at once while the node has not registered with epmd yet.
  until ctl "$1" await_startup --timeout "$2" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "$(node_name "$1") did not start; see $root/rabbit-$1/log"
    sleep 1
  done
}

# Starts the app if it was stopped, and joins node 1 if peer discovery left the node on its own;
# then waits until the node runs as a member of the three, and with `all`, sees all three running.
# Leaves in seen_running how many running nodes it saw last.
seen_running=0
settle_rabbit() { # N seconds [all]
  local n=$1 deadline=$((SECONDS + $2)) fixed=0 json running
  while :; do
    # cluster_status fails while the app is stopped.
    json=$(ctl "$n" cluster_status --formatter json 2>/dev/null) || json=
    running=$(nodes_in "$json" running_nodes)
    seen_running=$(grep -c . <<<"$running" || true)
    if [ -n "$json" ] && nodes_in "$json" disk_nodes | grep -x "$(node_name 1)" >/dev/null; then
      [ "${3:-}" != all ] || [ "$seen_running" = 3 ] && return 0
    elif [ "$fixed" = 0 ] && [ -n "$json" ]; then
      fixed=1
      log "joining $(node_name "$n") to $(node_name 1)"
      ctl "$n" stop_app || true
      ctl "$n" join_cluster "$(node_name 1)" || log "$(node_name 1) refused $(node_name "$n")"
      ctl "$n" start_app || true
    elif [ "$fixed" = 0 ] && vm_up "$n"; then
      fixed=1
      log "starting the app of $(node_name "$n")"
      ctl "$n" start_app || true
    fi
    ((SECONDS < deadline)) || die "$(node_name "$n") is not running in the cluster; running: $(echo $running)"
    sleep 1
  done
}

# Whether pid is node N's VM: its name is not on the command line, but in its environment.
is_rabbit_pid() { { tr '\0' '\n' <"/proc/$2/environ"; } 2>/dev/null | grep -x "RABBITMQ_NODENAME=$(node_name "$1")" >/dev/null; }

stop_rabbit() {
  local n=$1 pidfile="$root/rabbit-$1/pid" pid
  pid=$(cat "$pidfile" 2>/dev/null || true)
  if vm_up "$n"; then
    log "stopping $(node_name "$n")"
    # Given the pid file, stop returns only once the VM has exited.
    ctl "$n" stop ${pid:+"$pidfile"} >/dev/null 2>&1 || true
  fi
  # Without an answer (or a cookie), the pid the node wrote is the fallback.
  if [ -n "$pid" ] && is_rabbit_pid "$n" "$pid"; then end_process "$pid" is_rabbit_pid "$n" "$pid"; fi
}

# SIGTERM, and SIGKILL if the process still runs 10 s later.
end_process() { # pid, then a command that says whether it still runs
  local pid=$1 _
  shift
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 20); do "$@" >/dev/null 2>&1 || return 0; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
}

# ---------------------------------------------------------------- ZooKeeper
zk_pid() { # prints the pid of server N if it runs
  local pid
  pid=$(cat "$root/zk-$1/pid" 2>/dev/null) || return 1
  kill -0 "$pid" 2>/dev/null && grep -q "$root/zk-$1/zoo.cfg" "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
}

zk_mode() { # port: leader, follower, "not serving" (no quorum) or down
  local reply
  reply=$(timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1 && printf srvr >&3 && cat <&3" 2>/dev/null) || true
  [ -n "$reply" ] || { echo down; return; }
  sed -n 's/^Mode: //p' <<<"$reply" | grep . || echo 'not serving'
}

start_zk() {
  local n=$1 d="$root/zk-$1" i
  if [ ! -e /usr/share/java/zookeeper.jar ]; then
    log "installing zookeeper from Debian's packages"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zookeeper >/dev/null
  fi
  log "starting ZooKeeper server $n on 127.0.0.1:$((2190 + n))"
  mkdir -p "$d/data" "$d/log"
  echo "$n" >"$d/data/myid"
  {
    # A short tick lets sessions be as short as 1 s; the limits are in ticks.
    printf '%s\n' tickTime=500 initLimit=20 syncLimit=5 "dataDir=$d/data" \
      "clientPort=$((2190 + n))" clientPortAddress=127.0.0.1 '4lw.commands.whitelist=*' admin.enableServer=false
    for i in 1 2 3; do echo "server.$i=127.0.0.1:$((2890 + i)):$((3890 + i))"; done
  } >"$d/zoo.cfg"
  # Its own session, so that it outlives this script and whatever runs it. Debian's classpath has no
  # logging backend (ZooKeeper would log nothing at all); slf4j-simple writes to stderr, to the file.
  setsid nohup java -Xmx256m -cp "$ZK_CLASSPATH:/usr/share/java/slf4j-simple.jar" \
    org.apache.zookeeper.server.quorum.QuorumPeerMain "$d/zoo.cfg" >>"$d/log/zookeeper.log" 2>&1 </dev/null &
  echo $! >"$d/pid"
}

stop_zk() {
  local pid
  pid=$(zk_pid "$1") || return 0
  log "stopping ZooKeeper server $1"
  end_process "$pid" zk_pid "$1"
}

await_zk() { # seconds servers...: until each of them is leader or follower
  local deadline=$((SECONDS + $1)) n
  shift
  for n in "$@"; do
    until [[ "$(zk_mode $((2190 + n)))" =~ ^(leader|follower)$ ]]; do
      ((SECONDS < deadline)) || die "ZooKeeper server $n has no leader; see $root/zk-$n/log"
      sleep 1
    done
  done
}

# ---------------------------------------------------------------- commands
up() {
  local n first=() later=()
  for n in 1 2 3; do zk_pid "$n" >/dev/null || start_zk "$n"; done
  # Peer discovery lets a blank node join the first node it reaches, so blank nodes 2 and 3 start
  # once node 1 runs: started together, each could find no one and form a cluster of its own. Nodes
  # with data start together, as after a restart each waits for the others' tables.
  for n in 1 2 3; do
    vm_up "$n" && continue
    if [ "$n" = 1 ] || [ -d "$root/rabbit-$n/mnesia/$(node_name "$n")" ]; then first+=("$n"); else later+=("$n"); fi
  done
  for n in "${first[@]}"; do start_rabbit_vm "$n"; done
  for n in "${first[@]}"; do await_rabbit "$n" 120; done
  for n in "${later[@]}"; do start_rabbit_vm "$n"; done
  for n in "${later[@]}"; do await_rabbit "$n" 120; done
  # Each node first, then, where one did not see all three yet, until it does.
  local pending=()
  for n in 1 2 3; do settle_rabbit "$n" 60; [ "$seen_running" = 3 ] || pending+=("$n"); done
  for n in "${pending[@]}"; do settle_rabbit "$n" 60 all; done
  await_zk 60 1 2 3
  log "RabbitMQ cluster on 5681-5683 and ZooKeeper ensemble on 2191-2193 are up"
  print_env
}

status() {
  local n m json running state members any=
  echo "RabbitMQ"
  for n in 1 2 3; do
    json=$(ctl "$n" cluster_status --formatter json 2>/dev/null) || json=
    running=$(nodes_in "$json" running_nodes)
    if [ -n "$json" ]; then state=running; any=${any:-$n}
    elif vm_up "$n"; then state='app stopped'
    else state=down; fi
    # The cluster as this node sees it: every member, and which of them it does not see running.
    members=
    for m in $(nodes_in "$json" disk_nodes); do
      members+=" $m"; grep -qx "$m" <<<"$running" || members+=' (down)'
    done
    printf '  %-22s 127.0.0.1:%s  %-11s%s\n' "$(node_name "$n")" $((5680 + n)) "$state" "${members:+ cluster:$members}" | sed 's/ *$//'
  done
  echo "ZooKeeper"
  for n in 1 2 3; do printf '  zk-%s  127.0.0.1:%s  %s\n' "$n" $((2190 + n)) "$(zk_mode $((2190 + n)))"; done
  echo "Quorum queues"
  [ -n "$any" ] || { echo "  (no RabbitMQ node running)"; return 0; }
  local vhost vhosts rows shown=
  mapfile -t vhosts < <(ctl "$any" list_vhosts --no-table-headers)
  for vhost in "${vhosts[@]}"; do
    rows=$(ctl "$any" list_queues -p "$vhost" name type leader members messages --no-table-headers --timeout 30 |
      awk -F'\t' -v OFS='\t' '$2 == "quorum" { print $1, $3, $4, $5 }') || true
    [ -n "$rows" ] || continue
    echo "  vhost $vhost"; shown=1
    printf 'name\tleader\tmembers\tmessages\n%s\n' "$rows" | column -t -s $'\t' | sed 's/^/    /'
  done
  [ -n "$shown" ] || echo "  (none)"
}

down() {
  local n
  for n in 1 2 3; do stop_rabbit "$n" & done
  wait
  for n in 1 2 3; do stop_zk "$n"; done
  rm -rf "$root"
  log "stopped; $root removed"
}

# Like a crash: no clean shutdown, no goodbye to clients or to the other members.
kill_node() { # rabbit|zk N
  local pid
  if [ "$1" = zk ]; then pid=$(zk_pid "$2") || return 0; else
    pid=$(cat "$root/rabbit-$2/pid" 2>/dev/null) && is_rabbit_pid "$2" "$pid" || return 0
  fi
  log "killing $1 $2 (pid $pid)"
  kill -9 "$pid"
  # Gone from epmd too, or a start right after would find the name taken.
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || { [ "$1" = rabbit ] && vm_up "$2"; } || return 0; sleep 0.2; done
}

node_cmd() { # start|stop|kill rabbit|zk N
  [[ "${3:-}" =~ ^[123]$ && "${2:-}" =~ ^(rabbit|zk)$ ]] || die "usage: $0 $1-node rabbit|zk 1|2|3"
  case "$1 $2" in
    "start rabbit") vm_up "$3" || { start_rabbit_vm "$3"; await_rabbit "$3" 120; }; settle_rabbit "$3" 60 ;;
    "start zk") zk_pid "$3" >/dev/null || start_zk "$3"; await_zk 60 "$3" ;;
    "stop rabbit") stop_rabbit "$3" ;;
    "stop zk") stop_zk "$3" ;;
    kill*) kill_node "$2" "$3" ;;
  esac
}

case "${1:-}" in
  up) up ;;
  status) status ;;
  down) down ;;
  env) print_env ;;
  start-node | stop-node | kill-node) node_cmd "${1%-node}" "${2:-}" "${3:-}" ;;
  # rabbitmqctl for one node, with the cluster's cookie: `cluster.sh ctl 2 list_queues name leader`
  ctl) [[ "${2:-}" =~ ^[123]$ ]] || die "usage: $0 ctl 1|2|3 <rabbitmqctl arguments>"; n=$2; shift 2; ctl "$n" "$@" ;;
  *) die "usage: $0 up|status|down|env|start-node|stop-node|kill-node rabbit|zk 1|2|3|ctl 1|2|3 ..." ;;
esac
