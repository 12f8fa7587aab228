#!/usr/bin/env python3
"""An access log (common log format) with many distinct request paths, for the group-table
benchmark (`parse common | count by path`), and its ground truth.

    gen_paths.py OUT_FILE [--paths 5000000] [--lines 5500000] [--seed 7] [--short]

Every path from 0 to PATHS-1 appears at least once (the first PATHS lines), the remaining
lines repeat paths drawn at random; paths look like `/static/img/0001234/a1b2c3d4.jpg`
(about 35 bytes), or with --short like `/0a3f5c1` (8 bytes: short keys, which a group table
holds in its slots; distinct for up to 2^28 paths). Writes OUT_FILE and OUT_FILE.truth.json: lines, distinct paths, the sum
of the distinct paths' lengths (the key bytes a table must hold at the least), the count
of one sampled path, and the number of lines per status.
"""
import argparse
import json
import random

STATUSES = ["200"] * 17 + ["304", "404", "500"]
HOSTS = [f"10.{a}.{b}.{c}" for a in range(4) for b in range(16) for c in range(16)]


def long_path_of(i):
    return f"/static/img/{i:07d}/{(i * 2654435761) & 0xFFFFFFFF:08x}.jpg"


def short_path_of(i):
    # An odd multiplier is a bijection modulo 2^28: distinct paths, not in order.
    return f"/{(i * 2654435761) & 0xFFFFFFF:07x}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--paths", type=int, default=5_000_000)
    ap.add_argument("--lines", type=int, default=5_500_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--short", action="store_true")
    a = ap.parse_args()
    path_of = short_path_of if a.short else long_path_of
    rng = random.Random(a.seed)
    sample = a.paths // 3
    sample_count = 0
    statuses = {}
    key_bytes = 0
    with open(a.out, "w", buffering=1 << 20) as f:
        for n in range(a.lines):
            i = n if n < a.paths else rng.randrange(a.paths)
            p = path_of(i)
            if n < a.paths:
                key_bytes += len(p)
            if i == sample:
                sample_count += 1
            st = rng.choice(STATUSES)
            statuses[st] = statuses.get(st, 0) + 1
            host = HOSTS[n % len(HOSTS)]
            f.write(f'{host} - - [05/Dec/2026:06:{(n // 60000) % 60:02d}:{(n // 1000) % 60:02d} +0000] '
                    f'"GET {p} HTTP/1.1" {st} {rng.randrange(100, 90000)}\n')
    truth = {"lines": a.lines, "paths": a.paths, "key_bytes": key_bytes,
             "sample_path": path_of(sample), "sample_count": sample_count,
             "status": statuses}
    with open(a.out + ".truth.json", "w") as f:
        json.dump(truth, f, indent=1)


if __name__ == "__main__":
    main()
