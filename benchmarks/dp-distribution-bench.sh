#!/usr/bin/env bash
# dp-distribution-bench.sh: how fast the site distributes a package to a distribution point that runs as its own
# process, on this machine over loopback (127.0.0.1 only). Starts two `deploycast server` processes in a temporary
# directory: the site (with its own DP) and dp2, which registers with it (--register-with) and polls it every second.
# Imports a file of random bytes as a package on the site, then per repetition: `deploycast package distribute` to dp2,
# and waits until the site shows the version Installed on dp2 (dp2 downloaded it by HTTPS range requests, checked every
# block and the whole file against the site-signed manifest, imported it into its content library and reported on its
# next poll). Between repetitions the package is removed from dp2 (remove-content) and the script waits until dp2
# holds nothing.
#
# Usage: benchmarks/dp-distribution-bench.sh [options]
#   --size S      package size (head -c syntax: 256M, 1G). Default 256M
#   --repeat N    repetitions. Default 3
#   --no-build    do not build the CLI first (default: dotnet build src/Deploycast.Cli -c Release)
#   --keep        keep the temporary directory (server logs)
# Prints per repetition: end to end (distribute command to Installed at the site, which includes up to one poll
# interval, 1 s, twice: to notice the assignment and to report), and dp2's own figure for download + check + import
# (from its log). MB = 10^6 bytes.
# Exit: 0 when it ran, 1 on a harness error, 2 on bad options.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)

size=256M repeat=3 build=1 keep=0
while [[ $# -gt 0 ]]; do
    case $1 in
        --size) size=$2; shift 2 ;;
        --repeat) repeat=$2; shift 2 ;;
        --no-build) build=0; shift ;;
        --keep) keep=1; shift ;;
        -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "dp-distribution-bench: unknown option $1" >&2; exit 2 ;;
    esac
done

dll="$REPO/src/Deploycast.Cli/bin/Release/net10.0/deploycast.dll"
if [[ $build == 1 ]]; then
    dotnet build "$REPO/src/Deploycast.Cli" -c Release -v q -nologo >/dev/null || { echo "dp-distribution-bench: build failed" >&2; exit 1; }
fi

work=$(mktemp -d /tmp/deploycast-dpdist-XXXXXX)
site_pid="" dp_pid=""
cleanup() {
    # Only the two servers this script started, by their process ids.
    [[ -n "$dp_pid" ]] && kill "$dp_pid" 2>/dev/null && wait "$dp_pid" 2>/dev/null
    [[ -n "$site_pid" ]] && kill "$site_pid" 2>/dev/null && wait "$site_pid" 2>/dev/null
    rm -f "$work/package.img"
    if [[ $keep == 1 ]]; then echo "logs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

dc() { dotnet "$dll" "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# Waits until FILE has a line matching PATTERN (servers print their address and fingerprint once they listen).
wait_for_line() {
    local file=$1 pattern=$2 i
    for i in $(seq 1 600); do
        grep -q "$pattern" "$file" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "dp-distribution-bench: timed out waiting for '$pattern' in $file:" >&2
    cat "$file" >&2
    return 1
}

admin=bench-admin-token-0123456789
DEPLOYCAST_Site__DistributionPointPollInterval=00:00:01 dc server --listen 127.0.0.1:0 --data-dir "$work/site" --admin-token "$admin" \
    >"$work/site.log" 2>&1 &
site_pid=$!
wait_for_line "$work/site.log" "certificate SHA-256" || exit 1
site_url=$(sed -n 's/^Deploycast server listening on \(.*\)$/\1/p' "$work/site.log")
site_fp=$(sed -n 's/^  certificate SHA-256 (clients pin it with --fingerprint): \(.*\)$/\1/p' "$work/site.log")
export DEPLOYCAST_SERVER=$site_url DEPLOYCAST_FINGERPRINT=$site_fp DEPLOYCAST_TOKEN=$admin

head -c "$size" /dev/urandom >"$work/package.img"
bytes=$(stat -c %s "$work/package.img")
package=$(dc package import "$work/package.img" --name "distribution benchmark" --json | json 'd["id"]') || exit 1
token=$(dc dp token --json | json 'd["token"]') || exit 1
dc server --listen 127.0.0.1:0 --data-dir "$work/dp2" --admin-token "$admin" --register-with "$site_url" \
    --site-fingerprint "$site_fp" --registration-token "$token" --dp-id dp2 >"$work/dp2.log" 2>&1 &
dp_pid=$!
wait_for_line "$work/dp2.log" "polling the site" || exit 1

# Status is read with curl, not the CLI: starting a dotnet process per check would add its start-up time to the
# figure. -k only here, on loopback, against the server this script started.
api() { curl -sk -H "Authorization: Bearer $admin" "${site_url%/}$1"; }
state() { api "/api/v1/packages/$package" | json '([x["state"] for x in d["distribution"] if x["distributionPointId"]=="dp2"] or ["none"])[0]'; }
held() { api "/api/v1/distribution-points" | json '[(x.get("health") or {}).get("packages", -1) for x in d if x["id"]=="dp2"][0]'; }

echo "package $package: $bytes bytes of random data; site $site_url; dp2 polls every 1 s"
for r in $(seq 1 "$repeat"); do
    start=$(date +%s.%N)
    dc package distribute "$package" --dp dp2 >/dev/null || exit 1
    while true; do
        now=$(state)
        [[ $now == Installed ]] && break
        [[ $now == Failed ]] && { echo "distribution failed:"; dc package show "$package"; exit 1; }
        sleep 0.05
    done
    end=$(date +%s.%N)
    fetched=$(grep "installed:" "$work/dp2.log" | tail -1 | sed 's/.*installed: //')
    python3 -c "import sys; s=$end-$start; print(f'repetition $r: distribute to Installed {s:.2f} s = {$bytes/1e6/s:.0f} MB/s end to end; dp2: $fetched')"
    if [[ $r -lt $repeat ]]; then
        dc package remove-content "$package" --dp dp2 >/dev/null || exit 1
        while [[ $(held) != 0 ]]; do sleep 0.2; done
    fi
done
