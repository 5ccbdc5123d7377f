#!/usr/bin/env bash
# publish-cli.sh [OUT]: publishes the deploycast CLI the way it is installed and measured: Release,
# framework-dependent, ReadyToRun (the transport's code is compiled ahead of time, so a process that
# starts does not spend its first half second JIT-compiling it). OUT defaults to artifacts/cli; run it
# there as `dotnet OUT/deploycast.dll ...`. Quiet on success; on failure prints the build's last lines.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$REPO/artifacts/cli}
case $(uname -m) in
    x86_64) rid=linux-x64 ;;
    aarch64) rid=linux-arm64 ;;
    *) echo "publish-cli.sh: no ReadyToRun target for $(uname -m)" >&2; exit 1 ;;
esac
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! timeout 900 dotnet publish "$REPO/src/Deploycast.Cli" -c Release -r "$rid" --self-contained false \
    -p:PublishReadyToRun=true -o "$out" -nologo -v quiet >"$log" 2>&1; then
    tail -20 "$log" >&2
    echo "publish-cli.sh: the CLI does not build" >&2
    exit 1
fi
