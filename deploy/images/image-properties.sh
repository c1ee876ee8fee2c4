#!/usr/bin/env bash
# Writes the Maven properties the image build needs (read by kiam-images/pom.xml):
#   kiam.server.jvmOptions, kiam.agent.jvmOptions, kiam.agent.mallocArenaMax  from the chart's values.yaml,
#   so an image run without the chart (docker/podman run, kiam-local) has the chart's JVM flags;
#   kiam.image.revision  the git commit (OCI label org.opencontainers.image.revision).
# kiam-images' ImageConfigIT checks the extracted values against a real YAML parser.
# Usage: deploy/images/image-properties.sh VALUES_YAML OUT.properties
set -euo pipefail
values="${1:?usage: image-properties.sh VALUES_YAML OUT}"
out="${2:?usage: image-properties.sh VALUES_YAML OUT}"

# Prints the value of the two-space-indented KEY under top-level SECTION: a plain or quoted scalar, or
# a folded block (>-) joined with single spaces.
value() {
  awk -v section="$1" -v key="$2" '
    /^[^ #]/ { insection = ($0 ~ "^" section ":"); next }
    folding {
      if ($0 ~ /^    /) { line = $0; sub(/^ +/, "", line); text = text (text == "" ? "" : " ") line; next }
      print text; found = 1; exit
    }
    insection && $0 ~ "^  " key ":" {
      v = $0; sub("^  " key ":[ ]*", "", v)
      if (v ~ /^>-?$/) { folding = 1; next }
      gsub(/^"|"$/, "", v); print v; found = 1; exit
    }
    END { if (folding && !found) print text }
  ' "$values"
}

revision="$(git -C "$(dirname "$values")" rev-parse HEAD 2>/dev/null || echo unknown)"
mkdir -p "$(dirname "$out")"
{
  echo "kiam.server.jvmOptions=$(value server jvmOptions)"
  echo "kiam.agent.jvmOptions=$(value agent jvmOptions)"
  echo "kiam.agent.mallocArenaMax=$(value agent mallocArenaMax)"
  echo "kiam.image.revision=$revision"
} >"$out"
