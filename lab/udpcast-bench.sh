#!/usr/bin/env bash
# udpcast-bench.sh: measure udpcast (Debian's udp-sender / udp-receiver) in the network lab.
# One sender and N receivers (default 4); each receiver's link is capped by tc tbf (default
# 200mbit) and loses a random share of incoming UDP (nftables). For every scenario it records,
# per receiver, exit code, wall time and whether the output is byte-equal to the source
# (SHA-256), and the goodput of the whole transfer (sender start to last receiver done).
#
# Usage: lab/udpcast-bench.sh [options]
#   --size S            test file size (head -c syntax: 256M, 1G, 1000000). Default 256M
#   --receivers N       default 4
#   --rate R            tbf rate per receiver link (tc syntax). Default 200mbit
#   --loss P            loss per mille for the lossy scenarios. Default 10 (= 1%)
#   --cap C             udp-sender --max-bitrate for the capped scenario. Default 190m
#   --scenario L:C      run this scenario (loss per mille : cap or 'none'); repeatable.
#                       Default: 0:none, P:none, P:C  (reference, lossy uncapped, lossy capped)
#   --timeout S         per-process timeout (a receiver still running then counts as hung). Default 600
#   --receive-timeout S udp-receiver --receive-timeout. Default 60
#   --start-timeout S   udp-sender/udp-receiver --start-timeout. Default 60
#   --repeat N          run every scenario N times. Default 1
#   --results FILE      append JSON Lines results (one object per scenario) to FILE
#   --prefix P          lab namespace prefix. Default ucb
#   --keep-logs         keep the temporary directory with the processes' logs
#   --extra-sender-args "..."   appended to every udp-sender command line
# Exit: 0 when it ran (whatever udpcast did), 77 when the lab cannot run here (not root, no netns,
# no udpcast), 1 on a harness error.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=netlab.sh
source "$HERE/netlab.sh"

size=256M n=4 rate=200mbit loss=10 cap=190m timeout=600 rcv_timeout=60 start_timeout=60 repeat=1
results="" prefix=ucb keep=0
extra=""
scenarios=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --size) size=$2; shift 2 ;;
        --receivers) n=$2; shift 2 ;;
        --rate) rate=$2; shift 2 ;;
        --loss) loss=$2; shift 2 ;;
        --cap) cap=$2; shift 2 ;;
        --scenario) scenarios+=("$2"); shift 2 ;;
        --timeout) timeout=$2; shift 2 ;;
        --receive-timeout) rcv_timeout=$2; shift 2 ;;
        --start-timeout) start_timeout=$2; shift 2 ;;
        --repeat) repeat=$2; shift 2 ;;
        --results) results=$2; shift 2 ;;
        --prefix) prefix=$2; shift 2 ;;
        --keep-logs) keep=1; shift ;;
        --extra-sender-args) extra=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
[[ ${#scenarios[@]} -gt 0 ]] || scenarios=("0:none" "$loss:none" "$loss:$cap")

lab_check; rc=$?; [[ $rc -eq 0 ]] || exit $rc
if ! command -v udp-sender >/dev/null || ! command -v udp-receiver >/dev/null; then
    echo "SKIP: udpcast is not installed (apt-get install udpcast)" >&2; exit 77
fi
lab_valid_prefix "$prefix" || exit 2

tmp=$(mktemp -d "${TMPDIR:-/tmp}/udpcast-bench.XXXXXX")
cleanup() {
    lab_down "$prefix" >/dev/null 2>&1
    if [[ $keep -eq 1 ]]; then echo "logs kept in $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM HUP

[[ -n "$results" ]] || results="$tmp/results.jsonl"
run_results="$tmp/this-run.jsonl"; : >"$run_results"
link_mbit=$(awk -v r="$rate" 'BEGIN{ v=r+0; u=tolower(r); if (u ~ /gbit/) v*=1000; else if (u ~ /kbit/) v/=1000; else if (u !~ /mbit/) v/=1e6; print v }')

echo "creating a $size random test file in $tmp ..." >&2
lab_make_file "$tmp/source.img" "$size" || exit 1
bytes=$(stat -c %s "$tmp/source.img")

# Rendezvous and data groups, port base: inside the lab only; TTL 1.
RDV=239.255.42.10 DATA=239.255.42.11 PORTBASE=9000
ver=$(dpkg-query -W -f '${Version}' udpcast 2>/dev/null || echo unknown)

for ((rep = 1; rep <= repeat; rep++)); do
for sc in "${scenarios[@]}"; do
    l=${sc%%:*} c=${sc#*:}
    capargs=""; [[ "$c" != none ]] && capargs="--max-bitrate $c"
    label="udpcast loss=${l}permille cap=${c}"; [[ $repeat -gt 1 ]] && label+=" #$rep"
    echo "=== $label (size $size = $bytes bytes, $n receivers, link $rate each) ===" >&2
    lab_up "$prefix" "$n" --rate "$rate" --loss-permille "$l" || exit 1
    snd="udp-sender --file {file} --interface {sender} --mcast-rdv-address $RDV --mcast-data-address $DATA"
    snd+=" --portbase $PORTBASE --ttl 1 --nokbd --min-receivers {n} --start-timeout $start_timeout $capargs $extra"
    rcv="udp-receiver --file {out} --interface {addr} --mcast-rdv-address $RDV --portbase $PORTBASE --ttl 1"
    rcv+=" --nokbd --start-timeout $start_timeout --receive-timeout $rcv_timeout"
    wd="$tmp/run-${l}-${c}-$rep"
    lab_run_transfer --prefix "$prefix" --label "$label" --timeout "$timeout" --workdir "$wd" \
        --results "$run_results" --meta tool=udpcast --meta tool_version="$ver" --meta loss_permille="$l" \
        --meta cap="$c" --meta link_rate="$rate" --meta link_mbit="$link_mbit" --meta repeat="$rep" \
        --meta extra_sender_args="$extra" \
        "$tmp/source.img" "$snd" "$rcv"
    # udpcast's own retransmission count (last progress line of the sender)
    rx=$(tr '\r' '\n' <"$wd/snd.stderr" | grep -o 're-xmits=[0-9]* *( *[0-9.]*%)' | tail -1)
    echo "  udp-sender: ${rx:-no re-xmit line}; $(grep -c 'Dropping' "$wd/snd.stderr" 2>/dev/null) receivers dropped" >&2
    lab_down "$prefix" || exit 1
done
done

cat "$run_results" >>"$results" 2>/dev/null || true
[[ "$results" == "$tmp/results.jsonl" ]] || echo "results appended to $results" >&2
echo
lab_summary_table "$run_results"
