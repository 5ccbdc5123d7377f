#!/usr/bin/env bash
# Builds the stand-alone agent for target computers: a self-contained single-file deploycast-agent for linux-x64
# (runs without .NET installed; needs Debian's libwim15 for WIM images), and checks that the agent builds for win-x64.
#   scripts/build-agent.sh [output directory]      default: artifacts/agent
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-artifacts/agent}"
mkdir -p "$out"

echo "== linux-x64, self-contained single file"
dotnet publish src/Deploycast.AgentHost -c Release -r linux-x64 -o "$out/linux-x64" -p:DebugType=none -p:GenerateDocumentationFile=false --nologo -v quiet
"$out/linux-x64/deploycast-agent" --version >/dev/null
ls -l "$out/linux-x64/deploycast-agent"

echo "== win-x64 build check"
dotnet build src/Deploycast.AgentHost -c Release -r win-x64 -o "$out/win-x64" --nologo -v quiet
ls -l "$out/win-x64/deploycast-agent.exe"
