#!/usr/bin/env bash
# loopback-transfer.sh: deploycast to N receivers (default 4) on this machine over loopback only
# (interface 127.0.0.1, TTL 1: nothing reaches a real interface). Measures, per run: wall time;
# MB/s per receiver (file size / the receiver's own elapsed time as it prints it, and file size /
# the sender's "Time"); CPU seconds per GB of file for the sender and for every receiver (user and
# system, from /usr/bin/time), peak RSS; byte-equality of every output (sha256sum). Prints a
# Markdown table (medians over the repetitions) and appends one JSON object per run to --results.
#
# Usage: benchmarks/loopback-transfer.sh [options]
#   --size S         test file size (head -c syntax: 512M, 1G, 1000000). Default 512M
#   --repeat N       repetitions. Default 3
#   --results FILE   append JSON Lines (one object per run) to FILE
#   --receivers N    default 4
#   --group G        multicast group. Default 239.255.42.99
#   --port P         UDP port. Default 63100 (must be free: the script refuses a port already bound)
#   --rate R         deploycast --rate ceiling (e.g. 2G). Default: none (the sender finds the rate)
#   --timeout S      per-process timeout; a process still running then is killed (exit 124). Default 300
#   --no-build       do not build the CLI first (default: scripts/publish-cli.sh, a ReadyToRun Release build)
#   --dll PATH       deploycast.dll to run. Default artifacts/cli/deploycast.dll
#   --keep-logs      keep the temporary directory (logs; the big files are always deleted)
#   --summary FILE   only print the table for the results in FILE
# Order in a run: the sender starts first and waits (--min-receivers N); when it prints "Waiting
# for", the N receivers start together. So a receiver's own elapsed time covers its join and the
# transfer, not a wait for a sender that is still starting.
# Units: MB = 10^6 bytes, GB = 10^9 bytes (as the CLI prints MB/s).
# Exit: 0 when it ran (whatever deploycast did), 77 when it cannot run (no dotnet, no /usr/bin/time
# and not root to install it), 1 on a harness error, 2 on bad options.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)

size=512M repeat=3 results="" n=4 group=239.255.42.99 port=63100 rate="" timeout=300 build=1 keep=0
summary_only=""
dll="$REPO/artifacts/cli/deploycast.dll"
while [[ $# -gt 0 ]]; do
    case $1 in
        --size) size=$2; shift 2 ;;
        --repeat) repeat=$2; shift 2 ;;
        --results) results=$2; shift 2 ;;
        --receivers) n=$2; shift 2 ;;
        --group) group=$2; shift 2 ;;
        --port) port=$2; shift 2 ;;
        --rate) rate=$2; shift 2 ;;
        --timeout) timeout=$2; shift 2 ;;
        --no-build) build=0; shift ;;
        --dll) dll=$2; shift 2 ;;
        --keep-logs) keep=1; shift ;;
        --summary) summary_only=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
