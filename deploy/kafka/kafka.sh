#!/usr/bin/env bash
# Fetch, format, start and stop a real one-node Apache Kafka 4.x broker (KRaft) on 127.0.0.1,
# or a cluster of N such nodes (each broker and controller) for fault tests.
#
#   kafka.sh fetch
#   kafka.sh start  --port P --controller-port C --data-dir D [--wait-seconds 60]
#   kafka.sh run    --port P --controller-port C --data-dir D
#   kafka.sh stop   --data-dir D [--timeout 20]
#   kafka.sh status --data-dir D
#
#   start/run also take --extra-properties FILE (appended to the broker's server.properties:
#   extra listeners such as SASL_SSL, TLS stores, JAAS logins) and --add-scram
#   'SCRAM-SHA-256=[name=U,password=P]' (repeatable: SCRAM users created when the storage is
#   formatted, as KRaft needs them before the broker starts).
#
#   kafka.sh cluster-start  --data-dir D [--nodes 3] [--base-port P] [--wait-seconds 90]
#   kafka.sh cluster-start  --data-dir D --ports P1,P2,P3 --controller-ports C1,C2,C3
#   kafka.sh cluster-stop   --data-dir D [--timeout 20]
#   kafka.sh cluster-status --data-dir D
#   kafka.sh node-start --data-dir D --node N [--wait-seconds 60]
#   kafka.sh node-stop  --data-dir D --node N [--timeout 20]
#   kafka.sh node-kill  --data-dir D --node N     (SIGKILL, as kill -9)
#
#   kafka.sh console-consumer --bootstrap-server B --topic T [Kafka's own options...]
#   kafka.sh consumer-groups  --bootstrap-server B --list | --describe --group G [...]
#   (Kafka's kafka-console-consumer and kafka-consumer-groups tools, from the same jars, offline)
#
# --base-port P puts node N's listener on P+N-1 and its controller on P+nodes+N-1. A cluster
# restarted with no port option keeps the ports in D/cluster.conf.
#
# The broker's jars come from Maven Central through deploy/kafka/pom.xml into
# ${WIREWATCH_KAFKA_CACHE:-deploy/kafka/cache}/lib. Needs Java 17+ (and Maven for the first fetch).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
CACHE_DIR="${WIREWATCH_KAFKA_CACHE:-$SCRIPT_DIR/cache}"
LIB_DIR="$CACHE_DIR/lib"
STAMP_FILE="$CACHE_DIR/lib.stamp"
POM_FILE="$SCRIPT_DIR/pom.xml"
TEMPLATE_FILE="$SCRIPT_DIR/server.properties"
CLUSTER_TEMPLATE_FILE="$SCRIPT_DIR/cluster.properties"
LOG4J_FILE="$SCRIPT_DIR/log4j2.xml"
INSTALL_HINT="apt-get install -y openjdk-17-jre-headless maven"
DEPENDENCY_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
READY_LINE="Kafka Server started"
# SerialGC: on 2 cores, cached start to ready took a median 4.4 s and 355 MB RSS against G1's
# 5.1 s and 372 MB; one small broker has no use for G1's concurrent threads. TieredStopAtLevel=1
# gained only ~0.2 s, within noise, and would slow the broker under the benchmarks.
JAVA_OPTS=(-Xms256m -Xmx512m -XX:+UseSerialGC -Djava.awt.headless=true)
# A cluster node holds a few test topics; three of them must fit beside the tests and other
# engineers' brokers, so each gets a smaller heap.
NODE_JAVA_OPTS=(-Xms128m -Xmx384m -XX:+UseSerialGC -Djava.awt.headless=true)

die() {
  echo "kafka.sh: $*" >&2
  exit 1
}

usage() { # the comment block at the top of this file
  awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}" >&2
  exit 64
}

# --- tools -------------------------------------------------------------------------------------

require_java() {
  command -v java >/dev/null 2>&1 || {
    echo "kafka.sh: java not found; Kafka 4 needs Java 17+. Install it with: $INSTALL_HINT" >&2
    exit 2
  }
  local spec
  spec="$(java -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = //p')"
  # Java 8 reports "1.8"; its major is below 17 either way.
  if [[ ! "$spec" =~ ^[0-9]+$ ]] || ((spec < 17)); then
    echo "kafka.sh: java is version '${spec:-unknown}'; Kafka 4 needs 17+." \
      "Install it with: $INSTALL_HINT" >&2
    exit 2
  fi
}

