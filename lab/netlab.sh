#!/usr/bin/env bash
# shellcheck disable=SC2015,SC2034  # `check && _ok || _fail` is meant (_ok always succeeds); LAB_RUN_* are for callers
# netlab.sh: Deploycast's network lab. Test hosts in network namespaces joined by a bridge that
# lives in a namespace of its own, so the root namespace (and this machine's real interface) is
# never touched. Addresses 198.18.0.0/24 (RFC 2544 benchmarking range) exist only inside the lab.
#
#   <prefix>-snd   sender host    lab0 198.18.0.1/24
#   <prefix>-rcvN  receiver N     lab0 198.18.0.(10+N)/24, nft drops N/1000 of incoming UDP at random
#                                 and/or in bursts (--burst-loss)
#   <prefix>-sw    the switch     br0 (mcast_snooping 0) with ports snd, rcv1..rcvN;
#                                 tc tbf on each rcvN port's egress = the bottleneck towards receiver N
#
# Use it as a library (source it and call lab_* functions) or as a command:
#   netlab.sh up <prefix> <receivers> [--rate 200mbit] [--loss-permille N|N1,N2,..] [--burst-loss S:MS|S1:MS1,..]
#                [--slow I:RATE] [--burst 32kb] [--limit 256kb]
#   netlab.sh down <prefix>
#   netlab.sh run <prefix> <receivers> [up options] -- <cmd...>   (up, run cmd with LAB_PREFIX set, always down)
#   netlab.sh sweep <stem>                 (remove labs <stem><pid> whose process <pid> is gone)
#   netlab.sh exec <namespace> <cmd...>
#   netlab.sh status <prefix>
#   netlab.sh list
#   netlab.sh selftest [prefix]
#   netlab.sh summary <results.jsonl>      (Markdown table of lab_run_transfer results; no root needed)
# Every command exits 77 (skip) when not root or when network namespaces are unavailable.
# See docs/lab.md.

# ---------------------------------------------------------------------------------------------
# Configuration (override in the environment before sourcing / calling)
: "${LAB_SUBNET:=198.18.0}"         # /24 inside the lab only
: "${LAB_SND_HOST:=1}"              # sender = 198.18.0.1
: "${LAB_RCV_BASE:=10}"             # receiver i = 198.18.0.(10+i)
: "${LAB_IFACE:=lab0}"              # name of the lab interface inside every host namespace
: "${LAB_DEFAULT_RATE:=200mbit}"
: "${LAB_DEFAULT_BURST:=32kb}"      # tbf bucket: ~1.3 ms of line rate at 200 Mbit/s
: "${LAB_DEFAULT_LIMIT:=256kb}"     # tbf queue: ~10 ms at 200 Mbit/s, like a shallow switch port buffer
LAB_SKIP=77

lab_log() { printf '[netlab] %s\n' "$*" >&2; }
lab_die() { printf '[netlab] ERROR: %s\n' "$*" >&2; return 1; }

# lab_check: returns 77 (with a message) when the lab cannot run here, 0 when it can.
lab_check() {
    if [[ $(id -u) -ne 0 ]]; then
        lab_log "SKIP: the network lab needs root (network namespaces, tc, nftables)"; return $LAB_SKIP
    fi
    if ! command -v ip >/dev/null 2>&1 || ! ip netns list >/dev/null 2>&1; then
        lab_log "SKIP: 'ip netns' is unavailable (install iproute2)"; return $LAB_SKIP
    fi
    local probe="netlab-probe-$$"
    if ! ip netns add "$probe" 2>/dev/null; then
        lab_log "SKIP: cannot create a network namespace here"; return $LAB_SKIP
    fi
    ip netns del "$probe" 2>/dev/null
    return 0
}

lab_valid_prefix() {
    [[ "$1" =~ ^[A-Za-z][A-Za-z0-9_]{0,23}$ ]] || lab_die "bad prefix '$1' (letters, digits, _; max 24; no '-')"
}

# Addresses and names
lab_snd_ns()    { printf '%s-snd' "$1"; }
lab_sw_ns()     { printf '%s-sw' "$1"; }
lab_rcv_ns()    { printf '%s-rcv%d' "$1" "$2"; }
lab_snd_addr()  { printf '%s.%d' "$LAB_SUBNET" "$LAB_SND_HOST"; }
lab_rcv_addr()  { printf '%s.%d' "$LAB_SUBNET" $((LAB_RCV_BASE + $1)); }

# lab_namespaces <prefix>: the lab's existing namespaces, one per line
lab_namespaces() {
    ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$1-(snd|sw|rcv[0-9]+)\$" || true
}

# lab_receivers <prefix>: number of receiver namespaces of a running lab
lab_receivers() { lab_namespaces "$1" | grep -c -- '-rcv' || true; }

# lab_exec <ns> <cmd...>
lab_exec() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# lab_down <prefix>: kill what runs in the lab's namespaces and delete them (nft tables, tc, veths
# and the bridge go with them). Idempotent.
lab_down() {
    local prefix=$1 ns pids left
    lab_valid_prefix "$prefix" || return 1
    for ns in $(lab_namespaces "$prefix"); do
        pids=$(ip netns pids "$ns" 2>/dev/null)
        # shellcheck disable=SC2086
        [[ -n "$pids" ]] && kill -KILL $pids 2>/dev/null
    done
    for ns in $(lab_namespaces "$prefix"); do
        ip netns del "$ns" 2>/dev/null || lab_log "warning: could not delete namespace $ns"
    done
    left=$(lab_namespaces "$prefix")
    [[ -z "$left" ]] || { lab_die "namespaces left behind: $left"; return 1; }
    return 0
}

