#!/usr/bin/env bash
# agent-vs-nginx.sh: how fast the agent answers a pod's credentials request, next to nginx serving the
# very same bytes from the same node namespace. Run it as root after `./kiam-local up`:
#
#   sudo kiam-e2e/bench/agent-vs-nginx.sh [POD] [DURATION]      (defaults: user-checkout-server 10s)
#
# From inside the pod's network namespace, through the agent's real DNAT rule, `wrk -t1 -c64` asks the
# agent for .../security-credentials/ROLE; then the same wrk asks nginx, started in the node namespace on
# the node IP, for a file holding the agent's answer. Agent, nginx, agent, nginx; then both and the ratio.
# Installs wrk and nginx-light (apt-get) when missing, without starting nginx's own service.
#
# A node started with KIAM_LOCAL_PREFIX (and KIAM_LOCAL_STATE) is measured with the same variables:
#   sudo KIAM_LOCAL_PREFIX=kjlq7 ./kiam-local up && sudo KIAM_LOCAL_PREFIX=kjlq7 kiam-e2e/bench/agent-vs-nginx.sh
# CONNECTIONS=N changes wrk's -c (default 64).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PREFIX="${KIAM_LOCAL_PREFIX:-kjl}"
if [ "$PREFIX" = kjl ]; then
  STATE="${KIAM_LOCAL_STATE:-$ROOT/.kiam-local}"
else
  STATE="${KIAM_LOCAL_STATE:-$ROOT/.kiam-local-$PREFIX}"
fi
STATUS="$STATE/status.json"
CONNECTIONS="${CONNECTIONS:-64}"
POD="${1:-user-checkout-server}"
DURATION="${2:-10s}"
NGINX_PORT=8099