require_maven() {
  command -v mvn >/dev/null 2>&1 || {
    echo "kafka.sh: mvn not found; it fetches the broker from Maven Central." \
      "Install it with: $INSTALL_HINT" >&2
    exit 2
  }
}

# --- fetch -------------------------------------------------------------------------------------

pom_digest() {
  sha256sum "$POM_FILE" | cut -d' ' -f1
}

cache_is_complete() {
  [[ -f "$STAMP_FILE" && -d "$LIB_DIR" ]] && [[ "$(cat "$STAMP_FILE")" == "$(pom_digest)" ]]
}

copy_dependencies() { # $1: output dir, rest: extra mvn flags
  local out="$1"
  shift
  # Full plugin coordinates: the "dependency:" prefix needs group metadata that -o may not have.
  mvn -B -q "$@" -f "$POM_FILE" "$DEPENDENCY_PLUGIN:copy-dependencies" \
    -DincludeScope=runtime -DoutputDirectory="$out" >>"$CACHE_DIR/fetch.log" 2>&1
}

cmd_fetch() {
  require_java
  cache_is_complete && return 0
  require_maven
  mkdir -p "$CACHE_DIR"
  # Two starts at once (parallel test sessions) must not fill the same staging folder.
  exec 9>"$CACHE_DIR/fetch.lock"
  flock 9
  # Close the lock before returning: a broker started later would inherit it and hold it.
  if cache_is_complete; then
    exec 9>&-
    return 0
  fi
  local staging="$CACHE_DIR/lib.partial"
  rm -rf "$staging"
  : >"$CACHE_DIR/fetch.log"
  # Offline first: once ~/.m2 holds the jars a re-fetch (a wiped cache, a new clone) needs no
  # network; only a cold ~/.m2 goes to Maven Central.
  if ! copy_dependencies "$staging" -o; then
    echo "kafka.sh: fetching Kafka from Maven Central (first time only)..." >&2
    rm -rf "$staging"
    copy_dependencies "$staging" || {
      tail -n 40 "$CACHE_DIR/fetch.log" >&2
      die "mvn could not resolve $POM_FILE (log: $CACHE_DIR/fetch.log)"
    }
  fi
  compgen -G "$staging/kafka_2.13-*.jar" >/dev/null || die "no kafka_2.13 jar in $staging"
  # Swap the whole folder so an interrupted fetch never leaves a half-filled lib/ with a stamp.
  rm -f "$STAMP_FILE"
  rm -rf "$LIB_DIR"
  mv "$staging" "$LIB_DIR"
  pom_digest >"$STAMP_FILE"
  exec 9>&-
}

# --- broker ------------------------------------------------------------------------------------

kafka_version() {
  local jar
  jar="$(compgen -G "$LIB_DIR/kafka_2.13-*.jar" | head -n 1)"
  jar="${jar##*/kafka_2.13-}"
  echo "${jar%.jar}"
}

# The quoted "$LIB_DIR/*" is java's own classpath wildcard, not a shell glob.
JAVA_ARGV=(java "${JAVA_OPTS[@]}" -Dlog4j2.configurationFile="$LOG4J_FILE" -cp "$LIB_DIR/*")
NODE_JAVA_ARGV=(java "${NODE_JAVA_OPTS[@]}" -Dlog4j2.configurationFile="$LOG4J_FILE" -cp "$LIB_DIR/*")

run_java() { # $@: main class and its arguments
  "${JAVA_ARGV[@]}" "$@"
}

