#!/usr/bin/env bash
# The main job on the embedded defaults: `deploycast quickstart` starts a server (SQLite, loopback), makes a sample
# ext4 OS image, imports it with multicast allowed, deploys a task sequence to a collection of local agents, runs them
# (one multicast session over 127.0.0.1, TTL 1: nothing leaves this machine), verifies every copy and prints what
# multicast saved. Options go to the command: --clients N (default 4), --size MiB, --data-dir DIR, --keep.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build src/Deploycast.Cli -c Release -v quiet -nologo >/dev/null
exec dotnet src/Deploycast.Cli/bin/Release/net10.0/deploycast.dll quickstart "$@"
