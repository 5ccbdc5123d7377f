#!/usr/bin/env bash
# transfer-bench.sh: deploycast, udpcast and uftp side by side in the network lab (lab/netlab.sh).
# One sender and N receivers (default 4); each receiver's link is capped by tc tbf (default
# 200mbit) and loses a random share of its incoming UDP (nftables). Every tool sends the same random
# file in the same run; within every repetition each scenario runs every tool, and the order of the
# tools rotates from one repetition to the next (rep 1: deploycast, udpcast, uftp; rep 2: udpcast,
# uftp, deploycast; ...), so slow drifts of the shared machine hit all alike.
# Measured per run: wall time until every copy is complete and byte-equal (SHA-256), goodput as a
# fraction of the link, bytes on the sender's link per image byte (the veth's kernel counters; every
# frame the sender puts on the wire crosses the bridge to every receiver), the receivers' feedback bytes,
# and receiver CPU seconds (user + system of the receiving process tree, from `times`) per GB received.
#
# Usage: lab/transfer-bench.sh [options]
#   --size S            test file size (head -c syntax: 256M, 1G, 1000000). Default 256M
#   --repeat N          repetitions of every scenario and tool. Default 3
#   --scenario L:C[@R]  loss per mille : rate cap ('none', or e.g. 190m = udp-sender --max-bitrate 190m,
#                       deploycast --rate 190M, uftp -R 190000) [@ the lab's link rate for this scenario,
#                       tc syntax, or 'none' = no tbf at all]. Repeatable. Default: 10:none and 0:none
#   --results FILE      append JSON Lines (one object per tool run) to FILE
#   --receivers N       default 4
#   --rate R            tbf rate of every receiver link (tc syntax). Default 200mbit
#   --timeout S         per-process timeout; a process still running then is killed and recorded as
#                       hung (exit 124). Default 300
#   --tools LIST        deploycast,udpcast,uftp (default all three; fewer for debugging)
#   --uftp-rate KBPS    uftp -R when the scenario has no cap: uftp has no 'find the rate' mode that works
#                       well here (-C tfmcc reached a third of the link at 1% loss), so it gets a fixed rate.
#                       Default: 92.5% of a capped link (its frames then fit the link), -1 (as fast as it
#                       can) when the scenario has no tbf
#   --prefix P          lab namespace prefix. Default tbench
#   --keep-logs         keep the temporary directory (process logs, command lines)
#   --lab-gso           leave UDP GSO super-packets whole on the lab wire (see below). Default: the
#                       sender's lab0 gets gso_max_segs 1, so every datagram is its own frame
#   --lab-gro           turn generic receive offload on at every receiver's lab interface, as a real NIC has it
#                       (a veth has it off). Only for scenarios without loss: the loss rules would then drop
#                       merged runs of datagrams. A tool whose socket asks for UDP_GRO (deploycast) gets runs of
#                       datagrams in one message; the others get them one by one as before
#   --no-build          do not build the CLI first (default: scripts/publish-cli.sh, a ReadyToRun Release build)
#   --dll PATH          deploycast.dll to run. Default artifacts/cli/deploycast.dll
#   --summary FILE      only print the Markdown tables for the results in FILE (no root needed)
# Environment: DC_SEND_ARGS adds options to deploycast's send (e.g. "--verbose-interval 100" for a finer timeline).
# Wire frames: a sender using UDP_SEGMENT (deploycast) hands the kernel super-packets of many
# datagrams. The veth/bridge carry them whole, and tbf only splits those larger than its burst
# (32 KiB), so without the default fix the receivers' nft rule would drop whole super-packets
# (bursts of up to ~20 datagrams) and its counter would count super-packets. With gso_max_segs 1
# on the sender's lab interface the kernel segments in software before the wire, as it does for a
# real NIC without USO: every datagram is one frame, loss is per datagram for both tools.
# Exit: 0 when it ran (whatever the tools did), 77 when the lab cannot run here (not root, no netns,
# no udpcast, no dotnet), 1 on a harness error, 2 on bad options.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=netlab.sh
source "$HERE/netlab.sh"

