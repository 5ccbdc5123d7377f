#!/usr/bin/env bash
# dp-bench.sh: the distribution point end to end, on loopback only (HTTPS on 127.0.0.1; multicast
# bound to 127.0.0.1 with TTL 1: nothing reaches a real interface). One run starts a real
# `deploycast server` in a temporary data directory, imports a mostly random image through the API,
# and measures side by side:
#   (a) session-request latency: POST /api/v1/dp/sessions, p50/p95/p99 over --requests new clients
#       on one kept-alive HTTPS connection, the same clients asking again (the idempotent retry),
#       and --tls-requests new clients each on a new TLS connection (what a one-shot client pays);
#   (b) N clients (--clients, default 1,4,8) running `deploycast download` through the DP by
#       multicast (auto-cast: the session starts at the first request, the others join in
#       progress), against plain `deploycast send --min-receivers N` / N `deploycast receive` of the
#       same file on the same machine. The two alternate which goes first from one repetition to
#       the next. Time: from starting the N client processes to the last one's exit (the plain
#       sender is started first and has said it waits, as the DP's server is running already);
#       every output must be byte-equal to the image;
#   (c) unicast fallback: one `deploycast download --unicast`, --unicast-runs times;
#   (d) content import: POST /api/v1/dp/packages of --imports distinct files of the image's size
#       (page cache warm), MB/s = size / the request's time.
# Prints a Markdown table (medians) and appends one JSON object per measurement to --results.
#
# Usage: lab/dp-bench.sh [options]
#   --size S           image size (head -c syntax: 256M, 1G, 1000000). Default 256M; 1/16 of it,
#                      in the middle, is zeros (a raw image's empty space), the rest random
#   --clients LIST     client counts for (b). Default 1,4,8
#   --repeat N         repetitions of (b), alternating the order of DP and plain. Default 3
#   --requests N       new-client session requests for (a) (after 20 warm-up). Default 200
#   --tls-requests N   session requests on a new TLS connection each. Default 50
#   --unicast-runs N   default 3
#   --imports N        default 3
#   --group G          group of the plain send/receive runs. Default 239.255.78.1
#   --port P           its UDP port. Default 47100 (the script refuses a port already bound)
#   --dp-group-range A-B   the DP's group range. Default 239.255.77.1-239.255.77.254
#   --dp-port-range A-B    the DP's port range. Default 47000-47099
#   --timeout S        per-process timeout (killed and recorded as exit 124). Default 180
#   --results FILE     append JSON Lines (one object per measurement) to FILE
#   --no-build         do not build the CLI first (default: scripts/publish-cli.sh, a ReadyToRun Release build)
#   --dll PATH         deploycast.dll to run. Default artifacts/cli/deploycast.dll
#   --workdir DIR      where the image, the DP's data and the outputs go (default: a new /tmp dir)
#   --keep-logs        keep the work directory's logs (images and outputs are always deleted)
#   --parts LIST       which of a,b,c,d to run (default a,b,c,d; d, the import of the image, always
#                      happens, but is measured and repeated only when asked)
#   --summary FILE     only print the table for the last run in FILE
# Units: MB = 10^6 bytes. Runtime with the defaults: about 7 minutes on 2 busy cores (load 17-31).
# Exit: 0 when it ran and every transfer ended byte-equal, 3 when it ran but some did not,
# 77 when it cannot run (no dotnet or python3), 1 on a harness error, 2 on bad options.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)

size=256M clients=1,4,8 repeat=3 requests=200 tls_requests=50 unicast_runs=3 imports=3
group=239.255.78.1 port=47100 dp_groups=239.255.77.1-239.255.77.254 dp_ports=47000-47099
timeout=180 results="" build=1 workdir="" keep=0 summary_only="" parts=a,b,c,d
dll="$REPO/artifacts/cli/deploycast.dll"
while [[ $# -gt 0 ]]; do
    case $1 in
        --size) size=$2; shift 2 ;;
        --clients) clients=$2; shift 2 ;;
        --repeat) repeat=$2; shift 2 ;;
        --requests) requests=$2; shift 2 ;;
        --tls-requests) tls_requests=$2; shift 2 ;;
        --unicast-runs) unicast_runs=$2; shift 2 ;;
        --imports) imports=$2; shift 2 ;;
        --group) group=$2; shift 2 ;;
        --port) port=$2; shift 2 ;;
        --dp-group-range) dp_groups=$2; shift 2 ;;
        --dp-port-range) dp_ports=$2; shift 2 ;;
        --timeout) timeout=$2; shift 2 ;;
        --results) results=$2; shift 2 ;;
        --no-build) build=0; shift ;;
        --dll) dll=$2; shift 2 ;;
        --workdir) workdir=$2; shift 2 ;;
        --keep-logs) keep=1; shift ;;
        --summary) summary_only=$2; shift 2 ;;
        --parts) parts=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

