#!/usr/bin/env bash
# Build local stand-ins for the upstream images compose pulls (python:3.11-slim, node, rabbitmq, postgres,
# minio), from Debian packages and PyPI only, for machines that reach no container registry.
#   deploy/local/build-standins.sh            # build what is missing or whose recipe changed
#   deploy/local/build-standins.sh --rebuild  # rebuild everything (e.g. to pick up Debian security updates)
# An image is reused when it exists with the label spaceport.recipe equal to the hash of its recipe (its
# Dockerfile, the files it copies and its base's hash); editing a recipe rebuilds that image and those above it.
# Needs root (debootstrap), docker, and network access to a Debian mirror and PyPI.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
prefix=${SPACEPORT_STANDIN_PREFIX:-spaceport-local}
rebuild=0
[[ "${1:-}" == "--rebuild" ]] && rebuild=1

label_of() { docker image inspect --format '{{ index .Config.Labels "spaceport.recipe" }}' "$1" 2>/dev/null || true; }

# This machine's extra CA certificates (e.g. a TLS-inspecting proxy) go into the Python and Node stand-ins.
mkdir -p "$here/ca"
find "$here/ca" -name '*.crt' -delete
cp ${SPACEPORT_EXTRA_CA_DIR:-/usr/local/share/ca-certificates}/*.crt "$here/ca/" 2>/dev/null || true

# debian:bookworm, minbase, from the mirror (no registry).
debian="$prefix/debian:bookworm"
debian_recipe=$(printf 'debootstrap minbase bookworm' | sha256sum | cut -c1-16)
if [[ $rebuild == 1 || "$(label_of "$debian")" != "$debian_recipe" ]]; then
  command -v debootstrap >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
  rootfs=$(mktemp -d)
  trap 'rm -rf "$rootfs"' EXIT
  echo "standins: debootstrap bookworm into $rootfs"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >/dev/null
  tar -C "$rootfs" -c . | docker import --change "LABEL spaceport.recipe=$debian_recipe" - "$debian" >/dev/null
  rm -rf "$rootfs"
else
  echo "standins: reusing $debian"
fi

# name  dockerfile  base-arg  base-image  (the base's hash joins each recipe hash, so a new base rebuilds above it)
build() {
  local tag=$1 dockerfile=$2 arg=$3 base=$4
  local recipe
  recipe=$( { label_of "$base"; cat "$here/$dockerfile"; [[ $dockerfile == postgres.Dockerfile ]] && cat "$here/postgres-entrypoint.sh"
    [[ $dockerfile == python.Dockerfile || $dockerfile == node.Dockerfile ]] && cat "$here"/ca/*.crt 2>/dev/null; true; } \
    | sha256sum | cut -c1-16)
  if [[ $rebuild == 0 && "$(label_of "$tag")" == "$recipe" ]]; then
    echo "standins: reusing $tag"
    return
  fi
  echo "standins: building $tag"
  docker build -q -f "$here/$dockerfile" --build-arg "$arg=$base" --label "spaceport.recipe=$recipe" -t "$tag" "$here" >/dev/null
}

build "$prefix/python:3.11" python.Dockerfile DEBIAN_IMAGE "$debian"
build "$prefix/node:18" node.Dockerfile DEBIAN_IMAGE "$debian"
build "$prefix/rabbitmq:3" rabbitmq.Dockerfile DEBIAN_IMAGE "$debian"
build "$prefix/postgres:15" postgres.Dockerfile DEBIAN_IMAGE "$debian"
build "$prefix/s3:moto" s3.Dockerfile PYTHON_IMAGE "$prefix/python:3.11"
