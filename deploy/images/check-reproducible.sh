#!/usr/bin/env bash
# Checks that the base images are reproducible: builds both bases twice from nothing (each build with
# its own empty cache, so each runs mmdebstrap anew) and compares the bytes of the results.
#
# Usage: deploy/images/check-reproducible.sh [ARCH]      (run as root, as build-bases.sh; ARCH as there)
# Exit: 0 same bytes; 1 the bytes differ (a reproducibility bug); 2 Debian changed a package between
# the two builds (not a bug: run again).
#
# Same package versions are the premise, so the second build is given the .debs the first one
# downloaded (a Debian update between the two would otherwise be reported as a difference); the root
# filesystems, the docker-save wrapping and every timestamp are made again. The first build starts
# from the .debs in ${KIAM_IMAGE_CACHE:-~/.cache/kiam-images} when there are any (only to save the
# download). Takes two base builds: a few minutes each (figures in the issue 17 note).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
arch="${1:-$(dpkg --print-architecture)}"
user_cache="${KIAM_IMAGE_CACHE:-${HOME}/.cache/kiam-images}"
work="$(mktemp -d /var/tmp/kiam-reproducible.XXXXXX)"
# kept when the bytes differ, to find out why (diffoscope out1/X.tar out2/X.tar)
trap '[ "${status:-1}" = 1 ] && echo "kept for inspection: $work" >&2 || rm -rf "$work"' EXIT

mkdir -p "$work/cache1/debs-$arch" "$work/cache2/debs-$arch"
if [ -d "$user_cache/debs-$arch" ]; then
  cp -a "$user_cache/debs-$arch/." "$work/cache1/debs-$arch/"
fi
for run in 1 2; do
  start=$(date +%s)
  KIAM_IMAGE_CACHE="$work/cache$run" "$here/build-bases.sh" "$work/out$run" "$arch" >"$work/build$run.log" 2>&1 ||
    { echo "check-reproducible.sh: build $run failed:" >&2; tail -n 30 "$work/build$run.log" >&2; exit 1; }
  echo "build $run: $(($(date +%s) - start)) s"
  [ "$run" = 1 ] && cp -a "$work/cache1/debs-$arch/." "$work/cache2/debs-$arch/"
done

status=0
for name in server agent; do
  if ! cmp -s "$work/out1/kiam-base-$name.packages.tsv" "$work/out2/kiam-base-$name.packages.tsv"; then
    echo "kiam-base-$name: Debian's packages changed between the builds; run again" >&2
    diff "$work/out1/kiam-base-$name.packages.tsv" "$work/out2/kiam-base-$name.packages.tsv" >&2 || true
    [ "$status" = 0 ] && status=2
    continue
  fi
  one="$(sha256sum <"$work/out1/kiam-base-$name.tar" | cut -d' ' -f1)"
  two="$(sha256sum <"$work/out2/kiam-base-$name.tar" | cut -d' ' -f1)"
  size="$(stat -c %s "$work/out1/kiam-base-$name.tar")"
  if [ "$one" = "$two" ]; then
    echo "kiam-base-$name: identical, sha256:$one ($size bytes, $(wc -l <"$work/out1/kiam-base-$name.packages.tsv") packages)"
  else
    echo "kiam-base-$name: DIFFERENT: sha256:$one vs sha256:$two" >&2
    # the files that differ, to start from (diffoscope, if installed, says more)
    mkdir -p "$work/x1" "$work/x2"
    tar -xOf "$work/out1/kiam-base-$name.tar" --wildcards '*/layer.tar' | tar -tvf - --full-time | sort >"$work/x1/list"
    tar -xOf "$work/out2/kiam-base-$name.tar" --wildcards '*/layer.tar' | tar -tvf - --full-time | sort >"$work/x2/list"
    diff "$work/x1/list" "$work/x2/list" | head -n 40 >&2 || true
    # the files whose contents differ
    for x in 1 2; do
      mkdir -p "$work/x$x/root"
      tar -xOf "$work/out$x/kiam-base-$name.tar" --wildcards '*/layer.tar' | tar -xf - -C "$work/x$x/root" 2>/dev/null || true
      (cd "$work/x$x/root" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) >"$work/x$x/sums"
    done
    diff "$work/x1/sums" "$work/x2/sums" | head -n 40 >&2 || true
    rm -rf "$work/x1/root" "$work/x2/root"
    status=1
  fi
done
exit "$status"