[[ "$repeat" =~ ^[1-9][0-9]*$ ]] || { echo "bad --repeat '$repeat'" >&2; exit 2; }
[[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "bad --receivers '$n'" >&2; exit 2; }
[[ "$timeout" =~ ^[1-9][0-9]*$ ]] || { echo "bad --timeout '$timeout'" >&2; exit 2; }
[[ "$port" =~ ^[0-9]+$ && $port -ge 1024 && $port -le 65535 ]] || { echo "bad --port '$port'" >&2; exit 2; }
[[ "$group" =~ ^239\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "--group must be an administratively scoped 239.x.y.z group" >&2; exit 2; }

PY_HELPER='
import json, re, sys, os, statistics

def lines(path):
    try:
        with open(path, errors="replace") as f:
            return f.read().replace("\r", "\n").splitlines()
    except OSError:
        return []

def num(s):
    return float(s.replace(",", "."))

def timefile(path):
    # /usr/bin/time -f "%e %U %S %M": elapsed, user, system, max RSS KiB (last line; "Command exited
    # with non-zero status" or "Command terminated by signal" may come first)
    for l in reversed(lines(path)):
        p = l.split()
        if len(p) == 4:
            try:
                return {"wall_s": float(p[0]), "cpu_user_s": float(p[1]), "cpu_sys_s": float(p[2]), "max_rss_kib": int(p[3])}
            except ValueError:
                pass
    return {}

def record(wd, size, nrcv, rep, start_json, version, results_files):
    size = int(size); nrcv = int(nrcv); gb = size / 1e9
    starts = json.loads(start_json)
    sums = dict(l.split()[::-1] for l in lines(os.path.join(wd, "sums")) if l.strip())
    src = sums.get("source")
    def cpu(d):
        if "cpu_user_s" in d:
            d["cpu_s"] = round(d["cpu_user_s"] + d["cpu_sys_s"], 3)
            d["cpu_user_s_per_GB"] = round(d["cpu_user_s"] / gb, 3)
            d["cpu_sys_s_per_GB"] = round(d["cpu_sys_s"] / gb, 3)
            d["cpu_s_per_GB"] = round(d["cpu_s"] / gb, 3)
        return d
    snd = {"exit": int(open(os.path.join(wd, "snd.rc")).read().strip() or 255) if os.path.exists(os.path.join(wd, "snd.rc")) else 255}
    snd.update(cpu(timefile(os.path.join(wd, "snd.time"))))
    for l in lines(os.path.join(wd, "snd.out")):
        m = re.match(r"^Time ([0-9.,]+) s, goodput ([0-9.,]+) MB/s", l)
        if m:
            snd["time_s"] = num(m.group(1))
            if snd["time_s"] > 0:
                snd["MBps"] = round(size / snd["time_s"] / 1e6, 1)
        m = re.match(r"^On the wire .* \(([0-9.,]+)x\), ([0-9]+) datagrams", l)
        if m:
            snd["wire_ratio"] = num(m.group(1)); snd["datagrams"] = int(m.group(2))
        m = re.match(r"^Symbols: ([0-9]+) source, ([0-9]+) proactive parity, ([0-9]+) repair; ([0-9]+) status packets; final rate ([0-9.,]+) (k|M|G)bit/s", l)
        if m:
            snd["repair_symbols"] = int(m.group(3)); snd["parity_symbols"] = int(m.group(2))
            snd["final_rate_mbit"] = num(m.group(5)) * {"k": 1e-3, "M": 1, "G": 1e3}[m.group(6)]
        m = re.match(r"^\s+receiver ([0-9a-f]+): (?:done in ([0-9.,]+) s|([^,]+)), loss ([0-9.,]+) ?%", l)
        if m:
            snd.setdefault("receivers", []).append({"id": m.group(1), "done_s": num(m.group(2)) if m.group(2) else None,
                                                    "state": "done" if m.group(2) else m.group(3), "loss_pct": num(m.group(4))})
    ends = [starts["snd"] + snd.get("wall_s", 0)]
    rcv = []
    for i in range(1, nrcv + 1):
        rcf = os.path.join(wd, "rcv%d.rc" % i)
        x = {"i": i, "exit": int(open(rcf).read().strip() or 255) if os.path.exists(rcf) else 255}
        x.update(cpu(timefile(os.path.join(wd, "rcv%d.time" % i))))
        x["byte_equal"] = src is not None and sums.get("rcv%d" % i) == src
        for l in lines(os.path.join(wd, "rcv%d.out" % i)):
            m = re.match(r"^Received and verified .* in ([0-9.,]+) s \(([0-9.,]+) MB/s\), loss ([0-9.,]+) ?%", l)
            if m:
                x["reported_time_s"] = num(m.group(1)); x["loss_pct"] = num(m.group(3))
                if x["reported_time_s"] > 0:
                    x["MBps_own"] = round(size / x["reported_time_s"] / 1e6, 1)
        if snd.get("MBps"):
            x["MBps_sender_time"] = snd["MBps"]
        if "wall_s" in x:
            ends.append(starts["rcv%d" % i] + x["wall_s"])
        if x["exit"] != 0 or not x["byte_equal"]:
            x["log_tail"] = [l for l in lines(os.path.join(wd, "rcv%d.out" % i)) + lines(os.path.join(wd, "rcv%d.err" % i)) if l.strip()][-6:]
        rcv.append(x)
    if snd["exit"] != 0:
        snd["log_tail"] = [l for l in lines(os.path.join(wd, "snd.out")) + lines(os.path.join(wd, "snd.err")) if l.strip()][-8:]
    ok = snd["exit"] == 0 and all(x["exit"] == 0 and x["byte_equal"] for x in rcv)
    wall = max(ends) - starts["snd"]
    cpu_total = sum(d.get("cpu_s", 0) for d in [snd] + rcv)
    r = {"bench": "loopback-transfer", "time": starts["date"], "tool_version": version, "size_bytes": size,
         "receivers": nrcv, "repetition": int(rep), "ok": ok, "wall_s": round(wall, 3),
         "wall_MBps": round(size / wall / 1e6, 1) if wall > 0 else None,
         "cpu_s_per_GB_all_processes": round(cpu_total / gb, 3),
         "interface": "127.0.0.1", "group": starts["group"], "port": int(starts["port"]), "rate": starts["rate"],
         "cpus": os.cpu_count(), "loadavg_before": starts["loadavg"], "sender": snd, "receiver": rcv}
    line = json.dumps(r, separators=(",", ":")) + "\n"
    for p in results_files:
        with open(p, "a") as f:
            f.write(line)
    print("  => rep %s: %s, wall %.2f s (%.1f MB/s); sender Time %s s (%s MB/s), CPU %s s/GB; receivers MB/s (own time) %s, CPU s/GB %s, byte-equal %s" % (
        rep, "ok" if ok else "FAILED (sender exit %s, receiver exits %s)" % (snd["exit"], "/".join(str(x["exit"]) for x in rcv)),
        wall, size / wall / 1e6, snd.get("time_s"), snd.get("MBps"), snd.get("cpu_s_per_GB"),
        "/".join(str(x.get("MBps_own", "-")) for x in rcv), "/".join(str(x.get("cpu_s_per_GB", "-")) for x in rcv),
        "/".join("yes" if x["byte_equal"] else "no" for x in rcv)), file=sys.stderr)
    for who, t in [("sender", snd.get("log_tail", []))] + [("rcv%d" % x["i"], x.get("log_tail", [])) for x in rcv]:
        for l in t:
            print("     %s| %s" % (who, l), file=sys.stderr)

def med(v):
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None

def fmt(v, f="%.1f"):
    return "-" if v is None else f % v

def table(path):
    rows = [json.loads(l) for l in open(path) if l.strip()]
    rows = [r for r in rows if r.get("bench") == "loopback-transfer"]
    groups = {}
    for r in rows:
        groups.setdefault((r["size_bytes"], r["receivers"], r.get("rate") or "none"), []).append(r)
    for (size, nrcv, rate), rs in groups.items():
        ok = [r for r in rs if r["ok"]]
        print()
        print("### loopback, %g MiB to %d receivers, rate %s: %d/%d runs ok; medians over the ok runs" % (size / 1048576, nrcv, rate, len(ok), len(rs)))
        print()
        print("wall time (sender start -> last process done) %s s = %s MB/s; CPU of all processes %s s/GB" % (
            fmt(med([r["wall_s"] for r in ok]), "%.2f"), fmt(med([r["wall_MBps"] for r in ok])),
            fmt(med([r["cpu_s_per_GB_all_processes"] for r in ok]), "%.2f")))
        print()
        print("| process | time s | MB/s (own time) | MB/s (sender Time) | CPU user s/GB | CPU sys s/GB | CPU s/GB | peak RSS MiB | loss % |")
        print("|---|---|---|---|---|---|---|---|---|")
        def row(name, ds, tkey, mkey):
            print("| " + " | ".join([name, fmt(med([d.get(tkey) for d in ds]), "%.2f"), fmt(med([d.get(mkey) for d in ds])),
                                     fmt(med([d.get("MBps_sender_time", d.get("MBps")) for d in ds])),
                                     fmt(med([d.get("cpu_user_s_per_GB") for d in ds]), "%.2f"),
                                     fmt(med([d.get("cpu_sys_s_per_GB") for d in ds]), "%.2f"),
                                     fmt(med([d.get("cpu_s_per_GB") for d in ds]), "%.2f"),
                                     fmt(med([d["max_rss_kib"] / 1024 if "max_rss_kib" in d else None for d in ds]), "%.0f"),
                                     fmt(med([d.get("loss_pct") for d in ds]), "%.2f")]) + " |")
        row("sender (Time)", [r["sender"] for r in ok], "time_s", "MBps")
        for i in range(1, nrcv + 1):
            row("receiver %d" % i, [x for r in ok for x in r["receiver"] if x["i"] == i], "reported_time_s", "MBps_own")
        row("all receivers", [x for r in ok for x in r["receiver"]], "reported_time_s", "MBps_own")
    print()
    print("time s: the sender'"'"'s \"Time\" (first data packet -> last receiver done) and each receiver'"'"'s own elapsed")
    print("time as printed (\"Received and verified ... in T s\"). MB/s = file size / that time (10^6 bytes/s).")
    print("CPU s/GB = (user + system CPU seconds of the process, /usr/bin/time) / (file size / 10^9).")

if sys.argv[1] == "record":
    record(*sys.argv[2:8], sys.argv[8:])
else:
    table(sys.argv[2])
'

if [[ -n "$summary_only" ]]; then
    python3 -c "$PY_HELPER" table "$summary_only"; exit $?
fi

command -v dotnet >/dev/null || { echo "SKIP: dotnet is not installed" >&2; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 is needed (results, table)" >&2; exit 77; }
command -v sha256sum >/dev/null || { echo "SKIP: sha256sum is needed" >&2; exit 77; }
if [[ ! -x /usr/bin/time ]]; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        echo "installing 'time' (/usr/bin/time) ..." >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q time >/dev/null 2>&1 ||
            { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q time >/dev/null 2>&1; }
    fi
    [[ -x /usr/bin/time ]] || { echo "SKIP: /usr/bin/time is missing (apt-get install time)" >&2; exit 77; }
fi
# Someone else on the same port and group would share the datagrams: refuse a bound port.
if command -v ss >/dev/null && [[ -n "$(ss -Hlun "sport = :$port" 2>/dev/null)" ]]; then
    echo "ERROR: UDP port $port is already bound on this machine (another transfer?); use --port" >&2; exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/loopback-transfer.XXXXXX")
sids=()
cleanup() {
    local p
    # each launched process leads its own session; `timeout` inside it makes a process group of its
    # own, so kill by session id (our sessions only)
    disown -a 2>/dev/null   # no "Killed" job notices
    for p in "${sids[@]}"; do pkill -KILL -s "$p" 2>/dev/null; done
    rm -f "$tmp"/source.img "$tmp"/run-*/rcv*.img
    if [[ $keep -eq 1 ]]; then echo "logs kept in $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM HUP

if [[ $build -eq 1 ]]; then
    echo "publishing the CLI (Release, ReadyToRun) ..." >&2
    "$REPO/scripts/publish-cli.sh" || exit 1
fi
[[ -f "$dll" ]] || { echo "ERROR: no $dll (build it or pass --dll)" >&2; exit 1; }
# commit, +dirty when src/ has uncommitted changes, and the DLL's time (read for every run: someone
# may rebuild it while the benchmark runs)
dc_version() {
    local v; v="$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    [[ -n "$(git -C "$REPO" status --porcelain -- src 2>/dev/null)" ]] && v+="+dirty"
    printf '%s (dll %s)' "$v" "$(date -u -r "$dll" +%FT%TZ 2>/dev/null || echo '?')"
}

run_results="$tmp/this-run.jsonl"; : >"$run_results"
if [[ -n "$results" ]]; then
    if ! { mkdir -p "$(dirname "$results")" && touch "$results"; }; then echo "ERROR: cannot write $results" >&2; exit 1; fi
fi
echo "creating a $size random test file in $tmp ..." >&2
head -c "$size" /dev/urandom >"$tmp/source.img" || exit 1
bytes=$(stat -c %s "$tmp/source.img")
srcsum=$(sha256sum "$tmp/source.img" | cut -d' ' -f1)
rate_args=(); [[ -n "$rate" ]] && rate_args=(--rate "$rate")
TIMEFMT='%e %U %S %M'

# launch <name> <cmd...>: in its own session (so that it and its children can be killed by
# session id), under `timeout`, measured by /usr/bin/time; stdout/stderr to <name>.out/.err
launch() {
    local name=$1; shift
    setsid /usr/bin/time -f "$TIMEFMT" -o "$wd/$name.time" timeout -k 5 "$timeout" "$@" \
        </dev/null >"$wd/$name.out" 2>"$wd/$name.err" &
    sids+=($!)
}

for ((rep = 1; rep <= repeat; rep++)); do
    wd="$tmp/run-$rep"; mkdir -p "$wd"
    echo "=== run $rep/$repeat: $size ($bytes bytes) to $n receivers over loopback, $group:$port ===" >&2
    loadavg=$(cut -d' ' -f1-3 /proc/loadavg)
    version=$(dc_version)
    declare -A pid=() start=()
    sids=()
    start[snd]=$EPOCHREALTIME
    launch snd dotnet "$dll" send "$tmp/source.img" --interface 127.0.0.1 --group "$group" --port "$port" \
        --min-receivers "$n" --max-wait 60 "${rate_args[@]}"
    pid[snd]=${sids[-1]}
    # wait until the sender listens (it prints "Waiting for N receiver(s)"), at most 30 s
    for ((k = 0; k < 300; k++)); do
        grep -q '^Waiting for' "$wd/snd.out" 2>/dev/null && break
        kill -0 "${pid[snd]}" 2>/dev/null || break
        sleep 0.1
    done
    grep -q '^Waiting for' "$wd/snd.out" 2>/dev/null || echo "warning: the sender did not say it is waiting; starting the receivers anyway" >&2
    for ((i = 1; i <= n; i++)); do
        start[rcv$i]=$EPOCHREALTIME
        launch "rcv$i" dotnet "$dll" receive --output "$wd/rcv$i.img" --interface 127.0.0.1 --group "$group" --port "$port"
        pid[rcv$i]=${sids[-1]}
    done
    for name in "${!pid[@]}"; do
        wait "${pid[$name]}"; echo $? >"$wd/$name.rc"
    done
    sids=()
    {
        echo "$srcsum source"
        for ((i = 1; i <= n; i++)); do
            if [[ -f "$wd/rcv$i.img" ]]; then echo "$(sha256sum "$wd/rcv$i.img" | cut -d' ' -f1) rcv$i"; else echo "missing rcv$i"; fi
            rm -f "$wd/rcv$i.img" "$wd/rcv$i.img".*
        done
    } >"$wd/sums"
    starts="{\"date\":\"$(date -u +%FT%TZ)\",\"snd\":${start[snd]},\"group\":\"$group\",\"port\":$port,\"rate\":\"${rate:-none}\",\"loadavg\":\"$loadavg\""
    for ((i = 1; i <= n; i++)); do starts+=",\"rcv$i\":${start[rcv$i]}"; done
    starts+="}"
    files=("$run_results"); [[ -n "$results" ]] && files+=("$results")
    python3 -c "$PY_HELPER" record "$wd" "$bytes" "$n" "$rep" "$starts" "$version" "${files[@]}" ||
        { echo "ERROR: cannot record the run" >&2; exit 1; }
    unset pid start
done

[[ -n "$results" ]] && echo "results appended to $results" >&2
python3 -c "$PY_HELPER" table "$run_results"
