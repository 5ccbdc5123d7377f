#!/usr/bin/env python3
"""The driver of lab/dp-bench.sh (run that; it checks the options, builds the CLI and sets DPB_*).

Everything stays on this machine: the server listens on 127.0.0.1, its multicast settings name interface
127.0.0.1 (TTL 1 is the transport's default), and the plain send/receive runs use --interface 127.0.0.1.
"""
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

ADMIN = "dp-bench-admin-token-0123456789"
CLIENT = "dp-bench-client-token-0123456789"
PACKAGE = "DCB00001"
LATENCY_PACKAGE = "DCB0LAT1"
WARMUP = 20

env = os.environ
T0 = time.monotonic()
children = []


def log(message):
    print("[%6.1f s] %s" % (time.monotonic() - T0, message), file=sys.stderr, flush=True)


def pct(values, p):
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[max(0, min(len(s) - 1, int(round(p / 100 * len(s) + 0.5)) - 1))]


# ---------------------------------------------------------------------------------------------- processes

def launch(args, out_path):
    out = open(out_path, "wb")
    p = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    out.close()
    children.append(p)
    return p


def wait_all(procs, timeout):
    """Waits for every process; returns their end times (monotonic). Kills those past the timeout (exit 124)."""
    ends = [None] * len(procs)
    codes = [None] * len(procs)
    deadline = time.monotonic() + timeout
    while any(e is None for e in ends):
        now = time.monotonic()
        for i, p in enumerate(procs):
            if ends[i] is None:
                rc = p.poll()
                if rc is not None:
                    ends[i], codes[i] = now, rc
                elif now > deadline:
                    p.kill()
                    p.wait()
                    ends[i], codes[i] = now, 124
        time.sleep(0.005)
    return ends, codes


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read().replace("\r", "\n")
    except OSError:
        return ""


def tail(path, n=6):
    return [l for l in read(path).splitlines() if l.strip()][-n:]


def same_file(a, b):
    return subprocess.run(["cmp", "-s", a, b]).returncode == 0


def remove(*paths):
    for p in paths:
        for suffix in ("", ".dcmap"):
            try:
                os.remove(p + suffix)
            except OSError:
                pass


# ---------------------------------------------------------------------------------------------- HTTPS API

class Api:
    """One kept-alive HTTPS connection to the DP, pinned to its certificate's SHA-256."""

    def __init__(self, host, port, fingerprint):
        self.host, self.port, self.fingerprint = host, port, fingerprint
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self.context.check_hostname = False
        self.context.verify_mode = ssl.CERT_NONE  # pinned below instead: the DP's certificate is self-signed
        self.conn = None

    def connect(self):
        self.close()
        self.conn = http.client.HTTPSConnection(self.host, self.port, context=self.context, timeout=120)
        self.conn.connect()
        seen = hashlib.sha256(self.conn.sock.getpeercert(binary_form=True)).hexdigest()
        if seen != self.fingerprint:
            raise RuntimeError("the server's certificate is %s, not the %s it printed" % (seen, self.fingerprint))

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def call(self, method, path, body=None, token=None):
        try:
            return self._call(method, path, body, token)
        except (ssl.SSLEOFError, ConnectionError, http.client.RemoteDisconnected) as e:
            # The server closed the idle kept-alive connection before it read this request: send it again on a new one.
            log("    (connection closed by the server: %s; reconnecting)" % e)
            self.close()
            return self._call(method, path, body, token)

    def _call(self, method, path, body, token):
        if self.conn is None:
            self.connect()
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + token
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        raw = response.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        return response.status, parsed


# ---------------------------------------------------------------------------------------------- the bench