size=256M repeat=3 results="" n=4 rate=200mbit timeout=300 prefix=tbench keep=0 build=1
tools="deploycast,udpcast,uftp" summary_only="" lab_gso=0 lab_gro=0 uftp_rate=auto
dll="$REPO/artifacts/cli/deploycast.dll"
scenarios=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --size) size=$2; shift 2 ;;
        --repeat) repeat=$2; shift 2 ;;
        --scenario) scenarios+=("$2"); shift 2 ;;
        --results) results=$2; shift 2 ;;
        --receivers) n=$2; shift 2 ;;
        --rate) rate=$2; shift 2 ;;
        --timeout) timeout=$2; shift 2 ;;
        --tools) tools=$2; shift 2 ;;
        --uftp-rate) uftp_rate=$2; shift 2 ;;
        --prefix) prefix=$2; shift 2 ;;
        --keep-logs) keep=1; shift ;;
        --lab-gso) lab_gso=1; shift ;;
        --lab-gro) lab_gro=1; shift ;;
        --no-build) build=0; shift ;;
        --dll) dll=$2; shift 2 ;;
        --summary) summary_only=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
[[ ${#scenarios[@]} -gt 0 ]] || scenarios=("10:none" "0:none")
for sc in "${scenarios[@]}"; do
    [[ "$sc" =~ ^[0-9]+:(none|[0-9]+(\.[0-9]+)?[kKmMgG]?)(@(none|[0-9]+(\.[0-9]+)?[kKmMgG]?bit))?$ ]] || { echo "bad --scenario '$sc' (LOSS_PERMILLE:CAP[@LINK], CAP none or e.g. 190m, LINK none or e.g. 200mbit)" >&2; exit 2; }
done
[[ "$repeat" =~ ^[1-9][0-9]*$ ]] || { echo "bad --repeat '$repeat'" >&2; exit 2; }
[[ "$timeout" =~ ^[1-9][0-9]*$ ]] || { echo "bad --timeout '$timeout'" >&2; exit 2; }
IFS=, read -r -a tool_list <<<"$tools"
for t in "${tool_list[@]}"; do
    [[ "$t" == deploycast || "$t" == udpcast || "$t" == uftp ]] || { echo "bad --tools '$tools'" >&2; exit 2; }
done

# ---------------------------------------------------------------------------------------------
# Python helpers: "augment" completes one lab_run_transfer JSON line with what the tools printed;
# "table" prints the Markdown tables.
PY_HELPER='
import json, re, sys, statistics, os

def lines(path):
    try:
        with open(path, errors="replace") as f:
            return f.read().replace("\r", "\n").splitlines()
    except OSError:
        return []

def num(s):
    return float(s.replace(",", "."))

def tail(path, k=8):
    ls = [l for l in lines(path) if l.strip()]
    return ls[-k:]

def augment(run_json, workdir, scenario, rep, order, link_mbit, rx_packets, results_files):
    with open(run_json) as f:
        r = json.loads([l for l in f if l.strip()][-1])
    tool = r.get("tool")
    loss, cap = scenario.split(":", 1)
    cap = cap.split("@")[0]
    r["bench"] = "transfer-bench"
    r["scenario"] = scenario
    r["loss_permille"] = int(loss)
    r["cap"] = cap
    r["repetition"] = int(rep)
    r["order_in_repetition"] = int(order)
    r["link_mbit"] = float(link_mbit)   # 0 = no tbf in this scenario
    r["pct_of_link"] = round(100 * r["goodput_mbit"] / r["link_mbit"], 1) if r["link_mbit"] else None
    r["sent_per_file"] = round(r["sender"]["sent_bytes"] / r["size_bytes"], 4) if r["size_bytes"] else None
    r["feedback_per_file"] = round(sum(x.get("tx_bytes", 0) for x in r["receiver"]) / r["size_bytes"], 5) if r["size_bytes"] else None
    cpu = [x.get("cpu_s") for x in r["receiver"] if x.get("cpu_s") is not None]
    r["rcv_cpu_s_per_gb"] = round(statistics.mean(cpu) / (r["size_bytes"] / 1e9), 3) if cpu and r["size_bytes"] else None
    r.pop("repeat", None)
    for x, p in zip(r["receiver"], rx_packets.split(",")):
        x["rx_packets"] = int(p)
    snd_log = os.path.join(workdir, "snd.stderr")
    if tool == "deploycast":
        s = {}
        for l in lines(snd_log):
            m = re.match(r"^Time ([0-9.,]+) s, goodput ([0-9.,]+) MB/s \(([0-9.,]+) (k|M|G)bit/s\)", l)
            if m:
                s["time_s"] = num(m.group(1)); s["goodput_MBps"] = num(m.group(2))
                s["goodput_mbit_printed"] = num(m.group(3)) * {"k": 1e-3, "M": 1, "G": 1e3}[m.group(4)]
                if s["time_s"] > 0:
                    s["goodput_mbit"] = round(r["size_bytes"] * 8 / s["time_s"] / 1e6, 1)
                    s["pct_of_link"] = round(100 * s["goodput_mbit"] / r["link_mbit"], 1) if r["link_mbit"] else None
            m = re.match(r"^On the wire .* \(([0-9.,]+)x\), ([0-9]+) datagrams", l)
            if m:
                s["wire_ratio"] = num(m.group(1)); s["datagrams"] = int(m.group(2))
            m = re.match(r"^Symbols: ([0-9]+) source, ([0-9]+) proactive parity, ([0-9]+) repair; ([0-9]+) status packets; final rate ([0-9.,]+) (k|M|G)bit/s", l)
            if m:
                s["source_symbols"] = int(m.group(1)); s["parity_symbols"] = int(m.group(2))
                s["repair_symbols"] = int(m.group(3)); s["status_packets"] = int(m.group(4))
                s["final_rate_mbit"] = num(m.group(5)) * {"k": 1e-3, "M": 1, "G": 1e3}[m.group(6)]
            m = re.match(r"^\s+receiver ([0-9a-f]+): (?:done in ([0-9.,]+) s|([^,]+)), loss ([0-9.,]+) ?%(, slow)?(?:, rtt ([0-9.,]+) ms)?", l)
            if m:
                s.setdefault("receivers", []).append({
                    "id": m.group(1),
                    "done_s": num(m.group(2)) if m.group(2) else None,
                    "state": "done" if m.group(2) else m.group(3),
                    "loss_pct": num(m.group(4)),
                    "slow": bool(m.group(5)),
                    "rtt_ms": num(m.group(6)) if m.group(6) else None})
        r["deploycast_sender"] = s
        for x in r["receiver"]:
            for l in lines(os.path.join(workdir, "rcv%d.stderr" % x["i"])):
                m = re.match(r"^Received and verified .* in ([0-9.,]+) s \(([0-9.,]+) MB/s\), loss ([0-9.,]+) ?%", l)
                if m:
                    x["reported_time_s"] = num(m.group(1)); x["reported_MBps"] = num(m.group(2))
                    x["reported_loss_pct"] = num(m.group(3))
    elif tool == "udpcast":
        rx = None
        for l in lines(snd_log):
            m = re.search(r"re-xmits=([0-9]+) *\( *([0-9.]+)%\)", l)
            if m:
                rx = (int(m.group(1)), float(m.group(2)))
        if rx:
            r["udpcast_sender"] = {"rexmits": rx[0], "rexmit_pct": rx[1]}
    # the last lines of every process that failed, so that a failure is explained in the results
    fails = {}
    if r["sender"]["exit"] != 0:
        fails["sender"] = tail(snd_log)
    for x in r["receiver"]:
        if x["exit"] != 0 or not x["byte_equal"]:
            fails["rcv%d" % x["i"]] = tail(os.path.join(workdir, "rcv%d.stderr" % x["i"]))
    if fails:
        r["failure_log_tail"] = fails
    line = json.dumps(r, separators=(",", ":")) + "\n"
    for p in results_files:
        with open(p, "a") as f:
            f.write(line)
    s = r.get("deploycast_sender", {})
    extra = ""
    if tool == "deploycast":
        extra = " | sender: Time %s s, %s Mbit/s, wire %sx, loss %s" % (
            s.get("time_s"), s.get("goodput_mbit"), s.get("wire_ratio"),
            "/".join("%g%%" % x["loss_pct"] for x in s.get("receivers", [])) or "-")
    elif r.get("udpcast_sender"):
        extra = " | udp-sender re-xmits %d (%.1f%%)" % (r["udpcast_sender"]["rexmits"], r["udpcast_sender"]["rexmit_pct"])
    if r["ok"]:
        print("  => %s %s rep %s: ok, total %.1f s, %.1f Mbit/s (%s of link), receiver CPU %s s/GB%s" % (
            tool, scenario, rep, r["total_s"], r["goodput_mbit"], ("%s%%" % r["pct_of_link"]) if r["pct_of_link"] else "no cap",
            r["rcv_cpu_s_per_gb"], extra), file=sys.stderr)
    else:
        print("  => %s %s rep %s: FAILED after %.1f s (sender exit %s, receiver exits %s, byte-equal %s)%s" % (
            tool, scenario, rep, r["total_s"], r["sender"]["exit"], "/".join(str(x["exit"]) for x in r["receiver"]),
            "/".join("yes" if x["byte_equal"] else "no" for x in r["receiver"]), extra), file=sys.stderr)
        for who, t in fails.items():
            for l in t[-4:]:
                print("     %s| %s" % (who, l), file=sys.stderr)

def med(v):
    return statistics.median(v) if v else None

def f1(v):
    return "-" if v is None else "%.1f" % v

def table(path):
    rows = []
    for l in open(path):
        if l.strip():
            r = json.loads(l)
            if r.get("bench") == "transfer-bench":
                rows.append(r)
    groups = {}
    for r in rows:
        key = (r["size_bytes"], r["receivers"], r["link_mbit"], r["scenario"], r.get("wire_frames", "?"))
        groups.setdefault(key, []).append(r)
    tools = ("deploycast", "udpcast", "uftp")
    print("| scenario | tool | runs ok | goodput Mbit/s, median (min-max) | % of link | wire bytes / image byte | feedback / image byte | receiver CPU s/GB | deploycast / this |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (size, nrcv, link, scenario, frames), rs in groups.items():
        loss, cap = scenario.split(":", 1)
        cap = cap.split("@")[0]
        name = "%g %% loss, %s" % (int(loss) / 10, ("%g Mbit/s" % link) if link else "no link cap")
        if cap != "none":
            name += ", tools capped at %s" % cap
        medians = {}
        out = []
        for tool in tools:
            tr = [r for r in rs if r.get("tool") == tool]
            if not tr:
                continue
            ok = [r for r in tr if r["ok"]]
            hung = sum(1 for r in tr if r["sender"]["exit"] in (124, 137) or any(x["hung"] for x in r["receiver"]))
            g = [r["goodput_mbit"] for r in ok]
            medians[tool] = med(g)
            runs = "%d/%d" % (len(ok), len(tr)) + (" (%d hung)" % hung if hung else "")
            cpu = [r["rcv_cpu_s_per_gb"] for r in ok if r.get("rcv_cpu_s_per_gb") is not None]
            fb = [r["feedback_per_file"] for r in ok if r.get("feedback_per_file") is not None]
            out.append([tool, runs,
                        ("%.1f (%.1f-%.1f)" % (med(g), min(g), max(g))) if g else "-",
                        ("%.0f %%" % (100 * med(g) / link)) if g and link else "-",
                        ("%.3f" % med([r["sent_per_file"] for r in ok])) if ok else "-",
                        ("%.4f" % med(fb)) if fb else "-",
                        ("%.1f" % med(cpu)) if cpu else "-"])
        for o in out:
            ratio = ""
            if o[0] != "deploycast" and medians.get("deploycast") and medians.get(o[0]):
                ratio = "%.2fx" % (medians["deploycast"] / medians[o[0]])
            print("| " + " | ".join([name if o is out[0] else ""] + o + [ratio]) + " |")
    print()
    print("Goodput = file size x 8 / (sender start -> last copy complete), ok runs only (every process exit 0, every")
    print("copy byte-equal). Wire bytes = bytes on the sender'"'"'s lab link (IP + Ethernet headers, repairs, parity,")
    print("control); feedback = bytes all receivers sent; receiver CPU = user + system seconds of each receiving")
    print("process tree, mean over the receivers, per GB of image.")

if sys.argv[1] == "augment":
    augment(*sys.argv[2:9], sys.argv[9:])
else:
    table(sys.argv[2])
'

if [[ -n "$summary_only" ]]; then
    command -v python3 >/dev/null || { echo "python3 is needed" >&2; exit 1; }
    python3 -c "$PY_HELPER" table "$summary_only"; exit $?
fi

# ---------------------------------------------------------------------------------------------
lab_check; rc=$?; [[ $rc -eq 0 ]] || exit $rc
for t in "${tool_list[@]}"; do
    if [[ $t == udpcast ]] && ! { command -v udp-sender && command -v udp-receiver; } >/dev/null; then
        echo "SKIP: udpcast is not installed (apt-get install udpcast)" >&2; exit 77
    fi
    if [[ $t == uftp ]] && ! { command -v uftp && command -v uftpd; } >/dev/null; then
        echo "SKIP: uftp is not installed (apt-get install uftp)" >&2; exit 77
    fi
    if [[ $t == deploycast ]] && ! command -v dotnet >/dev/null; then
        echo "SKIP: dotnet is not installed" >&2; exit 77
    fi
done
command -v python3 >/dev/null || { echo "SKIP: python3 is needed (results, tables)" >&2; exit 77; }
lab_valid_prefix "$prefix" || exit 2

tmp=$(mktemp -d "${TMPDIR:-/tmp}/transfer-bench.XXXXXX")
cleanup() {
    disown -a 2>/dev/null   # no "Killed" job notices for the processes lab_down kills
    lab_down "$prefix" >/dev/null 2>&1
    if [[ $keep -eq 1 ]]; then echo "logs kept in $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM HUP

if [[ " ${tool_list[*]} " == *" deploycast "* ]]; then
    if [[ $build -eq 1 ]]; then
        echo "publishing the CLI (Release, ReadyToRun) ..." >&2
        "$REPO/scripts/publish-cli.sh" || exit 1
    fi
    [[ -f "$dll" ]] || { echo "ERROR: no $dll (build it or pass --dll)" >&2; exit 1; }
fi

run_results="$tmp/this-run.jsonl"; : >"$run_results"
if [[ -n "$results" ]]; then
    if ! { mkdir -p "$(dirname "$results")" && touch "$results"; }; then echo "ERROR: cannot write $results" >&2; exit 1; fi
fi
mbit_of() { awk -v r="$1" 'BEGIN{ if (r == "none") { print 0; exit } v=r+0; u=tolower(r); if (u ~ /gbit/) v*=1000; else if (u ~ /kbit/) v/=1000; else if (u !~ /mbit/) v/=1e6; print v }'; }

echo "creating a $size random test file in $tmp ..." >&2
lab_make_file "$tmp/source.img" "$size" || exit 1
bytes=$(stat -c %s "$tmp/source.img")
# A distribution point hashes an image when it is imported, not when a session starts; `send --prepare` does that
# once here, so no run of deploycast (the first included) spends its timed start-up hashing the file.
if [[ ,$tools, == *,deploycast,* ]]; then
    dotnet "$dll" send "$tmp/source.img" --prepare >&2 || { echo "ERROR: deploycast send --prepare failed" >&2; exit 1; }
fi

uc_ver=$(dpkg-query -W -f '${Version}' udpcast 2>/dev/null || echo unknown)
uf_ver=$(dpkg-query -W -f '${Version}' uftp 2>/dev/null || echo unknown)
# deploycast's version: commit, +dirty when src/ has uncommitted changes, and the DLL's time (read
# for every run: someone may rebuild it while the benchmark runs)
dc_version() {
    local v; v="$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    [[ -n "$(git -C "$REPO" status --porcelain -- src 2>/dev/null)" ]] && v+="+dirty"
    printf '%s (dll %s)' "$v" "$(date -u -r "$dll" +%FT%TZ 2>/dev/null || echo '?')"
}

# Groups and ports exist only inside the lab; TTL 1 for both tools.
UC_RDV=239.255.42.10 UC_DATA=239.255.42.11 UC_PORTBASE=9000 UC_START_TIMEOUT=60 UC_RECEIVE_TIMEOUT=60
DC_GROUP=239.255.42.1 DC_PORT=63000 DC_MAX_WAIT=30
UF_PUB=239.255.43.1 UF_PRIV=239.255.43.2   # uftp's announce and data groups (UDP port 1044, its default)

run_one() {  # run_one <tool> <scenario> <rep> <order>
    local tool=$1 sc=$2 rep=$3 order=$4 l c snd rcv wd ver srate link_mbit
    l=${sc%%:*} c=${sc#*:}
    srate=$rate
    if [[ $c == *@* ]]; then srate=${c#*@}; c=${c%%@*}; fi
    link_mbit=$(mbit_of "$srate")
    if [[ $tool == uftp ]]; then
        # uftpd is a daemon (-d keeps it in the foreground): the receiver command waits until the file appears in
        # the destination directory (uftpd moves it there from its temp directory when the file is complete),
        # then stops uftpd and waits for it, so that its CPU time is counted.
        local ur=$uftp_rate
        if [[ $c != none ]]; then
            ur=$(awk -v m="$(mbit_of "${c,,}bit")" 'BEGIN{printf "%d", m*1000}')
        elif [[ $ur == auto ]]; then
            if [[ $srate == none ]]; then ur=-1; else ur=$(awk -v m="$link_mbit" 'BEGIN{printf "%d", m*1000*0.925}'); fi
        fi
        snd="uftp -I {iface} -M $UF_PUB -P $UF_PRIV -R $ur -x 1 {file}"
        rcv='d={out}.d; mkdir -p "$d/dest" "$d/tmp"; uftpd -d -q -I {iface} -M '"$UF_PUB"' -D "$d/dest" -T "$d/tmp" -x 1 & up=$!;'
        # the wait uses only shell builtins (read -t on a FIFO nobody writes), so it adds no CPU time of its own
        rcv+=' mkfifo "$d/tick"; exec 9<>"$d/tick"; f="$d/dest/$(basename {file})";'
        rcv+=' while [ ! -f "$f" ]; do kill -0 $up 2>/dev/null || break; read -t 0.02 -u 9; done;'
        rcv+=' kill $up 2>/dev/null; wait $up; mv "$d/dest/$(basename {file})" {out} && rm -rf "$d"'
        ver="$uf_ver (-R $ur)"
    elif [[ $tool == udpcast ]]; then
        # the udp-sender / udp-receiver command lines of lab/udpcast-bench.sh
        snd="udp-sender --file {file} --interface {sender} --mcast-rdv-address $UC_RDV --mcast-data-address $UC_DATA"
        snd+=" --portbase $UC_PORTBASE --ttl 1 --nokbd --min-receivers {n} --start-timeout $UC_START_TIMEOUT"
        [[ $c != none ]] && snd+=" --max-bitrate ${c,,}"
        rcv="udp-receiver --file {out} --interface {addr} --mcast-rdv-address $UC_RDV --portbase $UC_PORTBASE --ttl 1"
        rcv+=" --nokbd --start-timeout $UC_START_TIMEOUT --receive-timeout $UC_RECEIVE_TIMEOUT"
        ver=$uc_ver
    else
        snd="dotnet $(printf '%q' "$dll") send {file} --interface {sender} --group $DC_GROUP --port $DC_PORT"
        snd+=" --min-receivers {n} --max-wait $DC_MAX_WAIT -v${DC_SEND_ARGS:+ $DC_SEND_ARGS}"
        [[ $c != none ]] && snd+=" --rate ${c^^}"
        # -v adds one line at the end (packets, receive calls, the final check's duration) to the kept logs
        rcv="dotnet $(printf '%q' "$dll") receive --output {out} --interface {addr} --group $DC_GROUP --port $DC_PORT -v"
        ver=$(dc_version)
    fi
    wd="$tmp/run-$tool-${l}-${c}-$rep"
    echo "=== $tool loss=${l}permille cap=$c link=$srate rep $rep/$repeat (#$order in this repetition; $size = $bytes bytes, $n receivers) ===" >&2
    lab_up "$prefix" "$n" --rate "$srate" --loss-permille "$l" || return 1
    local frames=gso
    if [[ $lab_gso -eq 0 ]]; then
        ip -n "$(lab_snd_ns "$prefix")" link set "$LAB_IFACE" gso_max_segs 1 || { echo "ERROR: cannot set gso_max_segs" >&2; return 1; }
        frames=datagram
    fi
    local offload=none
    if [[ $lab_gro -eq 1 ]]; then
        lab_rcv_gro "$prefix" "$n" || return 1
        offload=gro
    fi
    : >"$tmp/one.jsonl"
    lab_run_transfer --prefix "$prefix" --label "$tool loss=${l}permille cap=$c #$rep" --timeout "$timeout" \
        --workdir "$wd" --results "$tmp/one.jsonl" --meta tool="$tool" --meta tool_version="$ver" \
        --meta link_rate="$srate" --meta wire_frames="$frames" --meta rx_offload="$offload" "$tmp/source.img" "$snd" "$rcv"
    # frames each receiver's lab interface took in since lab_up (the lab is fresh for every run)
    local i rxp=""
    for ((i = 1; i <= n; i++)); do rxp+="${rxp:+,}$(lab_iface_counter "$(lab_rcv_ns "$prefix" "$i")" rx_packets)"; done
    local files=("$run_results"); [[ -n "$results" ]] && files+=("$results")
    python3 -c "$PY_HELPER" augment "$tmp/one.jsonl" "$wd" "$sc" "$rep" "$order" "$link_mbit" "$rxp" "${files[@]}" ||
        { echo "ERROR: cannot record the run" >&2; return 1; }
    lab_down "$prefix" || return 1
}

for ((rep = 1; rep <= repeat; rep++)); do
    # rotate the order of the tools by one every repetition
    order=()
    for ((k = 0; k < ${#tool_list[@]}; k++)); do order+=("${tool_list[$(((k + rep - 1) % ${#tool_list[@]}))]}"); done
    for sc in "${scenarios[@]}"; do
        k=0
        for tool in "${order[@]}"; do
            k=$((k + 1))
            run_one "$tool" "$sc" "$rep" "$k" || exit 1
        done
    done
done

[[ -n "$results" ]] && echo "results appended to $results" >&2
python3 -c "$PY_HELPER" table "$run_results"
