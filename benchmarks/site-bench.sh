#!/usr/bin/env bash
# site-bench.sh: the site server benchmark (the `site` mode of benchmarks/Deploycast.Benchmarks) on SQLite and on
# PostgreSQL side by side in one run. Unless --postgres names a server, it starts a throw-away PostgreSQL the way the
# store tests do (tests/Deploycast.Site.Tests/Storage/PostgresServer.cs): Debian's binaries, a directory under /tmp
# owned by the postgres user (PostgreSQL refuses root), initdb and pg_ctl run through runuser, trust authentication,
# listening on 127.0.0.1 and a free port, fsync off; it is stopped and deleted on exit, whatever happens.
#
# Usage: benchmarks/site-bench.sh [options] [site-mode options]
#   --postgres CS    use this PostgreSQL (Npgsql connection string) instead of starting one; the run works in a new
#                    schema there and drops it at the end
#   --no-postgres    SQLite only
#   --pg-bin DIR     PostgreSQL binaries. Default /usr/lib/postgresql/15/bin
#   --no-build       do not build the benchmarks first (default: dotnet build -c Release)
#   --log FILE       also write the output to FILE
# Every other option goes to the site mode, for example --repeat 3, --sqlite-dir /tmp --sqlite-dir /dev/shm (SQLite on
# a disk and on tmpfs, to see what flushing costs), --devices 5000, --status 4000 (see SiteServerBenchmark.cs).
# Exit: the benchmark's exit code; 77 when PostgreSQL cannot be started here (not root, or no binaries) and neither
# --postgres nor --no-postgres was given; 2 on bad options.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)

postgres="" pg_note="" no_postgres=0 pg_bin=/usr/lib/postgresql/15/bin build=1 log="" pass=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --postgres) postgres=$2; shift 2 ;;
        --no-postgres) no_postgres=1; shift ;;
        --pg-bin) pg_bin=$2; shift 2 ;;
        --no-build) build=0; shift ;;
        --log) log=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) pass+=("$1"); shift ;;
    esac
done

pg_dir=""
pg_started=0
cleanup() {
    if [[ -n "$pg_dir" ]]; then
        if [[ $pg_started == 1 ]]; then
            runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w stop >/dev/null 2>&1 \
                || echo "site-bench: pg_ctl stop failed; see $pg_dir/server.log" >&2
        fi
        rm -rf "$pg_dir"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start_postgres() {
    if [[ $(id -u) != 0 ]]; then
        echo "site-bench: starting PostgreSQL needs root (initdb and pg_ctl run as the postgres user through runuser); give --postgres or --no-postgres" >&2
        return 77
    fi
    if [[ ! -x "$pg_bin/initdb" ]] || ! id postgres >/dev/null 2>&1; then
        echo "site-bench: no PostgreSQL at $pg_bin (apt-get install postgresql); give --postgres or --no-postgres" >&2
        return 77
    fi
    # Under /tmp, not $TMPDIR: the postgres user must be able to reach it.
    pg_dir=$(mktemp -d /tmp/deploycast-site-pg-XXXXXX) || return 1
    chown postgres: "$pg_dir" || return 1
    if ! runuser -u postgres -- "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 --no-sync >"$pg_dir/initdb.log" 2>&1; then
        cat "$pg_dir/initdb.log" >&2
        return 1
    fi
    # A free port can be taken between choosing and binding it: try a few.
    local attempt port
    for attempt in 1 2 3; do
        port=$(free_port) || return 1
        if runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" \
                -o "-k $pg_dir -p $port -c listen_addresses=127.0.0.1 -c fsync=off" -w -t 60 start >/dev/null 2>&1; then
            pg_started=1
            postgres="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres;Timeout=30;Command Timeout=300"
            pg_note="site-bench: PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') started in $pg_dir on 127.0.0.1:$port (fsync=off)"
            return 0
        fi
        grep -q "Address already in use" "$pg_dir/server.log" 2>/dev/null || break
    done
    echo "site-bench: PostgreSQL did not start; its log:" >&2
    cat "$pg_dir/server.log" >&2
    return 1
}

if [[ $build == 1 ]]; then
    dotnet build -c Release "$REPO/benchmarks/Deploycast.Benchmarks" -nologo -v q || exit 1
fi

args=(site)
if [[ $no_postgres == 0 ]]; then
    if [[ -z "$postgres" ]]; then
        start_postgres || exit $?
    fi
    args+=(--postgres "$postgres")
fi
args+=("${pass[@]}")

run() {
    [[ -n "$pg_note" ]] && echo "$pg_note"
    echo "site-bench: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    dotnet run -c Release --no-build --project "$REPO/benchmarks/Deploycast.Benchmarks" -- "${args[@]}"
}
if [[ -n "$log" ]]; then
    run 2>&1 | tee "$log"
    exit "${PIPESTATUS[0]}"
fi
run
