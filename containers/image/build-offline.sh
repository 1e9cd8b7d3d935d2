#!/bin/sh
# daemonlab systemd base image, offline route: no registry needed, only Debian's
# package mirror. Usage: sh build-offline.sh [TAG]
#   default TAG: daemonlab/systemd:<first 12 hex of the recipe hash>
# Needs: mmdebstrap (apt-get install -y mmdebstrap), the docker CLI, and root
# (or unprivileged user namespaces, which mmdebstrap then uses).
# The recipe hash is sha256 over the sha256sum(1) listing of the recipe files in
# this fixed order; the Go function containers.RecipeHash computes the same value.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
files="Dockerfile packages.txt build-offline.sh customize.sh"
for f in $files; do
    [ -f "$f" ] || { echo "build-offline.sh: recipe file $here/$f is missing" >&2; exit 2; }
done
# shellcheck disable=SC2086
hash=$(sha256sum $files | sha256sum | cut -c1-64)
tag=${1:-daemonlab/systemd:$(printf %s "$hash" | cut -c1-12)}

command -v mmdebstrap >/dev/null 2>&1 || {
    echo "build-offline.sh: mmdebstrap not found; install it with: apt-get install -y mmdebstrap" >&2; exit 3; }
command -v docker >/dev/null 2>&1 || {
    echo "build-offline.sh: the docker CLI is not on PATH" >&2; exit 3; }

pkgs=$(sed -e 's/#.*//' packages.txt | tr -s ' \t' '\n' | sed '/^$/d' | paste -sd, -)
work=$(mktemp -d "${TMPDIR:-/tmp}/daemonlab-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
cp customize.sh "$work/customize.sh"

echo "build-offline.sh: mmdebstrap bookworm with: $pkgs"
mmdebstrap --variant=minbase \
    --aptopt='Apt::Install-Recommends "false"' \
    --include="$pkgs" \
    --customize-hook="sh '$work/customize.sh' \"\$1\"" \
    bookworm "$work/rootfs.tar"

# docker import accepts CMD and LABEL but not STOPSIGNAL: the runner sets the
# stop signal (SIGRTMIN+3) on every container it creates.
echo "build-offline.sh: docker import as $tag"
docker import \
    --change 'CMD ["/usr/lib/daemonlab/boot"]' \
    --change "LABEL org.daemonlab.recipe=$hash" \
    --message "daemonlab recipe $hash" \
    "$work/rootfs.tar" "$tag" >/dev/null
echo "build-offline.sh: built $tag"