command -v python3 >/dev/null || { echo "SKIP: python3 is not installed" >&2; exit 77; }
export DPB_SUMMARY_ONLY=$summary_only
if [[ -n "$summary_only" ]]; then
    exec python3 "$HERE/dp-bench.py"
fi

for v in repeat requests tls_requests unicast_runs imports timeout; do
    [[ "${!v}" =~ ^[0-9]+$ ]] || { echo "bad --${v//_/-} '${!v}'" >&2; exit 2; }
done
[[ "$repeat" -ge 1 && "$timeout" -ge 1 ]] || { echo "--repeat and --timeout must be at least 1" >&2; exit 2; }
[[ "$clients" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || { echo "bad --clients '$clients' (e.g. 1,4,8)" >&2; exit 2; }
[[ "$parts" =~ ^[abcd](,[abcd])*$ ]] || { echo "bad --parts '$parts' (e.g. a,b)" >&2; exit 2; }
[[ "$port" =~ ^[0-9]+$ && $port -ge 1024 && $port -le 65535 ]] || { echo "bad --port '$port'" >&2; exit 2; }
[[ "$group" =~ ^239\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "--group must be an administratively scoped 239.x.y.z group" >&2; exit 2; }
[[ "$dp_groups" =~ ^239\.[0-9.]+-239\.[0-9.]+$ ]] || { echo "--dp-group-range must be 239.x.y.z-239.x.y.z" >&2; exit 2; }
[[ "$dp_ports" =~ ^[0-9]+-[0-9]+$ ]] || { echo "--dp-port-range must be A-B" >&2; exit 2; }
bytes=$(python3 -c 'import sys; s=sys.argv[1]; m={"K":1<<10,"M":1<<20,"G":1<<30}; print(int(s[:-1])*m[s[-1].upper()] if s[-1].upper() in m else int(s))' "$size" 2>/dev/null) \
    || { echo "bad --size '$size'" >&2; exit 2; }
[[ "$bytes" -ge 1048576 ]] || { echo "--size must be at least 1M" >&2; exit 2; }
command -v dotnet >/dev/null || { echo "SKIP: dotnet is not installed" >&2; exit 77; }
if ss -Hulpn 2>/dev/null | awk '{print $4}' | grep -Eq "[:.]$port\$"; then
    echo "UDP port $port is already bound on this machine; choose another with --port" >&2; exit 2
fi

if [[ $build -eq 1 ]]; then
    echo "publishing the CLI (Release, ReadyToRun)..." >&2
    "$REPO/scripts/publish-cli.sh" || exit 1
fi
[[ -f "$dll" ]] || { echo "no $dll (build it, or give --dll)" >&2; exit 1; }

export DPB_DLL=$dll DPB_SIZE=$bytes DPB_CLIENTS=$clients DPB_REPEAT=$repeat DPB_REQUESTS=$requests
export DPB_TLS_REQUESTS=$tls_requests DPB_UNICAST_RUNS=$unicast_runs DPB_IMPORTS=$imports DPB_GROUP=$group
export DPB_PORT=$port DPB_DP_GROUPS=$dp_groups DPB_DP_PORTS=$dp_ports DPB_TIMEOUT=$timeout DPB_RESULTS=$results
export DPB_WORKDIR=$workdir DPB_KEEP=$keep DPB_PARTS=$parts DPB_VERSION
DPB_VERSION=$(cd "$REPO" && git describe --always --dirty 2>/dev/null || echo unknown)
exec python3 "$HERE/dp-bench.py"
