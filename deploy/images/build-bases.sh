#!/usr/bin/env bash
# Builds the kiam base images from Debian packages alone (no registry image) and writes them as
# docker-save tarballs, the form Jib takes as a base (tar://...):
#   OUT/kiam-base-server.tar  openjdk-17-jre-headless, user kiam (65532); no shell, perl, dpkg or apt
#   OUT/kiam-base-agent.tar   openjdk-17-jre-headless and iptables (nft and legacy) behind a wrapper
# Each image records its Debian packages in /usr/share/kiam/packages.tsv (copied to OUT too).
#
# Usage: deploy/images/build-bases.sh OUT [ARCH]    (ARCH: dpkg architecture, default the machine's)
#
# Reproducible: mmdebstrap with SOURCE_DATE_EPOCH gives the same bytes for the same package
# versions, and the tarball around it is written with fixed names, order and times. Built bases are
# cached in ${KIAM_IMAGE_CACHE:-~/.cache/kiam-images}, keyed by this folder's files (package lists,
# scripts), the architecture and SOURCE_DATE_EPOCH: delete the cache to pick up Debian's updates.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: build-bases.sh OUT [ARCH]}"
arch="${2:-$(dpkg --print-architecture)}"
suite=bookworm
# The date every file in the image carries; fixed so that the same packages give the same image.
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1767225600}" # 2026-01-01T00:00:00Z
cache="${KIAM_IMAGE_CACHE:-${HOME}/.cache/kiam-images}"
mkdir -p "$out" "$cache"

command -v mmdebstrap >/dev/null || { echo "build-bases.sh: needs mmdebstrap (apt-get install mmdebstrap)" >&2; exit 1; }
command -v java >/dev/null || { echo "build-bases.sh: needs java (17 or newer) for NormalizeJks.java" >&2; exit 1; }

key="$(cd "$here" && cat build-bases.sh NormalizeJks.java iptables-wrapper server.packages agent.packages \
  | { cat; echo "$arch $suite $SOURCE_DATE_EPOCH"; } | sha256sum | cut -c1-16)"

packages() { grep -v '^\s*#' "$here/$1.packages" | grep -v '^\s*$' | paste -sd, -; }

# Writes $3 (a docker-save tarball) from the root filesystem tarball $2, named kiam-base-$1.
wrap() {
  local name="$1" rootfs="$2" dest="$3" dir layer_sha config_sha created
  dir="$(mktemp -d)"
  layer_sha="$(sha256sum "$rootfs" | cut -d' ' -f1)"
  mkdir "$dir/$layer_sha"
  cp "$rootfs" "$dir/$layer_sha/layer.tar"
  created="$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)"
  printf '{"architecture":"%s","os":"linux","created":"%s","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","LANG=C.UTF-8"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created":"%s","created_by":"mmdebstrap --variant=minbase %s (deploy/images/build-bases.sh)"}]}' \
    "$arch" "$created" "$layer_sha" "$created" "$suite" >"$dir/config.json"
  config_sha="$(sha256sum "$dir/config.json" | cut -d' ' -f1)"
  mv "$dir/config.json" "$dir/$config_sha.json"
  printf '[{"Config":"%s.json","RepoTags":["localhost/kiam-base-%s:%s"],"Layers":["%s/layer.tar"]}]' \
    "$config_sha" "$name" "$key" "$layer_sha" >"$dir/manifest.json"
  tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
    -C "$dir" -cf "$dest.tmp" manifest.json "$config_sha.json" "$layer_sha"
  mv "$dest.tmp" "$dest"
  rm -rf "$dir"
}

mirrors=(
  "deb http://deb.debian.org/debian $suite main"
  "deb http://deb.debian.org/debian $suite-updates main"
  "deb http://deb.debian.org/debian-security $suite-security main"
)
# Run in every image: give the JRE's CA keystore fixed entry dates (ca-certificates-java stamps each
# entry with the time of the install, the one difference between two builds), record the packages,
# then drop what a running daemon never reads.
normalize="java '$here/NormalizeJks.java' \"\$1/etc/ssl/certs/java/cacerts\""
record='mkdir -p "$1/usr/share/kiam" && chroot "$1" dpkg-query -W -f="\${Package}\t\${Version}\t\${Architecture}\n" | LC_ALL=C sort >"$1/usr/share/kiam/packages.tsv"'
tidy='rm -rf "$1"/var/log/* "$1"/var/cache/ldconfig/aux-cache "$1"/usr/share/doc/* "$1"/usr/share/man/* "$1"/usr/share/info/* && : >"$1/etc/machine-id"'
# The server image: a fixed non-root user (the chart's runAsUser), and no shell, perl or package
# manager (the chart's probes exec java directly). dpkg's status file stays for image scanners.
server_hooks=(
  --customize-hook="$normalize"
  --customize-hook='echo "kiam:x:65532:65532:kiam:/nonexistent:/usr/sbin/nologin" >>"$1/etc/passwd"'
  --customize-hook='echo "kiam:x:65532:" >>"$1/etc/group"'
  --customize-hook="$record"
  --customize-hook="$tidy"
  --customize-hook='rm -rf "$1"/usr/bin/sh "$1"/usr/bin/dash "$1"/usr/bin/bash "$1"/usr/bin/rbash "$1"/usr/bin/perl* "$1"/usr/lib/*/perl-base "$1"/usr/share/perl5 "$1"/usr/bin/dpkg* "$1"/usr/sbin/dpkg* "$1"/usr/bin/apt* "$1"/usr/lib/apt "$1"/usr/sbin/update-alternatives'
)
# The agent image keeps its shell (the iptables wrapper is a script) and puts the wrapper first on PATH.
agent_hooks=(
  --customize-hook="install -m 0755 '$here/iptables-wrapper' \"\$1/usr/local/sbin/iptables\""
  --customize-hook="$normalize"
  --customize-hook="$record"
  --customize-hook="$tidy"
)

build() {
  local name="$1"; shift
  local cached="$cache/kiam-base-$name-$arch-$key.tar"
  if [ ! -s "$cached" ]; then
    echo "build-bases.sh: building kiam-base-$name ($arch, key $key) with mmdebstrap"
    local rootfs; rootfs="$(mktemp --suffix=.tar)"
    # Downloaded .debs are kept in the cache too: the second base reuses the first one's JRE.
    mkdir -p "$cache/debs-$arch"
    mmdebstrap --quiet --variant=minbase --arch="$arch" --include="$(packages "$name")" \
      --aptopt='APT::Install-Recommends "false"' --dpkgopt='path-exclude=/usr/share/doc/*' \
      --skip=download/empty --skip=essential/unlink \
      --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
      --setup-hook="sync-in '$cache/debs-$arch' /var/cache/apt/archives/" \
      --customize-hook="sync-out /var/cache/apt/archives '$cache/debs-$arch'" "$@" \
      "$suite" "$rootfs" "${mirrors[@]}"
    tar -xOf "$rootfs" ./usr/share/kiam/packages.tsv >"$cache/kiam-base-$name-$arch-$key.packages.tsv"
    wrap "$name" "$rootfs" "$cached"
    rm -f "$rootfs"
  else
    echo "build-bases.sh: kiam-base-$name ($arch, key $key) from cache $cached"
  fi
  cp "$cached" "$out/kiam-base-$name.tar"
  cp "$cache/kiam-base-$name-$arch-$key.packages.tsv" "$out/kiam-base-$name.packages.tsv"
}

build server "${server_hooks[@]}"
build agent "${agent_hooks[@]}"