class Bench:
    def __init__(self):
        self.dll = env["DPB_DLL"]
        self.size = int(env["DPB_SIZE"])
        self.clients = [int(x) for x in env["DPB_CLIENTS"].split(",")]
        self.repeat = int(env["DPB_REPEAT"])
        self.requests = int(env["DPB_REQUESTS"])
        self.tls_requests = int(env["DPB_TLS_REQUESTS"])
        self.unicast_runs = int(env["DPB_UNICAST_RUNS"])
        self.imports = int(env["DPB_IMPORTS"])
        self.group, self.port = env["DPB_GROUP"], int(env["DPB_PORT"])
        self.dp_groups = env["DPB_DP_GROUPS"].split("-")
        self.dp_ports = [int(x) for x in env["DPB_DP_PORTS"].split("-")]
        self.timeout = int(env["DPB_TIMEOUT"])
        self.results = env.get("DPB_RESULTS") or None
        self.keep = env.get("DPB_KEEP") == "1"
        self.parts = env.get("DPB_PARTS", "a,b,c,d").split(",")
        self.version = env.get("DPB_VERSION", "unknown")
        wd = env.get("DPB_WORKDIR")
        if wd:
            os.makedirs(wd, exist_ok=True)
        self.wd = tempfile.mkdtemp(prefix="dp-bench.", dir=wd or None)
        self.run_id = time.strftime("%Y-%m-%dT%H:%M:%S")
        self.records = []
        self.server = None
        self.api = None
        self.image = os.path.join(self.wd, "image.raw")

    # -- bookkeeping

    def record(self, kind, **fields):
        r = {"bench": "dp-bench", "run": self.run_id, "kind": kind, "tool_version": self.version,
             "size_bytes": self.size, "cpus": os.cpu_count(), "loadavg": os.getloadavg()[0]}
        r.update(fields)
        self.records.append(r)
        if self.results:
            with open(self.results, "a") as f:
                f.write(json.dumps(r, separators=(",", ":")) + "\n")
        return r

    def dotnet(self, *args):
        return ["dotnet", self.dll] + list(args)

    # -- set-up

    def make_image(self, path, size, seed):
        """Random bytes, with 1/16 of zeros in the middle (a raw image's empty space; never sent by either path)."""
        zero_start, zero_len = size // 2, size // 16
        chunk = 4 << 20
        with open(path, "wb") as f:
            written = 0
            while written < size:
                n = min(chunk, size - written)
                if zero_start <= written < zero_start + zero_len:
                    n = min(n, zero_start + zero_len - written)
                    f.write(bytes(n))
                else:
                    if written < zero_start:
                        n = min(n, zero_start - written)
                    f.write(os.urandom(n))
                written += n

    def start_server(self):
        out = os.path.join(self.wd, "server.log")
        self.server = launch(self.dotnet("server", "--listen", "127.0.0.1:0", "--data-dir", os.path.join(self.wd, "data"),
                                         "--admin-token", ADMIN, "--client-token", CLIENT), out)
        deadline = time.monotonic() + 60
        url = fingerprint = None
        while time.monotonic() < deadline and (url is None or fingerprint is None):
            if self.server.poll() is not None:
                raise RuntimeError("the server exited (%s): %s" % (self.server.returncode, " | ".join(tail(out))))
            text = read(out)
            m = re.search(r"listening on https://(127\.0\.0\.1):(\d+)", text)
            url = m and (m.group(1), int(m.group(2)))
            m = re.search(r"certificate SHA-256[^:]*: ([0-9a-f]{64})", text)
            fingerprint = m and m.group(1)
            time.sleep(0.1)
        if url is None or fingerprint is None:
            raise RuntimeError("the server did not print its URL and fingerprint within 60 s")
        self.url = "https://%s:%d" % url
        self.fingerprint = fingerprint
        self.api = Api(url[0], url[1], fingerprint)
        log("server %s (certificate %s...)" % (self.url, fingerprint[:16]))

        status, settings = self.api.call("GET", "/api/v1/dp/multicast", token=ADMIN)
        if status != 200:
            raise RuntimeError("GET /api/v1/dp/multicast: %s %s" % (status, settings))
        settings.update({
            "enabled": True, "interface": "127.0.0.1",
            "addressRangeStart": self.dp_groups[0], "addressRangeEnd": self.dp_groups[1],
            "portRangeStart": self.dp_ports[0], "portRangeEnd": self.dp_ports[1],
            "maximumClients": 10000, "scheduledMulticast": False, "clientTransferRate": None,
            "slowClientPolicy": "None",
            # so each run of (b) gets a session of its own: the last one ends a second after its clients are done
            "sessionIdleTimeout": "00:00:01",
        })
        status, body = self.api.call("PUT", "/api/v1/dp/multicast", settings, token=ADMIN)
        if status not in (200, 204):
            raise RuntimeError("PUT /api/v1/dp/multicast: %s %s" % (status, body))

    def stop_server(self):
        if self.server is not None and self.server.poll() is None:
            self.server.send_signal(signal.SIGINT)
            try:
                self.server.wait(20)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()

    # -- (d) import

    def add_package(self, package, path):
        t = time.monotonic()
        status, body = self.api.call("POST", "/api/v1/dp/packages", {"packageId": package, "version": 1, "path": path}, token=ADMIN)
        elapsed = time.monotonic() - t
        if status != 201:
            raise RuntimeError("importing %s: %s %s" % (path, status, body))
        return elapsed

    def bench_import(self):
        measured = "d" in self.parts
        log("(d) importing the image%s" % (" and %d more distinct files of %d bytes" % (max(0, self.imports - 1), self.size) if measured else ""))
        elapsed = self.add_package(PACKAGE, self.image)
        if measured and self.imports > 0:
            self.record("import", package=PACKAGE, seconds=round(elapsed, 3), MBps=round(self.size / elapsed / 1e6, 1))
        if measured and self.imports > 1:
            copy = os.path.join(self.wd, "import.raw")
            shutil.copyfile(self.image, copy)
            fd = os.open(copy, os.O_WRONLY)
            try:
                for k in range(1, self.imports):
                    os.pwrite(fd, os.urandom(16), 0)  # another SHA-256: a full import, not the library's dedup
                    os.fsync(fd)
                    elapsed = self.add_package("DCB0IMP%d" % k, copy)
                    self.record("import", package="DCB0IMP%d" % k, seconds=round(elapsed, 3), MBps=round(self.size / elapsed / 1e6, 1))
            finally:
                os.close(fd)
                remove(copy)
        if measured:
            log("    import MB/s: %s" % [r["MBps"] for r in self.records if r["kind"] == "import"])

    # -- (a) session-request latency

    def bench_latency(self):
        small = os.path.join(self.wd, "latency.raw")
        self.make_image(small, 4 << 20, 0)
        self.add_package(LATENCY_PACKAGE, small)
        remove(small)
        log("(a) session requests: %d warm-up, %d new clients, %d retries, %d on new TLS connections"
            % (WARMUP, self.requests, self.requests, self.tls_requests))

        def ask(api, client):
            t = time.perf_counter()
            status, body = api.call("POST", "/api/v1/dp/sessions", {"clientId": client, "packageId": LATENCY_PACKAGE, "version": 1})
            ms = (time.perf_counter() - t) * 1000
            if status != 200 or not isinstance(body, dict) or body.get("decision") != "join":
                raise RuntimeError("session request for %s: %s %s" % (client, status, body))
            return ms, body["session"]["receiverId"]

        self.api.connect()
        for i in range(WARMUP):
            ask(self.api, "warm-%d" % i)
        new, ids = [], {}
        for i in range(self.requests):
            ms, rid = ask(self.api, "lat-%d" % i)
            new.append(ms)
            ids[i] = rid
        retry = []
        for i in range(self.requests):
            ms, rid = ask(self.api, "lat-%d" % i)
            retry.append(ms)
            if rid != ids[i]:
                raise RuntimeError("a retry got another receiver id")
        fresh = []
        for i in range(self.tls_requests):
            api = Api(self.api.host, self.api.port, self.fingerprint)
            t = time.perf_counter()
            api.connect()
            connect_ms = (time.perf_counter() - t) * 1000
            ms, _ = ask(api, "tls-%d" % i)
            fresh.append(connect_ms + ms)
            api.close()
        for name, values in (("new client", new), ("retry", retry), ("new client, new TLS connection", fresh)):
            if values:
                # p50 of the first and of the last quarter: does a request cost more as the session holds more clients?
                quarter = max(1, len(values) // 4)
                r = self.record("latency", case=name, requests=len(values), p50_ms=round(pct(values, 50), 2),
                                p95_ms=round(pct(values, 95), 2), p99_ms=round(pct(values, 99), 2), max_ms=round(max(values), 2),
                                p50_first_quarter_ms=round(pct(values[:quarter], 50), 2), p50_last_quarter_ms=round(pct(values[-quarter:], 50), 2))
                log("    %s: p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.2f ms; p50 of the first / last quarter %.2f / %.2f ms" % (
                    name, r["p50_ms"], r["p95_ms"], r["p99_ms"], r["max_ms"], r["p50_first_quarter_ms"], r["p50_last_quarter_ms"]))

    # -- (b) multicast through the DP vs plain send/receive

    def wait_for_no_session(self, package):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status, sessions = self.api.call("GET", "/api/v1/dp/sessions", token=ADMIN)
            if status == 200 and not any(s.get("packageId") == package and str(s.get("state")) in ("Waiting", "Running", "0", "1") for s in sessions):
                return
            time.sleep(0.2)
        raise RuntimeError("the previous session of %s did not end within 60 s" % package)

    def outputs(self, tag, n):
        return [os.path.join(self.wd, "%s-%d.img" % (tag, i)) for i in range(1, n + 1)]

    def check(self, outs, codes, logs, parse):
        per = []
        for out, code, lp in zip(outs, codes, logs):
            x = {"exit": code, "byte_equal": code == 0 and same_file(out, self.image)}
            x.update(parse(read(lp)))
            if code != 0 or not x["byte_equal"]:
                x["log_tail"] = tail(lp)
            per.append(x)
        remove(*outs)
        return per

    def run_dp(self, n, rep, unicast=False):
        self.wait_for_no_session(PACKAGE)
        tag = "uni-r%d" % rep if unicast else "dp-n%d-r%d" % (n, rep)
        outs = self.outputs(tag, n)
        logs = [o[:-4] + ".log" for o in outs]
        t0 = time.monotonic()
        procs = [launch(self.dotnet("download", "--server", self.url, "--fingerprint", self.fingerprint, "--package", PACKAGE,
                                    "--output", o, "--client-id", os.path.basename(o)[:-4], "--interface", "127.0.0.1",
                                    *(["--unicast"] if unicast else [])), lp)
                 for o, lp in zip(outs, logs)]
        ends, codes = wait_all(procs, self.timeout)
        wall = max(ends) - t0

        def parse(text):
            m = re.search(r"Downloaded and verified .* by (\w+) in ([0-9.]+) s \((.+?) by multicast, (.+?) by unicast\)", text)
            return {"method": m.group(1), "own_s": float(m.group(2)), "multicast": m.group(3), "unicast": m.group(4)} if m else {}

        per = self.check(outs, codes, logs, parse)
        ok = all(x["exit"] == 0 and x["byte_equal"] for x in per)
        kind = "unicast" if unicast else "dp"
        r = self.record(kind, clients=n, repetition=rep, ok=ok, wall_s=round(wall, 3), MBps=round(self.size / wall / 1e6, 1),
                        all_multicast=all(x.get("method") == "multicast" for x in per), per_client=per)
        log("    %s N=%d rep %d: %s, %.2f s (%.1f MB/s)%s" % (kind, n, rep, "ok" if ok else "FAILED", wall, r["MBps"],
                                                          "" if unicast or r["all_multicast"] else ", not all by multicast"))
        return r

    def run_plain(self, n, rep):
        tag = "plain-n%d-r%d" % (n, rep)
        snd_log = os.path.join(self.wd, tag + "-send.log")
        sender = launch(self.dotnet("send", self.image, "--interface", "127.0.0.1", "--group", self.group, "--port", str(self.port),
                                    "--min-receivers", str(n), "--max-wait", "60"), snd_log)
        deadline = time.monotonic() + 60
        while not re.search(r"^Waiting for", read(snd_log), re.M):
            if sender.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the plain sender did not start waiting: %s" % " | ".join(tail(snd_log)))
            time.sleep(0.02)
        outs = self.outputs(tag, n)
        logs = [o[:-4] + ".log" for o in outs]
        t0 = time.monotonic()
        procs = [launch(self.dotnet("receive", "--output", o, "--interface", "127.0.0.1", "--group", self.group, "--port", str(self.port),
                                    "--timeout", "30"), lp)
                 for o, lp in zip(outs, logs)]
        ends, codes = wait_all(procs, self.timeout)
        wall = max(ends) - t0
        (_,), (snd_code,) = wait_all([sender], 30)

        def parse(text):
            m = re.search(r"Received and verified .* in ([0-9.,]+) s", text)
            return {"own_s": float(m.group(1).replace(",", "."))} if m else {}

        per = self.check(outs, codes, logs, parse)
        ok = snd_code == 0 and all(x["exit"] == 0 and x["byte_equal"] for x in per)
        r = self.record("plain", clients=n, repetition=rep, ok=ok, wall_s=round(wall, 3), MBps=round(self.size / wall / 1e6, 1),
                        sender_exit=snd_code, per_client=per, **({} if snd_code == 0 else {"sender_log_tail": tail(snd_log)}))
        log("    plain N=%d rep %d: %s, %.2f s (%.1f MB/s)" % (n, rep, "ok" if ok else "FAILED", wall, r["MBps"]))
        return r

    def bench_transfers(self):
        log("(b) %s clients by multicast through the DP and by plain send/receive, %d repetition(s)" % (self.clients, self.repeat))
        for rep in range(1, self.repeat + 1):
            for n in self.clients:
                # Alternate which goes first, so a slow drift of the shared machine hits both alike.
                if rep % 2 == 1:
                    self.run_dp(n, rep)
                    self.run_plain(n, rep)
                else:
                    self.run_plain(n, rep)
                    self.run_dp(n, rep)

    def bench_unicast(self):
        log("(c) unicast fallback, %d run(s)" % self.unicast_runs)
        for rep in range(1, self.unicast_runs + 1):
            self.run_dp(1, rep, unicast=True)

    def run(self):
        log("work directory %s; image %d bytes (1/16 zeros)" % (self.wd, self.size))
        self.make_image(self.image, self.size, 1)
        self.start_server()
        self.bench_import()
        if "a" in self.parts:
            self.bench_latency()
        if "b" in self.parts:
            self.bench_transfers()
        if "c" in self.parts:
            self.bench_unicast()

    def cleanup(self):
        if self.api is not None:
            self.api.close()
        for p in children:
            if p is not self.server and p.poll() is None:
                p.kill()
                p.wait()
        self.stop_server()
        if self.keep:
            for root, _, files in os.walk(self.wd):
                for f in files:
                    if f.endswith((".img", ".raw", ".dcmap")) or "/data/content" in root:
                        remove(os.path.join(root, f))
            log("logs kept in %s" % self.wd)
        else:
            shutil.rmtree(self.wd, ignore_errors=True)


# ---------------------------------------------------------------------------------------------- the table

def summarize(records):
    if not records:
        return "no results"
    first = records[0]
    lines = []
    med = statistics.median

    def fmt(x, d=1):
        return ("{:,.%df}" % d).format(x)

    loads = [r["loadavg"] for r in records]
    lines.append("dp-bench %s (%s), %.0f MiB image, %s CPUs, 1-minute load average %.1f-%.1f during the run" % (
        first["run"], first["tool_version"], first["size_bytes"] / 2**20, first["cpus"], min(loads), max(loads)))
    lines.append("")
    lines.append("| measure | p50 | p95 | p99 | max | requests |")
    lines.append("|---|---:|---:|---:|---:|---:|")
    for r in (r for r in records if r["kind"] == "latency"):
        trend = " (p50 first/last quarter %s/%s ms)" % (fmt(r["p50_first_quarter_ms"], 2), fmt(r["p50_last_quarter_ms"], 2)) if "p50_first_quarter_ms" in r else ""
        lines.append("| session request, %s%s | %s ms | %s ms | %s ms | %s ms | %d |" % (
            r["case"], trend, fmt(r["p50_ms"], 2), fmt(r["p95_ms"], 2), fmt(r["p99_ms"], 2), fmt(r["max_ms"], 2), r["requests"]))
    lines.append("")
    lines.append("| clients | DP multicast: time (MB/s) | plain send/receive: time (MB/s) | DP ÷ plain (time) | runs ok (DP / plain) | DP runs all by multicast |")
    lines.append("|---:|---:|---:|---:|---|---|")
    for n in sorted({r["clients"] for r in records if r["kind"] == "dp"}):
        dp = [r for r in records if r["kind"] == "dp" and r["clients"] == n]
        plain = [r for r in records if r["kind"] == "plain" and r["clients"] == n]
        dp_ok = [r for r in dp if r["ok"]]
        plain_ok = [r for r in plain if r["ok"]]
        cell = lambda rs: "%s s (%s)" % (fmt(med([r["wall_s"] for r in rs]), 2), fmt(med([r["MBps"] for r in rs]))) if rs else "-"
        # the ratio of medians, and the ratios within each repetition (side by side)
        pairs = [(d["wall_s"], p["wall_s"]) for d in dp_ok for p in plain_ok if d["repetition"] == p["repetition"]]
        ratio = "%.2f× (%s)" % (med([a / b for a, b in pairs]), ", ".join("%.2f" % (a / b) for a, b in pairs)) if pairs else "-"
        lines.append("| %d | %s | %s | %s | %d/%d / %d/%d | %d/%d |" % (
            n, cell(dp_ok), cell(plain_ok), ratio, len(dp_ok), len(dp), len(plain_ok), len(plain),
            sum(1 for r in dp if r.get("all_multicast")), len(dp)))
    lines.append("")
    uni = [r for r in records if r["kind"] == "unicast" and r["ok"]]
    imp = [r for r in records if r["kind"] == "import"]
    lines.append("| measure | median | runs |")
    lines.append("|---|---:|---|")
    if uni:
        own = [r["per_client"][0]["own_s"] for r in uni if "own_s" in r["per_client"][0]]
        lines.append("| unicast fallback download (`--unicast`), wall clock | %s MB/s | %s |" % (
            fmt(med([r["MBps"] for r in uni])), ", ".join(fmt(r["MBps"]) for r in uni)))
        if own:
            lines.append("| unicast fallback download, the client's own time | %s MB/s | %s |" % (
                fmt(med([first["size_bytes"] / s / 1e6 for s in own])), ", ".join(fmt(first["size_bytes"] / s / 1e6) for s in own)))
    if imp:
        lines.append("| content import via `POST /api/v1/dp/packages` | %s MB/s | %s |" % (
            fmt(med([r["MBps"] for r in imp])), ", ".join(fmt(r["MBps"]) for r in imp)))
    return "\n".join(lines)


def main():
    summary = env.get("DPB_SUMMARY_ONLY")
    if summary:
        with open(summary) as f:
            records = [json.loads(l) for l in f if l.strip()]
        last = records[-1]["run"] if records else None
        print(summarize([r for r in records if r["run"] == last]))
        return 0

    bench = Bench()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        bench.run()
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    except RuntimeError as e:
        log("error: %s" % e)
        return 1
    finally:
        bench.cleanup()
    log("done")
    print(summarize(bench.records))
    ok = all(r.get("ok", True) for r in bench.records)
    return 0 if ok else 3


if __name__ == "__main__":
    sys.exit(main())
