#!/usr/bin/env python3
"""An access log (common log format) with many distinct request paths, for the group-table
benchmark (`parse common | count by path`), and its ground truth.

    gen_paths.py OUT_FILE [--paths 5000000] [--lines 5500000] [--seed 7]

Every path from 0 to PATHS-1 appears at least once (the first PATHS lines), the remaining
lines repeat paths drawn at random; paths look like `/static/img/0001234/a1b2c3d4.jpg`
(about 35 bytes). Writes OUT_FILE and OUT_FILE.truth.json: lines, distinct paths, the sum
of the distinct paths' lengths (the key bytes a table must hold at the least), the count
of one sampled path, and the number of lines per status.
"""
import argparse
import json
import random

STATUSES = ["200"] * 17 + ["304", "404", "500"]
HOSTS = [f"10.{a}.{b}.{c}" for a in range(4) for b in range(16) for c in range(16)]


def path_of(i):
    return f"/static/img/{i:07d}/{(i * 2654435761) & 0xFFFFFFFF:08x}.jpg"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--paths", type=int, default=5_000_000)
    ap.add_argument("--lines", type=int, default=5_500_000)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
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
