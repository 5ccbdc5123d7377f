#!/usr/bin/env bash
# A multi-host deploycast transfer in the network lab, for the test suite: three receivers behind 100 Mbit/s
# ports with 2% random loss each, one of them started late. Exits 0 when every copy is byte-equal and every
# process exited 0; 77 (skip) when the lab cannot run here (not root, no network namespaces).
# Usage: lab/ci-transfer.sh <path to deploycast.dll> [size, default 12M]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lab/netlab.sh
source "$here/netlab.sh"
lab_check || exit $?
dll=${1:?usage: ci-transfer.sh <deploycast.dll> [size]}
size=${2:-24M}
prefix=dcci$$
work=$(mktemp -d /tmp/deploycast-ci-lab.XXXXXX)
trap 'lab_down "$prefix" >/dev/null 2>&1; rm -rf "$work"' EXIT

lab_make_file "$work/image.raw" "$size" >/dev/null
lab_up "$prefix" 3 --rate 100mbit --loss-permille 20 >/dev/null || exit 1
cli="dotnet $(printf '%q' "$dll")"
lab_run_transfer --prefix "$prefix" --label "ci" --timeout 120 --workdir "$work/run" \
    "$work/image.raw" \
    "$cli send {file} --interface {sender} --group 239.255.42.1 --port 63000 --min-receivers 2 --max-wait 20" \
    "if [ {i} = 3 ]; then sleep 1; fi; $cli receive --output {out} --interface {addr} --group 239.255.42.1 --port 63000"
status=$?
if [ "${LAB_RUN_OK:-0}" != 1 ] || [ $status != 0 ]; then
    for f in "$work"/run/*.stderr "$work"/run/*.log; do [ -f "$f" ] && { echo "== $f"; tail -n 20 "$f"; }; done
    exit 1
fi
echo "lab transfer ok: ${LAB_RUN_GOODPUT_MBIT} Mbit/s"
