#!/usr/bin/env bash
# Measures a real `java -jar kiam-agent.jar` with the JVM flags we ship: resident memory idle and
# under 64 keep-alive connections of credential requests (wrk), against the fake kiam-server over
# mutual TLS on loopback. Then SIGTERM, which must stop it cleanly.
#
#   mvn -B -q -o -pl kiam-agent -am package -DskipTests   # builds target/kiam-agent.jar and test classes
#   kiam-agent/bench/measure-agent.sh [seconds=20] [connections=64] [level=info]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_LOAD=${1:-20}
CONNECTIONS=${2:-64}
LEVEL=${3:-info}
JVM_FLAGS=${JVM_FLAGS:-"-XX:+UseSerialGC -Xss256k -XX:MaxMetaspaceSize=64m -Xmx64m -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -Dio.netty.allocator.numDirectArenas=1"}
WORK=$(mktemp -d /tmp/kiam-agent-bench.XXXXXX)
cp target/kiam-agent.jar "$WORK/agent.jar"
# From the reactor (-am), so the project's own modules resolve to their target/classes without
# `mvn install`; the agent is built last and writes the file last.
(cd .. && mvn -B -q -o -pl kiam-agent -am compile dependency:build-classpath \
  -Dmdep.outputFile="$WORK/cp" -Dmdep.includeScope=test >/dev/null)
CP="target/test-classes:target/classes:$(cat "$WORK/cp")"

java -Xmx128m -cp "$CP" io.kiam.agent.bench.BenchKiamServer "$WORK/pki" >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER=$!
cleanup() { kill "$SERVER" 2>/dev/null || true; [ -n "${AGENT:-}" ] && kill "$AGENT" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 100); do [ -s "$WORK/server.out" ] && break; sleep 0.2; done
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# shellcheck disable=SC2086
java $JVM_FLAGS -jar "$WORK/agent.jar" --host 127.0.0.1 --port "$PORT" --level "$LEVEL" \
  $(cat "$WORK/server.out") 2>"$WORK/agent.log" &
AGENT=$!
URL="http://127.0.0.1:$PORT"
for _ in $(seq 200); do curl -fs "$URL/health" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fs "$URL/latest/meta-data/iam/security-credentials/shop-reader" >/dev/null
rss() { awk '/VmRSS/ {print int($2/1024)}' "/proc/$AGENT/status"; }
# Private memory (anonymous pages) and file-backed pages (libjvm, the CDS archive: shared with
# other JVMs on the node) separately.
split() { awk '/RssAnon/ {a=int($2/1024)} /RssFile/ {f=int($2/1024)} END {print "anon " a " MiB + file " f " MiB"}' "/proc/$AGENT/status"; }
sleep 5
echo "idle RSS: $(rss) MiB ($(split)) after start and one credential request"

PEAK=0
( while kill -0 "$AGENT" 2>/dev/null; do r=$(rss); [ "$r" -gt "$PEAK" ] && PEAK=$r && echo "$PEAK" >"$WORK/peak"; sleep 0.5; done ) &
SAMPLER=$!
wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_LOAD}s" --latency "$URL/latest/meta-data/iam/security-credentials/shop-reader" \
  | grep -E "Requests/sec|^\s+(50|90|99)%|Non-2xx|Socket errors|requests in"
kill "$SAMPLER" 2>/dev/null || true
echo "peak RSS under load: $(cat "$WORK/peak") MiB; after load: $(rss) MiB ($(split))"
sleep 10
echo "RSS 10 s after load: $(rss) MiB ($(split)); threads: $(awk '/Threads/ {print $2}' "/proc/$AGENT/status")"

kill -TERM "$AGENT"
STATUS=0
wait "$AGENT" || STATUS=$?
AGENT=
echo "after SIGTERM: exit status $STATUS; last log line: $(tail -1 "$WORK/agent.log" | cut -c1-120)"
echo "access log lines: $(grep -c 'io.kiam.agent.access\|access -' "$WORK/agent.log" || true)   (work dir $WORK)"