render_template() { # $1 template, $2 output file, rest: NAME=VALUE, replacing @NAME@ in order
  local template="$1" out="$2" line pair
  shift 2
  # bash 5.2 expands & in a ${x//pat/rep} replacement; a data dir may contain one.
  shopt -u patsub_replacement 2>/dev/null || true
  {
    echo "# Written by kafka.sh from $template; rewritten on every start."
    while IFS= read -r line || [[ -n "$line" ]]; do
      for pair in "$@"; do
        line="${line//"@${pair%%=*}@"/"${pair#*=}"}"
      done
      echo "$line"
    done <"$template"
  } >"$out"
}

EXTRA_PROPERTIES=""
SCRAM_SPECS=()

write_properties() { # $1 port, $2 controller port, $3 data dir
  render_template "$TEMPLATE_FILE" "$3/server.properties" \
    PORT="$1" CONTROLLER_PORT="$2" LOG_DIRS="$3/kraft"
  if [[ -n "$EXTRA_PROPERTIES" ]]; then
    # Java's Properties keeps the last value of a repeated key, so these override the template.
    {
      echo "# --- from $EXTRA_PROPERTIES"
      cat "$EXTRA_PROPERTIES"
    } >>"$3/server.properties"
  fi
}

run_format() { # $1 data dir, $2 cluster id; formats the log dirs of DATA_DIR/server.properties
  local -a scram=()
  local spec
  for spec in "${SCRAM_SPECS[@]}"; do scram+=(--add-scram "$spec"); done
  run_java kafka.tools.StorageTool format -t "$2" -c "$1/server.properties" "${scram[@]}" \
    >>"$1/format.log" 2>&1
}

format_storage() { # $1 data dir
  local dir="$1" cluster_id
  if [[ -f "$dir/kraft/meta.properties" ]]; then
    return 0
  fi
  # The id is the last stdout line: log4j's console appender shares stdout with it.
  cluster_id="$(run_java kafka.tools.StorageTool random-uuid 2>>"$dir/format.log" |
    grep -E '^[A-Za-z0-9_-]{22}$' | tail -n 1)" || true
  [[ -n "$cluster_id" ]] || die "kafka.tools.StorageTool random-uuid printed no cluster id"
  run_format "$dir" "$cluster_id" || {
    tail -n 40 "$dir/format.log" >&2
    die "formatting $dir/kraft failed (log: $dir/format.log)"
  }
  echo "kafka.sh: formatted $dir/kraft with cluster id $cluster_id" >&2
}

pid_is_alive() { # $1 pid; a zombie counts as dead: nothing will ever answer on its port
  local state
  kill -0 "$1" 2>/dev/null || return 1
  state="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || echo X)"
  [[ "$state" != Z && "$state" != X ]]
}

broker_pid() { # $1 data dir; prints the pid when the broker of that data dir is running
  local pid_file="$1/broker.pid" pid
  [[ -f "$pid_file" ]] || return 1
  pid="$(cat "$pid_file")"
  [[ "$pid" =~ ^[0-9]+$ ]] && pid_is_alive "$pid" || return 1
  # A stale pid file may name a recycled pid: only a kafka.Kafka on this data dir is ours.
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "kafka.Kafka $1/server.properties" ||
    return 1
  echo "$pid"
}

