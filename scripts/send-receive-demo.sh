#!/usr/bin/env bash
# The main job on the embedded defaults: one sender multicasts a disk image to three receivers over loopback
# (127.0.0.1, TTL 1: nothing leaves this machine), every copy is verified, and the summary is printed.
# Usage: scripts/send-receive-demo.sh [size-in-MiB (default 256)] [receivers (default 3)]
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-256}
receivers=${2:-3}

dotnet build src/Deploycast.Cli -c Release -v quiet -nologo >/dev/null
cli=(dotnet src/Deploycast.Cli/bin/Release/net10.0/deploycast.dll)
work=$(mktemp -d /tmp/deploycast-quickstart.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

echo "Making a ${size_mib} MiB test image in $work ..."
head -c $((size_mib * 1024 * 1024)) /dev/urandom > "$work/image.raw"

for i in $(seq 1 "$receivers"); do
  "${cli[@]}" receive --output "$work/copy$i.raw" > "$work/receiver$i.log" 2>&1 &
  pids+=($!)
done

"${cli[@]}" send "$work/image.raw" --min-receivers "$receivers"
status=0
for i in $(seq 1 "$receivers"); do
  if wait "${pids[$((i - 1))]}"; then
    echo "receiver $i: $(tail -n 1 "$work/receiver$i.log")"
  else
    echo "receiver $i FAILED:"; cat "$work/receiver$i.log"; status=1
  fi
done
pids=()

expected=$(sha256sum < "$work/image.raw")
for i in $(seq 1 "$receivers"); do
  [ "$(sha256sum < "$work/copy$i.raw")" = "$expected" ] || { echo "copy $i differs from the image"; status=1; }
done
[ $status = 0 ] && echo "All $receivers copies are byte-equal to the image."
exit $status