die() { echo "agent-vs-nginx: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (network namespaces): sudo $0"
[ -f "$STATUS" ] || die "the local mode is not up: run 'sudo ./kiam-local up' first"

install_missing() {
  local missing=()
  command -v wrk >/dev/null 2>&1 || missing+=(wrk)
  [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
  [ "${#missing[@]}" -eq 0 ] && return 0
  echo "agent-vs-nginx: installing ${missing[*]}" >&2
  # Keep the package from starting nginx on this machine's port 80: we start our own in the node.
  local policy_created=no
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    policy_created=yes
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
  [ "$policy_created" = yes ] && rm -f /usr/sbin/policy-rc.d
  return 0
}
install_missing

read -r NODE_IP ROLE < <(python3 - "$STATUS" "$POD" <<'PY'
import json, sys
status = json.load(open(sys.argv[1]))
pod = next((p for p in status["pods"] if p["name"] == sys.argv[2]), None)
if pod is None or not pod.get("role"):
    sys.exit("no pod %r with a role in %s" % (sys.argv[2], sys.argv[1]))
print(status["nodeIp"], pod["role"].rsplit("/", 1)[-1])
PY
)
POD_NS="$PREFIX-$POD"
NODE_NS="$PREFIX-node"
PATH_CREDS="/latest/meta-data/iam/security-credentials/$ROLE"

WORK="$(mktemp -d /tmp/agent-vs-nginx.XXXXXX)"
# nginx's workers run as an unprivileged user: let them read what they serve.
chmod 755 "$WORK"
cleanup() {
  if [ -f "$WORK/nginx.pid" ]; then
    kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
    sleep 0.2
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# The bytes the agent answers, served by nginx from the same path.
mkdir -p "$WORK/www$(dirname "$PATH_CREDS")"
ip netns exec "$POD_NS" curl -sf "http://169.254.169.254$PATH_CREDS" >"$WORK/www$PATH_CREDS" ||
  die "the agent did not answer $PATH_CREDS for $POD"
cat >"$WORK/nginx.conf" <<CONF
worker_processes 2;
pid $WORK/nginx.pid;
error_log $WORK/error.log;
events { worker_connections 1024; }
http {
  default_type application/json;
  # one line per request, as the agent writes one; buffered as nginx does by default for files
  access_log $WORK/access.log combined buffer=64k flush=1s;
  server {
    listen $NODE_IP:$NGINX_PORT;
    root $WORK/www;
  }
}
CONF
chmod -R a+rX "$WORK/www"
ip netns exec "$NODE_NS" /usr/sbin/nginx -c "$WORK/nginx.conf" || die "nginx did not start"
ip netns exec "$POD_NS" curl -sf "http://$NODE_IP:$NGINX_PORT$PATH_CREDS" | cmp -s - "$WORK/www$PATH_CREDS" ||
  die "nginx does not serve the same bytes"

agent_pid() {
  for pid in $(ip netns pids "$NODE_NS"); do
    if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kiam-agent.jar'; then
      echo "$pid"
      return
    fi
  done
}
AGENT_PID="$(agent_pid)"

# CPU time (user + system, in clock ticks) of the given processes.
cpu_ticks() {
  local total=0 pid
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] || continue
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$total"
}
nginx_pids() {
  local master
  master="$(cat "$WORK/nginx.pid")"
  echo "$master" $(pgrep -P "$master")
}

# wrk's "Requests/sec" and the 99% line of --latency, and the server's CPU time per request in
# microseconds (PIDS: the processes serving): on a machine shared with other work, rates move with
# the load, the CPU a request costs much less.
run() {
  local url="$1" pids="$2" out before after
  before="$(cpu_ticks $pids)"
  out="$(ip netns exec "$POD_NS" wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "$url")"
  after="$(cpu_ticks $pids)"
  local rps p50 p99 errors requests cpu
  requests="$(awk '/requests in/ {print $1}' <<<"$out")"
  cpu="$(python3 -c "import os,sys; t,r=int(sys.argv[1]),int(sys.argv[2]); print(round(t*1e6/os.sysconf('SC_CLK_TCK')/max(r,1),1))" "$((after - before))" "${requests:-0}")"
  rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  p50="$(awk '$1 == "50%" {print $2}' <<<"$out")"
  p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
  errors="$(awk '/Non-2xx|Socket errors/ {printf "%s ", $0}' <<<"$out")"
  echo "$rps $p50 $p99 $cpu ${errors:-none}"
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "pod $POD, role $ROLE, node $NODE_IP; wrk -t1 -c$CONNECTIONS -d$DURATION on $PATH_CREDS"
declare -a AGENT NGINX AGENT_CPU NGINX_CPU
for round in 1 2; do
  a="$(run "http://169.254.169.254$PATH_CREDS" "$AGENT_PID")"
  rss=""
  [ -n "$AGENT_PID" ] && rss="$(awk '/VmRSS/ {printf "%.0f MiB", $2/1024}' "/proc/$AGENT_PID/status")"
  n="$(run "http://$NODE_IP:$NGINX_PORT$PATH_CREDS" "$(nginx_pids)")"
  AGENT+=("$(cut -d' ' -f1 <<<"$a")")
  NGINX+=("$(cut -d' ' -f1 <<<"$n")")
  AGENT_CPU+=("$(cut -d' ' -f4 <<<"$a")")
  NGINX_CPU+=("$(cut -d' ' -f4 <<<"$n")")
  printf 'round %s  agent: %10s req/s  p50 %-8s p99 %-8s cpu %6s us/req  errors: %s  rss after: %s\n' \
    "$round" $(cut -d' ' -f1-4 <<<"$a") "$(cut -d' ' -f5- <<<"$a")" "${rss:-?}"
  printf 'round %s  nginx: %10s req/s  p50 %-8s p99 %-8s cpu %6s us/req  errors: %s\n' \
    "$round" $(cut -d' ' -f1-4 <<<"$n") "$(cut -d' ' -f5- <<<"$n")"
done
python3 - "${AGENT[@]}" "${NGINX[@]}" "${AGENT_CPU[@]}" "${NGINX_CPU[@]}" <<'PY'
import sys
a = [float(x) for x in sys.argv[1:3]]
n = [float(x) for x in sys.argv[3:5]]
ac = [float(x) for x in sys.argv[5:7]]
nc = [float(x) for x in sys.argv[7:9]]
print("agent/nginx: round 1 %.2fx, round 2 %.2fx, mean %.2fx"
      % (a[0] / n[0], a[1] / n[1], sum(a) / sum(n)))
print("CPU per request: agent %.1f us, nginx %.1f us (nginx/agent %.2fx)"
      % (sum(ac) / 2, sum(nc) / 2, sum(nc) / sum(ac) if sum(ac) else 0))
PY
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