port_accepts() { # $1 port
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

prepare_broker() { # $1 port, $2 controller port, $3 data dir
  local pid
  if pid="$(broker_pid "$3")"; then
    die "a broker is already running on $3 (pid $pid); run: kafka.sh stop --data-dir $3"
  fi
  for port in "$1" "$2"; do
    ! port_accepts "$port" || die "port $port on 127.0.0.1 is already in use"
  done
  cmd_fetch
  mkdir -p "$3"
  write_properties "$@"
  format_storage "$3"
}

await_ready() { # $1 pid, $2 port, $3 data dir, $4 seconds; 0 ready, 1 exited, 2 not in time
  local deadline=$((SECONDS + $4))
  while ((SECONDS < deadline)); do
    pid_is_alive "$1" || return 1
    if grep -qF "$READY_LINE" "$3/broker.log" && port_accepts "$2"; then
      return 0
    fi
    sleep 0.2
  done
  return 2
}

wait_ready() { # $1 pid, $2 port, $3 data dir, $4 seconds
  local status=0
  await_ready "$@" || status=$?
  ((status == 0)) && return 0
  tail -n 40 "$3/broker.log" >&2
  ((status == 1)) && die "the broker exited during start-up (log: $3/broker.log)"
  die "the broker was not ready within $4 s (log: $3/broker.log); it is still running as pid $1"
}

launch_broker() { # $1 data dir, rest: java command; sets LAUNCHED_PID
  local dir="$1"
  shift
  # Keep the previous run's log for post-mortems; a fresh log also stops an old "started" line
  # from passing the readiness check.
  [[ -f "$dir/broker.log" ]] && mv -f "$dir/broker.log" "$dir/broker.log.1"
  # setsid: the broker outlives this script and ignores the caller's Ctrl-C. The inner shell writes
  # its own pid because setsid may fork; exec keeps that pid for java.
  rm -f "$dir/broker.pid"
  # shellcheck disable=SC2016 # $$ and $@ belong to the inner shell
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$dir/broker.pid" \
    "$@" kafka.Kafka "$dir/server.properties" </dev/null >"$dir/broker.log" 2>&1 &
  # Not a job of this shell: a later kill_nodes would make bash report "Killed" over the log tail.
  disown
  for _ in $(seq 50); do
    [[ -s "$dir/broker.pid" ]] && break
    sleep 0.1
  done
  LAUNCHED_PID="$(cat "$dir/broker.pid")"
}

cmd_start() { # $1 port, $2 controller port, $3 data dir, $4 wait seconds
  prepare_broker "$1" "$2" "$3"
  launch_broker "$3" "${JAVA_ARGV[@]}"
  local pid="$LAUNCHED_PID"
  wait_ready "$pid" "$1" "$3" "$4"
  echo "kafka.sh: Kafka $(kafka_version) ready (pid $pid, log $3/broker.log)" >&2
  echo "127.0.0.1:$1"
}

cmd_run() { # $1 port, $2 controller port, $3 data dir
  prepare_broker "$1" "$2" "$3"
  echo "kafka.sh: Kafka $(kafka_version) on 127.0.0.1:$1 (Ctrl-C stops it)" >&2
  echo $$ >"$3/broker.pid"
  exec "${JAVA_ARGV[@]}" kafka.Kafka "$3/server.properties"
}

cmd_stop() { # $1 data dir, $2 timeout seconds
  local pid deadline
  if ! pid="$(broker_pid "$1")"; then
    rm -f "$1/broker.pid"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + $2))
  while pid_is_alive "$pid" && ((SECONDS < deadline)); do
    sleep 0.2
  done
  if pid_is_alive "$pid"; then
    echo "kafka.sh: broker pid $pid ignored SIGTERM for $2 s; sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
    while pid_is_alive "$pid"; do sleep 0.1; done
  fi
  rm -f "$1/broker.pid"
}

cmd_status() { # $1 data dir
  local pid
  if pid="$(broker_pid "$1")"; then
    echo "running (pid $pid)"
    return 0
  fi
  echo "not running"
  return 1
}

# --- cluster -------------------------------------------------------------------------------------
# D/cluster.conf holds the cluster id and every node's ports; node N lives in D/node-N, laid out
# as a one-node data dir (server.properties, kraft/, broker.log, broker.pid).

CLUSTER_ID=""
PORTS=()
CONTROLLER_PORTS=()

new_cluster_id() { # 16 random bytes in unpadded base64url, the form StorageTool random-uuid prints
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    # Kafka's own Uuid.randomUuid() redraws ids that start with '-' (they look like an option).
    [[ "$id" == -* ]] || break
  done
  echo "$id"
}

conf_value() { # $1 conf file, $2 key
  sed -n "s/^$2=//p" "$1" | tail -n 1
}

