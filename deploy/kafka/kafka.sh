#!/usr/bin/env bash
# Fetch, format, start and stop a real one-node Apache Kafka 4.x broker (KRaft) on 127.0.0.1.
#
#   kafka.sh fetch
#   kafka.sh start  --port P --controller-port C --data-dir D [--wait-seconds 60]
#   kafka.sh run    --port P --controller-port C --data-dir D
#   kafka.sh stop   --data-dir D [--timeout 20]
#   kafka.sh status --data-dir D
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
LOG4J_FILE="$SCRIPT_DIR/log4j2.xml"
INSTALL_HINT="apt-get install -y openjdk-17-jre-headless maven"
DEPENDENCY_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
READY_LINE="Kafka Server started"
# SerialGC: on 2 cores, cached start to ready took a median 4.4 s and 355 MB RSS against G1's
# 5.1 s and 372 MB; one small broker has no use for G1's concurrent threads. TieredStopAtLevel=1
# gained only ~0.2 s, within noise, and would slow the broker under the benchmarks.
JAVA_OPTS=(-Xms256m -Xmx512m -XX:+UseSerialGC -Djava.awt.headless=true)

die() {
  echo "kafka.sh: $*" >&2
  exit 1
}

usage() {
  sed -n '2,11s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
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

run_java() { # $@: main class and its arguments
  "${JAVA_ARGV[@]}" "$@"
}

write_properties() { # $1 port, $2 controller port, $3 data dir
  local line
  # bash 5.2 expands & in a ${x//pat/rep} replacement; a data dir may contain one.
  shopt -u patsub_replacement 2>/dev/null || true
  {
    echo "# Written by kafka.sh from $TEMPLATE_FILE; rewritten on every start."
    while IFS= read -r line || [[ -n "$line" ]]; do
      line="${line//@PORT@/"$1"}"
      line="${line//@CONTROLLER_PORT@/"$2"}"
      echo "${line//@LOG_DIRS@/"$3/kraft"}"
    done <"$TEMPLATE_FILE"
  } >"$3/server.properties"
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
  run_java kafka.tools.StorageTool format -t "$cluster_id" -c "$dir/server.properties" \
    >>"$dir/format.log" 2>&1 || {
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

wait_ready() { # $1 pid, $2 port, $3 data dir, $4 seconds
  local deadline=$((SECONDS + $4))
  while ((SECONDS < deadline)); do
    if ! pid_is_alive "$1"; then
      tail -n 40 "$3/broker.log" >&2
      die "the broker exited during start-up (log: $3/broker.log)"
    fi
    if grep -qF "$READY_LINE" "$3/broker.log" && port_accepts "$2"; then
      return 0
    fi
    sleep 0.2
  done
  tail -n 40 "$3/broker.log" >&2
  die "the broker was not ready within $4 s (log: $3/broker.log); it is still running as pid $1"
}

cmd_start() { # $1 port, $2 controller port, $3 data dir, $4 wait seconds
  prepare_broker "$1" "$2" "$3"
  # Keep the previous run's log for post-mortems; a fresh log also stops an old "started" line
  # from passing the readiness check.
  [[ -f "$3/broker.log" ]] && mv -f "$3/broker.log" "$3/broker.log.1"
  # setsid: the broker outlives this script and ignores the caller's Ctrl-C. The inner shell writes
  # its own pid because setsid may fork; exec keeps that pid for java.
  rm -f "$3/broker.pid"
  # shellcheck disable=SC2016 # $$ and $@ belong to the inner shell
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$3/broker.pid" \
    "${JAVA_ARGV[@]}" kafka.Kafka "$3/server.properties" </dev/null >"$3/broker.log" 2>&1 &
  local pid
  for _ in $(seq 50); do
    [[ -s "$3/broker.pid" ]] && break
    sleep 0.1
  done
  pid="$(cat "$3/broker.pid")"
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

# --- arguments ---------------------------------------------------------------------------------

main() {
  [[ $# -ge 1 ]] || usage
  local command="$1"
  shift
  local port="" controller_port="" data_dir="" wait_seconds=60 timeout=20
  while [[ $# -gt 0 ]]; do
    [[ $# -ge 2 ]] || die "$1 needs a value"
    case "$1" in
      --port) port="$2" ;;
      --controller-port) controller_port="$2" ;;
      --data-dir) data_dir="$2" ;;
      --wait-seconds) wait_seconds="$2" ;;
      --timeout) timeout="$2" ;;
      *) die "unknown option $1" ;;
    esac
    shift 2
  done
  for value in "$wait_seconds" "$timeout" ${port:+"$port"} ${controller_port:+"$controller_port"}; do
    [[ "$value" =~ ^[0-9]+$ ]] || die "'$value' is not a whole number"
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
        cmd_start "$port" "$controller_port" "$data_dir" "$wait_seconds"
      else
        cmd_run "$port" "$controller_port" "$data_dir"
      fi
      ;;
    stop | status)
      [[ -n "$data_dir" ]] || die "$command needs --data-dir"
      if [[ "$command" == stop ]]; then cmd_stop "$data_dir" "$timeout"; else cmd_status "$data_dir"; fi
      ;;
    -h | --help | help) usage ;;
    *) die "unknown command '$command' (fetch, start, run, stop, status)" ;;
  esac
}

main "$@"
