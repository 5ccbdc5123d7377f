#!/usr/bin/env python3
"""page-cache-bench.py: what writing an image through the page cache costs, with and without drop-behind.

Writes SIZE MiB of random data to a new file in DIR, 1 MiB at a time, with an fdatasync once a second (as a receiver's
checkpoint does). In 'drop' mode each flush is followed by posix_fadvise(POSIX_FADV_DONTNEED) over what the previous
flushes wrote (the receiver's drop-behind); in 'keep' mode the pages stay cached. Prints wall time, MB/s, the process's
CPU seconds per GB and the whole machine's busy CPU seconds per GB (which includes the kernel's writeback threads).
The file is deleted after each run; wait a few seconds between runs (--pause) so freed pages do not carry over.

Usage: lab/page-cache-bench.py [--size MiB] [--dir DIR] [--pause S] MODE [MODE ...]    (MODE: keep | drop)
Example: lab/page-cache-bench.py --size 4096 --dir /var/tmp keep drop keep drop
"""
import argparse
import os
import time


def busy_seconds():
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq = fields[:7]
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def run(path, total, drop, chunk=1 << 20):
    data = os.urandom(chunk)
    fd = os.open(path, os.O_CREAT | os.O_TRUNC | os.O_RDWR, 0o600)
    try:
        os.posix_fallocate(fd, 0, total)
        busy0, start, cpu0 = busy_seconds(), time.monotonic(), os.times()
        offset = dropped = 0
        last_flush = start
        while offset < total:
            os.pwrite(fd, data, offset)
            offset += chunk
            now = time.monotonic()
            if now - last_flush >= 1:
                os.fdatasync(fd)
                if drop:
                    os.posix_fadvise(fd, dropped, offset - dropped, os.POSIX_FADV_DONTNEED)
                    dropped = offset
                last_flush = now
        os.fdatasync(fd)
        wall, cpu1, busy = time.monotonic() - start, os.times(), busy_seconds() - busy0
    finally:
        os.close(fd)
        os.unlink(path)
    gb = total / 1e9
    process = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / gb
    print(f"{'drop' if drop else 'keep'}: {wall:6.2f} s, {total / wall / 1e6:5.0f} MB/s, "
          f"process CPU {process:.2f} s/GB, machine busy {busy / gb:.2f} s/GB", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=2048, help="MiB per run (default 2048)")
    parser.add_argument("--dir", default="/var/tmp", help="directory on the disk to measure (default /var/tmp)")
    parser.add_argument("--pause", type=float, default=15, help="seconds between runs (default 15)")
    parser.add_argument("modes", nargs="+", choices=["keep", "drop"])
    args = parser.parse_args()
    path = os.path.join(args.dir, f"page-cache-bench.{os.getpid()}")
    for i, mode in enumerate(args.modes):
        if i:
            time.sleep(args.pause)
        run(path, args.size << 20, mode == "drop")


if __name__ == "__main__":
    main()