load_cluster() { # $1 data dir; sets CLUSTER_ID, PORTS and CONTROLLER_PORTS from D/cluster.conf
  local conf="$1/cluster.conf"
  [[ -f "$conf" ]] || die "$1 holds no cluster (no cluster.conf); run kafka.sh cluster-start first"
  CLUSTER_ID="$(conf_value "$conf" cluster.id)"
  IFS=, read -r -a PORTS <<<"$(conf_value "$conf" ports)"
  IFS=, read -r -a CONTROLLER_PORTS <<<"$(conf_value "$conf" controller.ports)"
  [[ -n "$CLUSTER_ID" && ${#PORTS[@]} -gt 0 && ${#PORTS[@]} -eq ${#CONTROLLER_PORTS[@]} ]] ||
    die "$conf is incomplete; remove $1 to start a new cluster"
}

save_cluster() { # $1 data dir
  {
    echo "# Written by kafka.sh cluster-start; node-start and cluster-stop read it."
    echo "cluster.id=$CLUSTER_ID"
    echo "ports=$(IFS=,; echo "${PORTS[*]}")"
    echo "controller.ports=$(IFS=,; echo "${CONTROLLER_PORTS[*]}")"
  } >"$1/cluster.conf.tmp"
  mv -f "$1/cluster.conf.tmp" "$1/cluster.conf"
}

node_dir() { # $1 data dir, $2 node id
  echo "$1/node-$2"
}

check_node_id() { # $1 node id
  [[ -n "$1" ]] || die "--node is required"
  ((1 <= $1 && $1 <= ${#PORTS[@]})) || die "--node must be 1..${#PORTS[@]}, not $1"
}

write_node_properties() { # $1 data dir, $2 node id
  local dir voters="" n
  dir="$(node_dir "$1" "$2")"
  for ((n = 1; n <= ${#PORTS[@]}; n++)); do
    voters+="${voters:+,}$n@127.0.0.1:${CONTROLLER_PORTS[n - 1]}"
  done
  render_template "$CLUSTER_TEMPLATE_FILE" "$dir/server.properties" NODE_ID="$2" \
    PORT="${PORTS[$2 - 1]}" CONTROLLER_PORT="${CONTROLLER_PORTS[$2 - 1]}" VOTERS="$voters" \
    LOG_DIRS="$dir/kraft"
}

prepare_node() { # $1 data dir, $2 node id: not running, ports free, properties written
  local dir pid port
  dir="$(node_dir "$1" "$2")"
  if pid="$(broker_pid "$dir")"; then
    die "node $2 is already running (pid $pid); run: kafka.sh node-stop --data-dir $1 --node $2"
  fi
  for port in "${PORTS[$2 - 1]}" "${CONTROLLER_PORTS[$2 - 1]}"; do
    ! port_accepts "$port" || die "port $port on 127.0.0.1 (node $2) is already in use"
  done
  mkdir -p "$dir"
  write_node_properties "$1" "$2"
}

check_node_format() { # $1 data dir, $2 node id: formatted, and with this cluster's id
  local meta found
  meta="$(node_dir "$1" "$2")/kraft/meta.properties"
  [[ -f "$meta" ]] || die "node $2 has no formatted storage ($meta); a wiped voter must not" \
    "rejoin a static quorum as if new. Run kafka.sh cluster-stop and remove $1 to start over"
  found="$(conf_value "$meta" cluster.id)"
  [[ "$found" == "$CLUSTER_ID" ]] ||
    die "node $2 was formatted for cluster '$found', not '$CLUSTER_ID' (in $1/cluster.conf)"
}

format_nodes() { # $1 data dir: format every node without storage, all with the one cluster id
  local n dir pids=() dirs=() i failed=""
  for ((n = 1; n <= ${#PORTS[@]}; n++)); do
    dir="$(node_dir "$1" "$n")"
    [[ -f "$dir/kraft/meta.properties" ]] && continue
    # One StorageTool JVM per node, side by side: ~2 s each on 2 cores, and no more memory.
    run_format "$dir" "$CLUSTER_ID" &
    pids+=($!)
    dirs+=("$dir")
  done
  for i in "${!pids[@]}"; do
    if ! wait "${pids[i]}"; then
      tail -n 40 "${dirs[i]}/format.log" >&2
      failed+=" ${dirs[i]}"
    fi
  done
  [[ -z "$failed" ]] || die "formatting failed in:$failed (log: DIR/format.log)"
  for ((n = 1; n <= ${#PORTS[@]}; n++)); do
    check_node_format "$1" "$n"
  done
}

kill_nodes() { # $1 signal, $2 timeout seconds, rest: node dirs; waits until each has exited
  local signal="$1" timeout="$2" dir pid pids=() deadline
  shift 2
  for dir in "$@"; do
    pid="$(broker_pid "$dir")" || {
      rm -f "$dir/broker.pid"
      continue
    }
    kill "-$signal" "$pid" 2>/dev/null || true
    pids+=("$pid")
  done
  deadline=$((SECONDS + timeout))
  for pid in "${pids[@]}"; do
    while pid_is_alive "$pid" && ((SECONDS < deadline)); do
      sleep 0.1
    done
  done
  for pid in "${pids[@]}"; do
    if pid_is_alive "$pid"; then
      [[ "$signal" == KILL ]] && die "pid $pid outlived SIGKILL for $timeout s"
      echo "kafka.sh: broker pid $pid ignored SIG$signal for $timeout s; sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
      while pid_is_alive "$pid"; do sleep 0.1; done
    fi
  done
  for dir in "$@"; do
    rm -f "$dir/broker.pid"
  done
}

all_node_dirs() { # $1 data dir: node-N dirs of cluster.conf, or whatever node-* dirs exist
  local n
  if [[ -f "$1/cluster.conf" ]]; then
    load_cluster "$1"
    for ((n = 1; n <= ${#PORTS[@]}; n++)); do node_dir "$1" "$n"; done
  else
    compgen -G "$1/node-*" || true
  fi
}

cmd_cluster_start() { # $1 data dir, $2 wait seconds, $3 nodes, $4 base port, $5 ports, $6 c. ports
  local dir="$1" wait_seconds="$2" nodes="$3" n pid deadline status left
  local -a pids=()
  if [[ -f "$dir/cluster.conf" ]]; then
    load_cluster "$dir"
    [[ -z "$nodes" || "$nodes" == "${#PORTS[@]}" ]] ||
      die "$dir holds a ${#PORTS[@]}-node cluster, not $nodes nodes; remove it to start over"
    nodes="${#PORTS[@]}"
  else
    CLUSTER_ID="$(new_cluster_id)"
    nodes="${nodes:-3}"
    [[ -n "$4$5" ]] || die "a new cluster needs --base-port or --ports and --controller-ports"
  fi
  # cluster.properties gives every topic 3 replicas, internal ones included.
  ((nodes >= 3)) || die "a cluster needs at least 3 nodes (replication factor 3), not $nodes"
  if [[ -n "$4" ]]; then
    ((${4} + 2 * nodes - 1 <= 65535)) || die "--base-port $4 leaves no room for $nodes nodes"
    PORTS=() CONTROLLER_PORTS=()
    for ((n = 0; n < nodes; n++)); do
      PORTS+=($(($4 + n)))
      CONTROLLER_PORTS+=($(($4 + nodes + n)))
    done
  elif [[ -n "$5" ]]; then
    IFS=, read -r -a PORTS <<<"$5"
    IFS=, read -r -a CONTROLLER_PORTS <<<"$6"
    [[ ${#PORTS[@]} -eq $nodes && ${#CONTROLLER_PORTS[@]} -eq $nodes ]] ||
      die "--ports and --controller-ports need $nodes ports each"
  fi
  for n in "${PORTS[@]}" "${CONTROLLER_PORTS[@]}"; do
    if ! [[ "$n" =~ ^[1-9][0-9]{0,4}$ ]] || ((n > 65535)); then
      die "'$n' is not a port"
    fi
  done
  [[ $(printf '%s\n' "${PORTS[@]}" "${CONTROLLER_PORTS[@]}" | sort -u | wc -l) -eq $((2 * nodes)) ]] ||
    die "the $((2 * nodes)) ports must all differ"

  cmd_fetch
  mkdir -p "$dir"
  for ((n = 1; n <= nodes; n++)); do
    prepare_node "$dir" "$n"
  done
  save_cluster "$dir"
  format_nodes "$dir"
  # All nodes at once: none reports ready before a quorum of controllers has elected a leader.
  for ((n = 1; n <= nodes; n++)); do
    launch_broker "$(node_dir "$dir" "$n")" "${NODE_JAVA_ARGV[@]}"
    pids+=("$LAUNCHED_PID")
  done
  deadline=$((SECONDS + wait_seconds))
  for ((n = 1; n <= nodes; n++)); do
    left=$((deadline - SECONDS))
    ((left > 0)) || left=1
    status=0
    await_ready "${pids[n - 1]}" "${PORTS[n - 1]}" "$(node_dir "$dir" "$n")" "$left" || status=$?
    if ((status != 0)); then
      tail -n 40 "$(node_dir "$dir" "$n")/broker.log" >&2
      # A half-started cluster is no use to anyone and holds ~1 GB: take it all down.
      mapfile -t node_dirs < <(all_node_dirs "$dir")
      kill_nodes KILL 10 "${node_dirs[@]}"
      ((status == 1)) && die "node $n exited during start-up (log: $(node_dir "$dir" "$n")/broker.log);" \
        "all nodes were stopped"
      die "node $n was not ready within $wait_seconds s (log: $(node_dir "$dir" "$n")/broker.log);" \
        "all nodes were stopped"
    fi
  done
  echo "kafka.sh: Kafka $(kafka_version) cluster of $nodes nodes ready (id $CLUSTER_ID," \
    "logs $dir/node-N/broker.log)" >&2
  bootstrap_servers
}

bootstrap_servers() { # prints 127.0.0.1:P1,127.0.0.1:P2,... from PORTS
  local addresses=("${PORTS[@]/#/127.0.0.1:}")
  (
    IFS=,
    echo "${addresses[*]}"
  )
}

cmd_cluster_stop() { # $1 data dir, $2 timeout seconds
  local -a node_dirs
  mapfile -t node_dirs < <(all_node_dirs "$1")
  # SIGTERM to all at once: each broker's controlled shutdown then finds the controllers still up.
  ((${#node_dirs[@]} == 0)) || kill_nodes TERM "$2" "${node_dirs[@]}"
}

cmd_cluster_status() { # $1 data dir; exit 0 only while every node runs
  local n pid down=0
  load_cluster "$1"
  for ((n = 1; n <= ${#PORTS[@]}; n++)); do
    if pid="$(broker_pid "$(node_dir "$1" "$n")")"; then
      echo "node $n: running (pid $pid) on 127.0.0.1:${PORTS[n - 1]}"
    else
      echo "node $n: not running"
      down=1
    fi
  done
  return "$down"
}

cmd_node_start() { # $1 data dir, $2 node id, $3 wait seconds
  local dir
  load_cluster "$1"
  check_node_id "$2"
  dir="$(node_dir "$1" "$2")"
  prepare_node "$1" "$2"
  check_node_format "$1" "$2"
  cmd_fetch
  launch_broker "$dir" "${NODE_JAVA_ARGV[@]}"
  # "Kafka Server started" comes after the controller has unfenced this broker: it has caught up
  # with the metadata log and is back in the cluster. Its replicas rejoin the ISRs as they catch up.
  wait_ready "$LAUNCHED_PID" "${PORTS[$2 - 1]}" "$dir" "$3"
  echo "kafka.sh: node $2 ready (pid $LAUNCHED_PID, log $dir/broker.log)" >&2
  echo "127.0.0.1:${PORTS[$2 - 1]}"
}

cmd_node_signal() { # $1 data dir, $2 node id, $3 signal (TERM or KILL), $4 timeout seconds
  load_cluster "$1"
  check_node_id "$2"
  kill_nodes "$3" "$4" "$(node_dir "$1" "$2")"
}

# --- Kafka's command-line tools ------------------------------------------------------------------
# The classes behind Kafka's kafka-console-consumer.sh and kafka-consumer-groups.sh, from
# org.apache.kafka:kafka-tools (pom.xml). Their arguments are Kafka's own, passed through.

TOOLS_LOG4J_FILE="$SCRIPT_DIR/tools-log4j2.xml"
# A tool runs for seconds: a small heap, and the C1 compiler only.
TOOL_JAVA_OPTS=(-Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true)

cmd_tool() { # $1 main class, rest: the tool's arguments; replaces this shell with the tool
  local class="$1"
  shift
  cmd_fetch
  exec java "${TOOL_JAVA_OPTS[@]}" -Dlog4j2.configurationFile="$TOOLS_LOG4J_FILE" \
    -cp "$LIB_DIR/*" "$class" "$@"
}

# --- arguments ---------------------------------------------------------------------------------

main() {
  [[ $# -ge 1 ]] || usage
  local command="$1"
  shift
  case "$command" in # the tools take Kafka's options, not ours
    console-consumer) cmd_tool org.apache.kafka.tools.consumer.ConsoleConsumer "$@" ;;
    consumer-groups) cmd_tool org.apache.kafka.tools.consumer.group.ConsumerGroupCommand "$@" ;;
  esac
  local port="" controller_port="" data_dir="" wait_seconds="" timeout=20
  local nodes="" base_port="" ports="" controller_ports="" node=""
  while [[ $# -gt 0 ]]; do
    [[ $# -ge 2 ]] || die "$1 needs a value"
    case "$1" in
      --port) port="$2" ;;
      --controller-port) controller_port="$2" ;;
      --data-dir) data_dir="$2" ;;
      --wait-seconds) wait_seconds="$2" ;;
      --timeout) timeout="$2" ;;
      --nodes) nodes="$2" ;;
      --base-port) base_port="$2" ;;
      --ports) ports="$2" ;;
      --controller-ports) controller_ports="$2" ;;
      --node) node="$2" ;;
      --extra-properties)
        [[ -f "$2" ]] || die "--extra-properties: no file $2"
        EXTRA_PROPERTIES="$(realpath "$2")"
        ;;
      --add-scram) SCRAM_SPECS+=("$2") ;;
      *) die "unknown option $1" ;;
    esac
    shift 2
  done
  for value in ${wait_seconds:+"$wait_seconds"} "$timeout" ${port:+"$port"} \
    ${controller_port:+"$controller_port"}; do
    [[ "$value" =~ ^[0-9]+$ ]] || die "'$value' is not a whole number"
  done
  for value in ${nodes:+"$nodes"} ${base_port:+"$base_port"} ${node:+"$node"}; do
    [[ "$value" =~ ^[1-9][0-9]{0,4}$ ]] || die "'$value' is not a positive whole number"
  done
  # One absolute form: the pid check matches it against the broker's command line.
  [[ -z "$data_dir" ]] || data_dir="$(realpath -m "$data_dir")"
  case "$command" in
    fetch) cmd_fetch ;;
    start | run)
      [[ -n "$port" && -n "$controller_port" && -n "$data_dir" ]] ||
        die "$command needs --port, --controller-port and --data-dir"
      [[ "$port" != "$controller_port" ]] || die "--port and --controller-port must differ"
      if [[ "$command" == start ]]; then
        cmd_start "$port" "$controller_port" "$data_dir" "${wait_seconds:-60}"
      else
        cmd_run "$port" "$controller_port" "$data_dir"
      fi
      ;;
    stop | status)
      [[ -n "$data_dir" ]] || die "$command needs --data-dir"
      if [[ "$command" == stop ]]; then cmd_stop "$data_dir" "$timeout"; else cmd_status "$data_dir"; fi
      ;;
    cluster-* | node-*)
      [[ -n "$data_dir" ]] || die "$command needs --data-dir"
      [[ -z "$base_port" || -z "$ports$controller_ports" ]] ||
        die "give --base-port or --ports with --controller-ports, not both"
      if [[ -n "$ports" && -z "$controller_ports" ]] || [[ -z "$ports" && -n "$controller_ports" ]]; then
        die "--ports and --controller-ports go together"
      fi
      case "$command" in
        cluster-start)
          cmd_cluster_start "$data_dir" "${wait_seconds:-90}" "$nodes" "$base_port" "$ports" \
            "$controller_ports"
          ;;
        cluster-stop) cmd_cluster_stop "$data_dir" "$timeout" ;;
        cluster-status) cmd_cluster_status "$data_dir" ;;
        node-start) cmd_node_start "$data_dir" "$node" "${wait_seconds:-60}" ;;
        node-stop) cmd_node_signal "$data_dir" "$node" TERM "$timeout" ;;
        node-kill) cmd_node_signal "$data_dir" "$node" KILL 10 ;;
        *) die "unknown command '$command'" ;;
      esac
      ;;
    -h | --help | help) usage ;;
    *) die "unknown command '$command' (fetch, start, run, stop, status, cluster-start," \
      "cluster-stop, cluster-status, node-start, node-stop, node-kill, console-consumer," \
      "consumer-groups)" ;;
  esac
}

main "$@"