# lab_up <prefix> <receivers> [--rate R] [--loss-permille N|N1,N2,...] [--burst-loss S:MS|S1:MS1,...]
#        [--slow I:RATE] [--burst B] [--limit L]
#   --burst-loss S:MS  burst loss at every receiver (or one S:MS per receiver; 0:0 = none): any incoming UDP
#                      datagram starts a burst with probability S per 100,000, and the burst drops every UDP
#                      datagram from that source for MS milliseconds (nft dynamic set with a timeout).
#   --slow I:RATE      receiver I's port gets its own tbf rate (a slow host); repeatable
lab_up() {
    local prefix=$1 n=$2; shift 2 || { lab_die "usage: lab_up <prefix> <receivers> [options]"; return 1; }
    local rate=$LAB_DEFAULT_RATE burst=$LAB_DEFAULT_BURST limit=$LAB_DEFAULT_LIMIT loss="0" bloss="0:0"
    local -A slow=()
    while [[ $# -gt 0 ]]; do
        case $1 in
            --rate) rate=$2; shift 2 ;;
            --loss-permille|--loss) loss=$2; shift 2 ;;
            --burst-loss) bloss=$2; shift 2 ;;
            --slow)
                [[ "${2:-}" =~ ^([0-9]+):([0-9.]+[kKmMgG]?(bit|bps)?)$ ]] || { lab_die "--slow takes I:RATE (e.g. 3:20mbit), not '${2:-}'"; return 1; }
                slow[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}; shift 2 ;;
            --burst) burst=$2; shift 2 ;;
            --limit) limit=$2; shift 2 ;;
            *) lab_die "lab_up: unknown option $1"; return 1 ;;
        esac
    done
    lab_valid_prefix "$prefix" || return 1
    [[ "$n" =~ ^[0-9]+$ && $n -ge 1 && $n -le 200 ]] || { lab_die "receivers must be 1..200"; return 1; }
    local -a losses
    IFS=, read -r -a losses <<<"$loss"
    if [[ ${#losses[@]} -ne 1 && ${#losses[@]} -ne $n ]]; then
        lab_die "--loss-permille takes one value or one per receiver ($n)"; return 1
    fi
    local -a blosses
    IFS=, read -r -a blosses <<<"$bloss"
    if [[ ${#blosses[@]} -ne 1 && ${#blosses[@]} -ne $n ]]; then
        lab_die "--burst-loss takes one S:MS or one per receiver ($n)"; return 1
    fi
    local l
    for l in "${losses[@]}"; do
        [[ "$l" =~ ^[0-9]+$ && $l -le 1000 ]] || { lab_die "bad loss per mille '$l'"; return 1; }
        if [[ $l -gt 0 ]] && ! command -v nft >/dev/null 2>&1; then
            lab_die "loss needs nftables (apt-get install nftables)"; return 1
        fi
    done
    for l in "${blosses[@]}"; do
        [[ "$l" =~ ^[0-9]+:[0-9]+$ && ${l%%:*} -le 100000 ]] || { lab_die "bad --burst-loss '$l' (S:MS, S per 100000 datagrams)"; return 1; }
        if [[ ${l%%:*} -gt 0 ]] && ! command -v nft >/dev/null 2>&1; then
            lab_die "burst loss needs nftables (apt-get install nftables)"; return 1
        fi
    done
    for l in "${!slow[@]}"; do
        [[ $l -ge 1 && $l -le $n ]] || { lab_die "--slow: no receiver $l (1..$n)"; return 1; }
    done
    if [[ "$rate" != "none" && "$rate" != "0" ]] && ! command -v tc >/dev/null 2>&1; then
        lab_die "rate limit needs tc (iproute2)"; return 1
    fi

    lab_down "$prefix" || return 1
    local sw snd i ns port pl
    sw=$(lab_sw_ns "$prefix"); snd=$(lab_snd_ns "$prefix")
    {
        ip netns add "$sw" &&
        ip -n "$sw" link set lo up &&
        ip -n "$sw" link add br0 type bridge mcast_snooping 0 stp_state 0 &&
        ip -n "$sw" link set br0 up
    } || { lab_die "cannot create switch namespace $sw"; lab_down "$prefix"; return 1; }
    # A switch forwards frames without a firewall. Where br_netfilter is loaded (a container host's doing), every
    # bridged frame would also pass the iptables hooks, a per-frame cost on the lab's CPUs that no real network has.
    ip netns exec "$sw" sysctl -qw net.bridge.bridge-nf-call-iptables=0 net.bridge.bridge-nf-call-ip6tables=0 \
        net.bridge.bridge-nf-call-arptables=0 >/dev/null 2>&1 || true

    # _lab_host <ns> <switch-port-name> <address>
    _lab_host() {
        local hns=$1 hport=$2 haddr=$3
        ip netns add "$hns" &&
        _lab_quiet_ns "$hns" &&
        ip -n "$hns" link set lo up &&
        # Both ends are created inside the switch namespace, the host end moved straight to its host:
        # no interface ever appears in the root namespace.
        ip -n "$sw" link add "$hport" type veth peer name "$LAB_IFACE" netns "$hns" &&
        ip -n "$sw" link set "$hport" master br0 &&
        ip -n "$sw" link set "$hport" up &&
        ip -n "$hns" addr add "$haddr/24" brd + dev "$LAB_IFACE" &&
        ip -n "$hns" link set "$LAB_IFACE" up &&
        # multicast leaves via the lab interface (there is no default route in the lab)
        ip -n "$hns" route add 224.0.0.0/4 dev "$LAB_IFACE"
    }

    _lab_host "$snd" snd "$(lab_snd_addr)" || { lab_die "cannot create sender $snd"; lab_down "$prefix"; return 1; }
    # A real NIC puts every datagram of a UDP GSO send in its own frame. A veth would carry the whole super-packet
    # as one frame (tbf only splits those above its burst), so one random drop would take ~20 datagrams at once.
    # One segment per frame makes the lab's loss per datagram, as on a wire.
    ip -n "$snd" link set "$LAB_IFACE" gso_max_segs 1 || { lab_die "cannot set gso_max_segs on $snd"; lab_down "$prefix"; return 1; }
    for ((i = 1; i <= n; i++)); do
        ns=$(lab_rcv_ns "$prefix" "$i"); port="rcv$i"
        _lab_host "$ns" "$port" "$(lab_rcv_addr "$i")" || { lab_die "cannot create receiver $ns"; lab_down "$prefix"; return 1; }
        local prate=$rate
        [[ -n "${slow[$i]:-}" ]] && prate=${slow[$i]}
        if [[ "$prate" != "none" && "$prate" != "0" ]]; then
            # The bottleneck: the switch port's egress towards receiver i. The sender's own link is
            # not shaped, so it gets no backpressure and must find the rate itself.
            ip netns exec "$sw" tc qdisc replace dev "$port" root tbf rate "$prate" burst "$burst" limit "$limit" ||
                { lab_die "tc tbf failed on $port"; lab_down "$prefix"; return 1; }
        fi
        if [[ ${#losses[@]} -eq 1 ]]; then pl=${losses[0]}; else pl=${losses[$((i - 1))]}; fi
        local bl
        if [[ ${#blosses[@]} -eq 1 ]]; then bl=${blosses[0]}; else bl=${blosses[$((i - 1))]}; fi
        if [[ $pl -gt 0 || ${bl%%:*} -gt 0 ]]; then
            _lab_loss_rules "$pl" "${bl%%:*}" "${bl#*:}" | ip netns exec "$ns" nft -f - ||
                { lab_die "nft failed in $ns"; lab_down "$prefix"; return 1; }
        fi
    done
    unset -f _lab_host
    local sl="" k
    for k in "${!slow[@]}"; do sl+=" rcv$k=${slow[$k]}"; done
    lab_log "up: $prefix sender $(lab_snd_addr) + $n receivers, rate=$rate${sl:+ (slow:$sl)} burst=$burst limit=$limit loss_permille=$loss burst_loss=$bloss"
}

# _lab_loss_rules <random per mille> <burst starts per 100000> <burst ms>: the receiver's nft table.
# Random loss: numgen random drops each incoming UDP datagram independently.
# Burst loss: a datagram that draws a burst start puts its source address into the set `burst` with a
# timeout of <ms>; while the address is in the set, every UDP datagram from it is dropped. So bursts start at
# random (a Bernoulli trial per datagram, independent of the random loss) and last a fixed time: at
# 200 Mbit/s (about 17,000 datagrams/s), 6 per 100,000 and 10 ms give about one burst a second of about
# 170 consecutive datagrams, about 1% loss. (A counter trick, 'numgen inc mod M < N', would give N
# consecutive of every M, but its period makes the bursts predictable.)
_lab_loss_rules() {
    local pl=$1 bs=$2 bms=$3
    echo "table inet netlab {"
    if [[ $bs -gt 0 ]]; then
        echo "    set burst { type ipv4_addr; flags dynamic, timeout; timeout ${bms}ms; }"
    fi
    echo "    chain input {"
    echo "        type filter hook input priority 0; policy accept;"
    if [[ $pl -gt 0 ]]; then
        echo "        meta l4proto udp numgen random mod 1000 < $pl counter drop comment \"random\""
    fi
    if [[ $bs -gt 0 ]]; then
        echo "        meta l4proto udp ip saddr @burst counter drop comment \"burst\""
        echo "        meta l4proto udp numgen random mod 100000 < $bs add @burst { ip saddr } counter drop comment \"burst-start\""
    fi
    echo "    }"
    echo "}"
}

# Keep the lab quiet and deterministic: no IPv6 (no DAD/RS/MLD chatter on the links).
_lab_quiet_ns() {
    ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1
    return 0
}

# lab_iface_counter <ns> <rx_bytes|tx_bytes|rx_packets|...>: a counter of the lab interface in <ns>
lab_iface_counter() {
    ip netns exec "$1" cat "/sys/class/net/$LAB_IFACE/statistics/$2" 2>/dev/null || echo 0
}

# lab_rcv_gro <prefix> <receivers>: turn on generic receive offload on every receiver's lab interface, as a real
# NIC has it by default (a veth has it off: it then needs NAPI, which it turns on with GRO). The kernel then merges
# back-to-back datagrams of one flow for a socket that asks for it (UDP_GRO); others get them one by one as before.
# A veth hands a frame to its peer's GRO only when its own end cannot make TSO frames (or the frame comes straight
# from a local socket), so the switch's port towards each receiver gets TSO off: nothing in the lab sends TCP.
# Only without loss rules: nft's input hook would see the merged packets, and one random drop would take a run.
lab_rcv_gro() {
    local prefix=$1 n=$2 i ns
    command -v ethtool >/dev/null 2>&1 || { lab_die "receive offload needs ethtool (apt-get install ethtool)"; return 1; }
    for ((i = 1; i <= n; i++)); do
        ns=$(lab_rcv_ns "$prefix" "$i")
        if ip netns exec "$ns" nft list table inet netlab >/dev/null 2>&1; then
            lab_die "receiver $i has loss rules; with GRO they would drop merged runs of datagrams, not datagrams"; return 1
        fi
        ip netns exec "$ns" ethtool -K "$LAB_IFACE" gro on >/dev/null || { lab_die "cannot turn GRO on in $ns"; return 1; }
        ip netns exec "$(lab_sw_ns "$prefix")" ethtool -K "rcv$i" tso off >/dev/null || { lab_die "cannot turn TSO off on rcv$i"; return 1; }
    done
}

# lab_tbf_drops <prefix> <i>: packets the bottleneck queue towards receiver i has dropped
lab_tbf_drops() {
    ip netns exec "$(lab_sw_ns "$1")" tc -s qdisc show dev "rcv$2" 2>/dev/null |
        sed -n 's/.*dropped \([0-9]*\).*/\1/p' | head -1 | grep . || echo 0
}

# lab_nft_drops <prefix> <i>: packets the loss rules (random and burst) in receiver i have dropped
lab_nft_drops() {
    ip netns exec "$(lab_rcv_ns "$1" "$2")" nft list table inet netlab 2>/dev/null |
        sed -n 's/.*counter packets \([0-9]*\).*/\1/p' | awk '{s+=$1} END{print s+0}'
}

# lab_sweep <stem>: removes the labs named <stem><pid> (or <stem><pid>_<k>) whose process <pid> no longer
# runs: what a test run killed before it could clean up left behind. Labs of live processes are left alone.
lab_sweep() {
    local stem=$1 p pid
    [[ "$stem" =~ ^[A-Za-z][A-Za-z0-9]*$ ]] || { lab_die "bad stem '$stem' (letters and digits)"; return 1; }
    for p in $(ip netns list 2>/dev/null | awk '{print $1}' | sed -n -E "s/^(${stem}[0-9]+(_[0-9]+)?)-(snd|sw|rcv[0-9]+)\$/\1/p" | sort -u); do
        pid=${p#"$stem"}; pid=${pid%%_*}
        if ! kill -0 "$pid" 2>/dev/null; then
            lab_log "sweep: removing stale lab $p (process $pid is gone)"
            lab_down "$p" || return 1
        fi
    done
}

# lab_run <prefix> <receivers> [lab_up options] -- <cmd...>: brings the lab up, runs cmd with LAB_PREFIX set,
# and takes the lab down whatever happens (exit, error, Ctrl-C, SIGTERM). Returns cmd's exit code.
lab_run() {
    local prefix=$1 n=$2; shift 2
    local -a up=()
    while [[ $# -gt 0 && "$1" != "--" ]]; do up+=("$1"); shift; done
    [[ "${1:-}" == "--" ]] && shift
    [[ $# -gt 0 ]] || { lab_die "usage: lab_run <prefix> <n> [options] -- <cmd...>"; return 2; }
    (
        trap 'lab_down "'"$prefix"'" >/dev/null 2>&1' EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
        lab_up "$prefix" "$n" "${up[@]}" || exit 1
        LAB_PREFIX=$prefix "$@"
    )
}

# lab_status <prefix>: human-readable state of a running lab
lab_status() {
    local prefix=$1 ns i n
    n=$(lab_receivers "$prefix")
    echo "namespaces:"; lab_namespaces "$prefix" | sed 's/^/  /'
    [[ $n -gt 0 ]] || return 0
    echo "switch ports (tc):"
    for ((i = 1; i <= n; i++)); do
        printf '  rcv%d: ' "$i"
        ip netns exec "$(lab_sw_ns "$prefix")" tc -s qdisc show dev "rcv$i" | tr '\n' ' ' | tr -s ' '; echo
    done
    echo "receivers: rx_packets / nft drops"
    for ((i = 1; i <= n; i++)); do
        ns=$(lab_rcv_ns "$prefix" "$i")
        printf '  %s %s: %s / %s\n' "$ns" "$(lab_rcv_addr "$i")" "$(lab_iface_counter "$ns" rx_packets)" "$(lab_nft_drops "$prefix" "$i")"
    done
}

# ---------------------------------------------------------------------------------------------
# Test data and transfers

# lab_make_file <path> <size>: random file; size like 256M, 1G, 1000000 (head -c syntax)
lab_make_file() {
    head -c "$2" /dev/urandom >"$1" || { lab_die "cannot create $1"; return 1; }
}

_lab_json_str() { local v=${1//\\/\\\\}; v=${v//\"/\\\"}; printf '"%s"' "$v"; }
_lab_now() { printf '%s' "$EPOCHREALTIME"; }
_lab_sub() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", a-b}'; }

# _lab_fill <template> then key=value pairs: replaces {key} with the value
_lab_fill() {
    local s=$1 kv; shift
    for kv in "$@"; do s=${s//"{${kv%%=*}}"/"${kv#*=}"}; done
    printf '%s' "$s"
}

# lab_run_transfer [options] <src-file> <sender-cmd> <receiver-cmd-template>
#   Runs <receiver-cmd-template> in every receiver namespace (each under `timeout`), then
#   <sender-cmd> in the sender namespace; waits for all; times the run; checks each receiver's
#   output against the source by SHA-256; appends one JSON object to --results (JSON Lines) and
#   prints a one-line summary per receiver.
#   Placeholders (substituted before `bash -c` inside the namespace; paths are shell-quoted):
#     {file}   source file               {out}   this receiver's output file
#     {addr}   this host's lab address   {sender} the sender's lab address (198.18.0.1)
#     {i}      receiver index (1..n)     {n}     number of receivers
#     {iface}  lab interface name (lab0) {log}   this process's log file
#   Options:
#     --prefix P          lab prefix (default $LAB_PREFIX or dclab)
#     --label L           name of the run in the results
#     --timeout S         per-process timeout in seconds (default 600); exit 124 = hung, counted as failure
#     --results FILE      append a JSON object (one line) with everything measured
#     --workdir D         where outputs and logs go (default: mktemp -d; outputs removed after the check)
#     --sender-delay S    seconds between starting the receivers and the sender (default 1)
#     --sender-first      start the sender first, then the receivers after --sender-delay
#     --keep-outputs      do not delete the receivers' output files
#     --meta k=v          extra key/value pair recorded in the results (repeatable)
#   Sets LAB_RUN_OK (1/0), LAB_RUN_TOTAL_S, LAB_RUN_GOODPUT_MBIT. Returns 0 when every receiver
#   exited 0 with a byte-equal output and the sender exited 0, else 1.
lab_run_transfer() {
    local prefix=${LAB_PREFIX:-dclab} label=transfer timeout=600 results="" workdir="" delay=1
    local sender_first=0 keep=0
    local -a meta=()
    while [[ $# -gt 0 ]]; do
        case $1 in
            --prefix) prefix=$2; shift 2 ;;
            --label) label=$2; shift 2 ;;
            --timeout) timeout=$2; shift 2 ;;
            --results) results=$2; shift 2 ;;
            --workdir) workdir=$2; shift 2 ;;
            --sender-delay) delay=$2; shift 2 ;;
            --sender-first) sender_first=1; shift ;;
            --keep-outputs) keep=1; shift ;;
            --meta) meta+=("$2"); shift 2 ;;
            --) shift; break ;;
            -*) lab_die "lab_run_transfer: unknown option $1"; return 1 ;;
            *) break ;;
        esac
    done
    [[ $# -eq 3 ]] || { lab_die "usage: lab_run_transfer [options] <src-file> <sender-cmd> <receiver-cmd-template>"; return 1; }
    local src=$1 scmd=$2 rtpl=$3
    [[ -f "$src" ]] || { lab_die "no source file $src"; return 1; }
    local n; n=$(lab_receivers "$prefix")
    [[ $n -ge 1 ]] || { lab_die "lab $prefix is not up"; return 1; }
    [[ -n "$workdir" ]] || workdir=$(mktemp -d "${TMPDIR:-/tmp}/netlab-run.XXXXXX")
    mkdir -p "$workdir"
    local size srcsum; size=$(stat -c %s "$src")
    srcsum=$(sha256sum "$src" | cut -d' ' -f1)
    local snd; snd=$(lab_snd_ns "$prefix")
    local i ns out cmd
    local -a pids=()

    # _lab_launch <ns> <cmd> <statusfile> <log>: run in background, record "rc start end cpu_seconds"; the CPU
    # time (user + system) is what the subshell's waited-for descendants used (`times`), so a command that
    # starts a daemon must stop and wait for it to have it counted.
    _lab_launch() {
        local lns=$1 lcmd=$2 lst=$3 llog=$4
        (
            s=$EPOCHREALTIME
            ip netns exec "$lns" timeout -k 5 "$timeout" bash -c "$lcmd" </dev/null >"$llog" 2>&1
            rc=$?
            e=$EPOCHREALTIME
            times >"$lst.times"   # not in a pipe or $(...): those fork, and a fork has no children's times
            cpu=$(sed -n 2p "$lst.times" | awk '{ t = 0; for (f = 1; f <= 2; f++) { split($f, a, /[ms]/); t += a[1] * 60 + a[2] } printf "%.3f", t }')
            printf '%s %s %s %s\n' "$rc" "$s" "$e" "${cpu:-0}" >"$lst"
            rm -f "$lst.times"
        ) &
        pids+=($!)
    }

    local tx0 rx0=() tx0r=() drops0=() nft0=()
    tx0=$(lab_iface_counter "$snd" tx_bytes)
    for ((i = 1; i <= n; i++)); do
        rx0[i]=$(lab_iface_counter "$(lab_rcv_ns "$prefix" "$i")" rx_bytes)
        tx0r[i]=$(lab_iface_counter "$(lab_rcv_ns "$prefix" "$i")" tx_bytes)
        drops0[i]=$(lab_tbf_drops "$prefix" "$i")
        nft0[i]=$(lab_nft_drops "$prefix" "$i")
        rm -f "$workdir/rcv$i.out" "$workdir/rcv$i.status"
    done
    rm -f "$workdir/snd.status"
    # Start every run with nothing dirty in the page cache: a test file just written, or the outputs of the run before
    # (written by a tool that does not flush), would otherwise be written back during this run and slow whichever tool
    # runs first.
    sync

    local scmd_f
    scmd_f=$(_lab_fill "$scmd" "file=$(printf '%q' "$src")" "sender=$(lab_snd_addr)" "addr=$(lab_snd_addr)" \
        "n=$n" "iface=$LAB_IFACE" "log=$(printf '%q' "$workdir/snd.log")")
    printf '%s\n' "$scmd_f" >"$workdir/snd.cmd"
    local t_snd_start
    _start_receivers() {
        for ((i = 1; i <= n; i++)); do
            ns=$(lab_rcv_ns "$prefix" "$i"); out="$workdir/rcv$i.out"
            cmd=$(_lab_fill "$rtpl" "file=$(printf '%q' "$src")" "out=$(printf '%q' "$out")" "addr=$(lab_rcv_addr "$i")" \
                "sender=$(lab_snd_addr)" "i=$i" "n=$n" "iface=$LAB_IFACE" "log=$(printf '%q' "$workdir/rcv$i.log")")
            printf '%s\n' "$cmd" >"$workdir/rcv$i.cmd"
            _lab_launch "$ns" "$cmd" "$workdir/rcv$i.status" "$workdir/rcv$i.stderr"
        done
    }
    if [[ $sender_first -eq 1 ]]; then
        t_snd_start=$(_lab_now)
        _lab_launch "$snd" "$scmd_f" "$workdir/snd.status" "$workdir/snd.stderr"
        sleep "$delay"
        _start_receivers
    else
        _start_receivers
        sleep "$delay"
        t_snd_start=$(_lab_now)
        _lab_launch "$snd" "$scmd_f" "$workdir/snd.status" "$workdir/snd.stderr"
    fi
    lab_log "run '$label': $n receivers, $size bytes, timeout ${timeout}s ..."
    wait "${pids[@]}" 2>/dev/null
    unset -f _lab_launch _start_receivers

    # Collect
    local st rc s e last_end=$t_snd_start ok=1 all_ok=1 sum t_rel
    local json_rcv="" tx1 sent_bytes
    local s_rc s_s s_e s_cpu cpu
    read -r s_rc s_s s_e s_cpu <"$workdir/snd.status" 2>/dev/null || { s_rc=255; s_s=$t_snd_start; s_e=$(_lab_now); }
    s_cpu=${s_cpu:-0}
    [[ "$s_rc" == 0 ]] || all_ok=0
    tx1=$(lab_iface_counter "$snd" tx_bytes); sent_bytes=$((tx1 - tx0))
    for ((i = 1; i <= n; i++)); do
        st="$workdir/rcv$i.status"; out="$workdir/rcv$i.out"
        read -r rc s e cpu <"$st" 2>/dev/null || { rc=255; s=$t_snd_start; e=$(_lab_now); }
        cpu=${cpu:-0}
        if [[ -f "$out" ]]; then sum=$(sha256sum "$out" | cut -d' ' -f1); else sum=""; fi
        if [[ "$sum" == "$srcsum" ]]; then ok=1; else ok=0; fi
        [[ "$rc" == 0 && $ok == 1 ]] || all_ok=0
        awk -v a="$e" -v b="$last_end" 'BEGIN{exit !(a>b)}' && last_end=$e
        t_rel=$(_lab_sub "$e" "$t_snd_start")
        local rx=$(( $(lab_iface_counter "$(lab_rcv_ns "$prefix" "$i")" rx_bytes) - rx0[i] ))
        local tbfd=$(( $(lab_tbf_drops "$prefix" "$i") - drops0[i] ))
        local nftd=$(( $(lab_nft_drops "$prefix" "$i") - nft0[i] ))
        local osize=0; [[ -f "$out" ]] && osize=$(stat -c %s "$out")
        local hung=0; [[ "$rc" == 124 || "$rc" == 137 ]] && hung=1
        printf '  %-8s %-14s exit=%-3s time=%8ss (after sender start %8ss) bytes=%s byte_equal=%s%s tbf_drops=%s nft_drops=%s\n' \
            "rcv$i" "$(lab_rcv_addr "$i")" "$rc" "$(_lab_sub "$e" "$s")" "$t_rel" "$osize" \
            "$([[ $ok == 1 ]] && echo yes || echo no)" "$([[ $hung == 1 ]] && echo ' HUNG(timeout)')" "$tbfd" "$nftd" >&2
        json_rcv+="${json_rcv:+,}{\"i\":$i,\"addr\":\"$(lab_rcv_addr "$i")\",\"exit\":$rc,\"hung\":$hung,\"time_s\":$(_lab_sub "$e" "$s"),\"done_after_sender_start_s\":$t_rel,\"out_bytes\":$osize,\"byte_equal\":$([[ $ok == 1 ]] && echo true || echo false),\"rx_bytes\":$rx,\"tx_bytes\":$(( $(lab_iface_counter "$(lab_rcv_ns "$prefix" "$i")" tx_bytes) - tx0r[i] )),\"tbf_drops\":$tbfd,\"nft_drops\":$nftd,\"cpu_s\":$cpu}"
        [[ $keep -eq 1 ]] || rm -f "$out"
    done
    awk -v a="$s_e" -v b="$last_end" 'BEGIN{exit !(a>b)}' && last_end=$s_e
    local total gp; total=$(_lab_sub "$last_end" "$t_snd_start")
    gp=$(awk -v sz="$size" -v t="$total" 'BEGIN{ if (t>0) printf "%.1f", sz*8/t/1e6; else print 0 }')
    printf '  %-8s %-14s exit=%-3s time=%8ss sent_bytes=%s (%.2fx file)\n' "sender" "$(lab_snd_addr)" "$s_rc" \
        "$(_lab_sub "$s_e" "$s_s")" "$sent_bytes" "$(awk -v a="$sent_bytes" -v b="$size" 'BEGIN{print a/b}')" >&2
    lab_log "run '$label': total ${total}s goodput ${gp} Mbit/s ok=$all_ok (logs in $workdir)"
    LAB_RUN_OK=$all_ok; LAB_RUN_TOTAL_S=$total; LAB_RUN_GOODPUT_MBIT=$gp
    if [[ -n "$results" ]]; then
        local m jm=""
        for m in "${meta[@]}"; do jm+=",$(_lab_json_str "${m%%=*}"):$(_lab_json_str "${m#*=}")"; done
        printf '{"label":%s,"time":"%s","prefix":"%s","receivers":%d,"size_bytes":%s,"ok":%s,"total_s":%s,"goodput_mbit":%s%s,"sender":{"exit":%s,"time_s":%s,"sent_bytes":%s,"cpu_s":%s},"receiver":[%s],"workdir":"%s"}\n' \
            "$(_lab_json_str "$label")" "$(date -u +%FT%TZ)" "$prefix" "$n" "$size" "$([[ $all_ok == 1 ]] && echo true || echo false)" \
            "$total" "$gp" "$jm" "$s_rc" "$(_lab_sub "$s_e" "$s_s")" "$sent_bytes" "$s_cpu" "$json_rcv" "$workdir" >>"$results"
    fi
    [[ $all_ok == 1 ]]
}

# lab_summary_table <results.jsonl>: a Markdown table, one row per receiver per run (python3),
# or the raw JSON lines when python3 is missing. Uses the meta keys loss_permille, cap, link_mbit.
lab_summary_table() {
    local py; py=$(command -v python3) || { cat "$1"; return 0; }
    "$py" - "$1" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print("| run | size MiB | loss | cap | sender exit | receiver | exit | done at s | byte-equal | total s | goodput Mbit/s | % of link | sent/file |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    link = float(r.get("link_mbit", 0) or 0)
    pct = f'{100*r["goodput_mbit"]/link:.0f}%' if link else "-"
    loss = r.get("loss_permille", "?")
    loss = f'{float(loss)/10:g}%' if loss != "?" else loss
    ratio = r["sender"]["sent_bytes"] / r["size_bytes"] if r["size_bytes"] else 0
    for k, x in enumerate(r["receiver"]):
        first = k == 0
        ex = str(x["exit"]) + (" (hung)" if x["hung"] else "")
        print("| " + " | ".join([
            (r.get("tool", r["label"]) + (" " + r["extra_sender_args"] if r.get("extra_sender_args") else "")) if first else "",
            f'{r["size_bytes"]/1048576:g}' if first else "",
            loss if first else "", r.get("cap", "") if first else "",
            str(r["sender"]["exit"]) if first else "",
            f'rcv{x["i"]}', ex, f'{x["done_after_sender_start_s"]:.1f}',
            "yes" if x["byte_equal"] else "no",
            f'{r["total_s"]:.1f}' if first else "",
            (f'{r["goodput_mbit"]:.1f}' + ("" if r["ok"] else " (failed)")) if first else "",
            pct if first else "", f'{ratio:.2f}' if first else ""]) + " |")
PYEOF
}

# ---------------------------------------------------------------------------------------------
# Self-test

# A tiny multicast probe (python3): "recv <group> <port> <iface-addr> <timeout>" prints the first
# datagram; "send <group> <port> <iface-addr> <count>" sends count datagrams with TTL 1;
# "blast <group> <port> <iface-addr> <seconds>" sends 1400-byte datagrams as fast as it can.
_LAB_PY_MCAST='
import socket, struct, sys, time
mode, grp, port, ifa, arg = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
if mode == "recv":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((grp, port))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton(grp) + socket.inet_aton(ifa))
    s.settimeout(float(arg))
    data, src = s.recvfrom(2048)
    print(data.decode(), src[0])
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(ifa))
    s.bind((ifa, 0))
    if mode == "send":
        for k in range(int(arg)):
            s.sendto(b"netlab-hello", (grp, port)); time.sleep(0.05)
    else:
        buf = b"x" * 1400; end = time.time() + float(arg); k = 0
        while time.time() < end:
            for _ in range(64):
                s.sendto(buf, (grp, port))
            k += 64
        print(k)
'

# Numbered datagrams: "send <addr> <count> <per second>" to UDP port 5597; "recv <count>" prints
# "<lost> <runs of consecutive losses>" once 1.5 s pass without a datagram.
_LAB_PY_SEQ='
import socket, struct, sys, time
if sys.argv[1] == "recv":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 5597)); s.settimeout(1.5)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    seen = set()
    try:
        while True: seen.add(struct.unpack("!I", s.recv(2000)[:4])[0])
    except socket.timeout: pass
    lost = [k for k in range(int(sys.argv[2])) if k not in seen]
    print(len(lost), sum(1 for j, k in enumerate(lost) if j == 0 or lost[j - 1] != k - 1))
else:
    dst = (sys.argv[2], 5597); n = int(sys.argv[3]); pps = float(sys.argv[4])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b"arp", (dst[0], 5598)); time.sleep(0.3)
    t0 = time.time(); pad = b"x" * 1000
    for k in range(n):
        s.sendto(struct.pack("!I", k) + pad, dst)
        if k % 50 == 49:
            d = t0 + (k + 1) / pps - time.time()
            if d > 0: time.sleep(d)
'

# _lab_unicast_check <from-ns> <to-ns> <to-addr>: ping when installed, else a UDP echo (python3)
_lab_unicast_check() {
    local from=$1 to=$2 addr=$3 py; py=$(command -v python3)
    if command -v ping >/dev/null 2>&1; then
        _LAB_UC_HOW="ping"; lab_exec "$from" ping -c1 -W2 "$addr" >/dev/null 2>&1; return
    fi
    _LAB_UC_HOW="UDP echo"
    lab_exec "$to" timeout 5 "$py" -c '
import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind((sys.argv[1],5596))
d,a=s.recvfrom(100); s.sendto(d,a)' "$addr" >/dev/null 2>&1 &
    local p=$!
    sleep 0.3
    lab_exec "$from" timeout 5 "$py" -c '
import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(3)
s.sendto(b"echo",(sys.argv[1],5596)); d,a=s.recvfrom(100)
sys.exit(0 if d==b"echo" and a[0]==sys.argv[1] else 1)' "$addr" >/dev/null 2>&1
    local rc=$?
    wait $p
    return $rc
}

lab_selftest() {
    local prefix=${1:-nlselftest} fails=0 py rc
    lab_check; rc=$?; [[ $rc -eq 0 ]] || return $rc
    lab_valid_prefix "$prefix" || return 1
    py=$(command -v python3) || { lab_log "SKIP: python3 is needed for the self-test"; return $LAB_SKIP; }
    trap 'lab_down "'"$prefix"'" >/dev/null 2>&1' EXIT
    trap 'exit 130' INT TERM
    _ok()   { printf '  ok   %s\n' "$*"; }
    _fail() { printf '  FAIL %s\n' "$*"; fails=$((fails + 1)); }

    echo "netlab selftest (prefix $prefix)"
    lab_up "$prefix" 2 --rate 100mbit || { echo "  FAIL lab_up"; return 1; }
    [[ $(lab_namespaces "$prefix" | wc -l) -eq 4 ]] && _ok "4 namespaces (snd, sw, rcv1, rcv2)" || _fail "namespace count"
    local snd r1 r2 grp=239.255.77.1
    snd=$(lab_snd_ns "$prefix"); r1=$(lab_rcv_ns "$prefix" 1); r2=$(lab_rcv_ns "$prefix" 2)
    # nothing of the lab in the root namespace
    if ip -br addr | grep -q "$LAB_SUBNET\."; then _fail "lab address visible in the root namespace"; else _ok "root namespace untouched"; fi

    _lab_unicast_check "$snd" "$r1" "$(lab_rcv_addr 1)" && _ok "unicast sender -> rcv1 ($_LAB_UC_HOW)" || _fail "unicast sender -> rcv1"
    _lab_unicast_check "$r2" "$snd" "$(lab_snd_addr)" && _ok "unicast rcv2 -> sender ($_LAB_UC_HOW)" || _fail "unicast rcv2 -> sender"
    _lab_unicast_check "$r1" "$r2" "$(lab_rcv_addr 2)" && _ok "unicast rcv1 -> rcv2 ($_LAB_UC_HOW)" || _fail "unicast rcv1 -> rcv2"

    # multicast: both receivers join, the sender sends a few datagrams with TTL 1
    local d; d=$(mktemp -d)
    lab_exec "$r1" "$py" -c "$_LAB_PY_MCAST" recv $grp 5599 "$(lab_rcv_addr 1)" 5 >"$d/r1" 2>&1 &
    local p1=$!
    lab_exec "$r2" "$py" -c "$_LAB_PY_MCAST" recv $grp 5599 "$(lab_rcv_addr 2)" 5 >"$d/r2" 2>&1 &
    local p2=$!
    sleep 0.5
    lab_exec "$snd" "$py" -c "$_LAB_PY_MCAST" send $grp 5599 "$(lab_snd_addr)" 10 >/dev/null 2>&1
    wait $p1 $p2
    grep -q "netlab-hello $(lab_snd_addr)" "$d/r1" && _ok "multicast $grp sender -> rcv1" || _fail "multicast -> rcv1: $(cat "$d/r1")"
    grep -q "netlab-hello $(lab_snd_addr)" "$d/r2" && _ok "multicast $grp sender -> rcv2" || _fail "multicast -> rcv2: $(cat "$d/r2")"

    # rate limit: blast 2 s of multicast, the receiver's link must carry about 100 Mbit/s
    local rx0 rx1 mbit
    rx0=$(lab_iface_counter "$r1" rx_bytes)
    lab_exec "$snd" "$py" -c "$_LAB_PY_MCAST" blast $grp 5598 "$(lab_snd_addr)" 2 >/dev/null 2>&1
    sleep 0.2
    rx1=$(lab_iface_counter "$r1" rx_bytes)
    mbit=$(awk -v a="$rx0" -v b="$rx1" 'BEGIN{printf "%.0f", (b-a)*8/2/1e6}')
    if [[ $mbit -ge 70 && $mbit -le 115 ]]; then _ok "tbf caps rcv1 at ~100 Mbit/s (measured $mbit Mbit/s, $(lab_tbf_drops "$prefix" 1) drops)"
    else _fail "tbf rate: measured $mbit Mbit/s on rcv1, expected ~100"; fi

    # loss: a lab with 500 per mille loss at rcv1 drops about half
    lab_up "$prefix" 1 --rate 100mbit --loss-permille 500 >/dev/null 2>&1 || _fail "lab_up with loss"
    r1=$(lab_rcv_ns "$prefix" 1)
    local got
    lab_exec "$r1" timeout 5 "$py" -c '
import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("0.0.0.0",5597)); s.settimeout(1.5); n=0
try:
    while True: s.recv(100); n+=1
except socket.timeout: print(n)' >"$d/loss" 2>&1 &
    local pl=$!
    sleep 0.5
    lab_exec "$snd" "$py" -c '
import socket,time
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); dst=("'"$(lab_rcv_addr 1)"'",5598)
s.sendto(b"arp",dst); time.sleep(0.3)   # resolve the neighbour first (to another port)
dst=(dst[0],5597)
for k in range(1000):
    s.sendto(b"x",dst)
    if k % 20 == 19: time.sleep(0.002)   # paced: never overflow the receiving socket' >/dev/null 2>&1
    wait $pl; got=$(cat "$d/loss")
    if [[ "$got" =~ ^[0-9]+$ && $got -ge 400 && $got -le 600 ]]; then _ok "nft random loss 50%: $got of 1000 arrived, $(lab_nft_drops "$prefix" 1) dropped"
    else _fail "nft random loss: $got of 1000 arrived (expected ~500)"; fi
    # burst loss: numbered datagrams at 15,000/s; the lost ones must come in runs, not one by one
    lab_up "$prefix" 1 --rate 200mbit --burst-loss 60:10 >/dev/null 2>&1 || _fail "lab_up with burst loss"
    lab_exec "$r1" timeout 10 "$py" -c "$_LAB_PY_SEQ" recv 20000 >"$d/burst" 2>&1 &
    pl=$!
    sleep 0.5
    lab_exec "$snd" "$py" -c "$_LAB_PY_SEQ" send "$(lab_rcv_addr 1)" 20000 15000 >/dev/null 2>&1
    wait $pl
    local lost runs
    read -r lost runs <"$d/burst"
    if [[ "$lost" =~ ^[0-9]+$ && "$runs" =~ ^[0-9]+$ && $runs -ge 1 && $((lost / runs)) -ge 10 ]]; then
        _ok "nft burst loss: $lost of 20000 lost in $runs bursts (mean $((lost / runs)) consecutive)"
    else _fail "nft burst loss: $(cat "$d/burst") (expected runs of >= 10 consecutive)"; fi
    rm -rf "$d"

    lab_down "$prefix" && [[ -z "$(lab_namespaces "$prefix")" ]] && _ok "lab_down removed every namespace" || _fail "lab_down"
    trap - EXIT INT TERM
    if [[ $fails -eq 0 ]]; then echo "selftest: all passed"; return 0; fi
    echo "selftest: $fails failed"; return 1
}

# ---------------------------------------------------------------------------------------------
# CLI
_lab_usage() {
    sed -n '3,/^# See docs/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

lab_main() {
    local cmd=${1:-help}; shift || true
    case $cmd in
        help|-h|--help) _lab_usage; return 0 ;;
        summary) lab_summary_table "$@"; return ;;
    esac
    local rc; lab_check; rc=$?; [[ $rc -eq 0 ]] || return $rc
    case $cmd in
        up) lab_up "$@" ;;
        down) lab_down "$@" ;;
        exec) lab_exec "$@" ;;
        status) lab_status "$@" ;;
        list) ip netns list ;;
        selftest) lab_selftest "$@" ;;
        run) lab_run "$@" ;;
        sweep) lab_sweep "$@" ;;
        *) _lab_usage >&2; return 2 ;;
    esac
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    lab_main "$@"
    exit $?
fi
