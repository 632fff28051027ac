#!/usr/bin/env bash
# Makes a stand-in for the generated Dockerfile's base image (node:<version>-bookworm-slim) where
# Docker Hub cannot be reached, and imports it into podman under that very tag, so that the Dockerfile
# builds unmodified. Used by test/image.test.ts.
#
#   scripts/make-base-image.sh <tag> [--nats <tag>]
#
# The base: Debian bookworm (debootstrap --variant=minbase from Debian's mirror, the one apt uses), Node.js
# from the npm registry's node-linux-<arch> package of the tag's version (the machine's own node when
# that cannot be had), the machine's npm, and a `node` user with uid 1000, as in the official image.
# npm in the base trusts the machine's CA bundle, for registries reached through an inspecting proxy,
# and so do pnpm, yarn and bun (NODE_EXTRA_CA_CERTS, which node and bun read). Like the official image
# it has yarn 1 in /usr/local/bin, not installed by npm (see complete_base).
# With --nats, also an image with Debian's nats-server (and wget, for compose's health check) on it.
# Images podman already has are kept: a second run on the same machine takes a second.
# Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian), CONTAINERS_CONF as podman reads it.
set -euo pipefail

tag=${1:?usage: make-base-image.sh <tag, e.g. node:24.22-bookworm-slim> [--nats <tag>]}
nats_tag=
if [[ ${2:-} == --nats ]]; then nats_tag=${3:?--nats needs an image tag}; fi
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
work= root= # of make_base, global for its EXIT trap
say() { echo "make-base-image: $*" >&2; }
fail() { say "$*"; exit 1; }

command -v podman >/dev/null || fail "podman is not installed (apt-get install podman)"

make_base() {
  command -v debootstrap >/dev/null || fail "debootstrap is not installed (apt-get install debootstrap)"
  local version arch node_bin npm_dir
  work=$(mktemp -d "${TMPDIR:-/var/tmp}/telestion-base.XXXXXX")
  root=$work/rootfs
  # debootstrap mounts /proc (and in a container binds device files) into the new root: never remove
  # through a mount into the machine's own.
  trap 'for m in proc sys dev/pts dev; do umount -R "$root/$m" 2>/dev/null || true; done; rm -rf --one-file-system "$work"' EXIT

  local started=$SECONDS
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    fail "debootstrap bookworm from $mirror failed: $(tail -n 1 "$work/debootstrap.log")"
  say "debootstrap: $((SECONDS - started)) s"

  # node:24.22-bookworm-slim → the newest 24.22.x Node.js the registry has.
  version=$(sed -E 's/^([^:]*:)?([0-9]+(\.[0-9]+)*).*/\2/' <<<"${tag##*/}")
  case $(uname -m) in x86_64) arch=x64 ;; aarch64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
  node_bin=
  if (cd "$work" && npm pack --silent "node-linux-$arch@$version" >pack.out 2>pack.err); then
    tar -xzf "$work/$(tail -n 1 "$work/pack.out")" -C "$work" package/bin/node && node_bin=$work/package/bin/node
  fi
  if [[ -z $node_bin ]]; then
    node_bin=$(readlink -f "$(command -v node)")
    say "node-linux-$arch@$version is not to be had ($(tail -n 1 "$work/pack.err" 2>/dev/null)); using this machine's node $(node --version)"
  fi
  npm_dir=$(npm root -g)/npm
  [[ -f $npm_dir/bin/npm-cli.js ]] || fail "no npm found at $npm_dir"

  install -D -m 0755 "$node_bin" "$root/usr/local/bin/node"
  mkdir -p "$root/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  printf 'cafile=/etc/ssl/certs/ca-certificates.crt\nupdate-notifier=false\n' >"$root/usr/local/etc/npmrc"
  chroot "$root" groupadd --gid 1000 node
  chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
  local actual
  actual=$(chroot "$root" /usr/local/bin/node --version) || fail "node does not run in the new root file system"

  tar -C "$root" -c . | podman import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV NODE_VERSION=${actual#v}" \
    --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
    --change "LABEL org.telestion.stand-in=debootstrap-bookworm-minbase+node-${actual}" \
    --change 'CMD ["node"]' \
    - "$tag" >/dev/null || fail "podman import failed"
  say "$tag: Debian bookworm with Node.js $actual, $((SECONDS - started)) s"
}

make_nats() {
  local dir started=$SECONDS
  dir=$(mktemp -d "${TMPDIR:-/var/tmp}/telestion-nats.XXXXXX")
  cat >"$dir/Containerfile" <<EOF
FROM $tag
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nats-server wget \\
 && rm -rf /var/lib/apt/lists/*
ENTRYPOINT ["nats-server"]
EOF
  podman build --format docker -q -t "$nats_tag" "$dir" >"$dir/build.log" 2>&1 ||
    { local last; last=$(tail -n 1 "$dir/build.log"); rm -rf "$dir"; fail "building $nats_tag failed: $last"; }
  rm -rf "$dir"
  say "$nats_tag: Debian's nats-server on $tag, $((SECONDS - started)) s"
}

# What the official node images have beyond node, npm and the node user, and what the tests need,
# added to the base as a layer of its own, so also to a base kept from before this was here:
# - yarn 1 at /usr/local/bin/yarn, linked from /opt/yarn-v<version> and not installed by npm, as in the
#   official images: there `npm install -g yarn` fails (EEXIST) unless forced, and so it does here.
# - NODE_EXTRA_CA_CERTS (not in the official images): bun reads no npm cafile; node and bun read this.
complete_base() {
  local env dir yarn_version=1.22.22
  # Read whole, then searched: `podman … | grep -q` fails under pipefail whenever grep exits first.
  env=$(podman image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$tag")
  if grep -q '^NODE_EXTRA_CA_CERTS=' <<<"$env" && grep -qx "YARN_VERSION=$yarn_version" <<<"$env"; then return; fi
  dir=$(mktemp -d "${TMPDIR:-/var/tmp}/telestion-base-layer.XXXXXX")
  (cd "$dir" && npm pack --silent "yarn@$yarn_version" >pack.out 2>pack.err) ||
    { local last; last=$(tail -n 1 "$dir/pack.err"); rm -rf "$dir"; fail "npm pack yarn@$yarn_version failed: $last"; }
  mkdir -p "$dir/context/opt" "$dir/context/bin"
  tar -xzf "$dir/$(tail -n 1 "$dir/pack.out")" -C "$dir/context/opt"
  mv "$dir/context/opt/package" "$dir/context/opt/yarn-v$yarn_version"
  ln -s "/opt/yarn-v$yarn_version/bin/yarn" "$dir/context/bin/yarn"
  ln -s "/opt/yarn-v$yarn_version/bin/yarnpkg" "$dir/context/bin/yarnpkg"
  printf '%s\n' "FROM $tag" \
    "ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt YARN_VERSION=$yarn_version" \
    'COPY opt/ /opt/' 'COPY bin/ /usr/local/bin/' >"$dir/context/Containerfile"
  podman build --format docker -q -t "$tag" "$dir/context" >"$dir/build.log" 2>&1 ||
    { local last; last=$(tail -n 1 "$dir/build.log"); rm -rf "$dir"; fail "completing $tag failed: $last"; }
  rm -rf "$dir"
  say "$tag: yarn $yarn_version (as the official image has it) and NODE_EXTRA_CA_CERTS added"
}

if podman image exists "$tag"; then say "$tag: kept from an earlier run"; else make_base; fi
complete_base
if [[ -n $nats_tag ]]; then
  if podman image exists "$nats_tag"; then say "$nats_tag: kept from an earlier run"; else make_nats; fi
fi
