#!/usr/bin/env python3
"""Check that the workspace's `rust-version` is the true minimum for its locked dependencies.

`cargo +VERSION check` needs a second toolchain and `-Zmsrv-policy` is not stable, so this
reads what each locked package declares instead: `cargo metadata --locked --all-features`
lists the packages a build with every feature resolves to (all platforms, dev-dependencies
included), each with its `rust-version`. It fails when one of them needs a newer Rust than
the workspace says (the README would then promise a toolchain that cannot build the lock),
and notes when the workspace asks for more than any of them needs. Uses of newer standard-library API in logrill's own code are caught by clippy's
`incompatible_msrv` lint, which reads the same `rust-version`.

Usage: scripts/check-msrv.py   (from anywhere in the repository; exit 1 on a mismatch)
"""
import json
import subprocess
import sys


def version(text):
    """`1.88` or `1.88.0` as a comparable tuple (missing parts are 0)."""
    parts = [int(p) for p in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def main():
    meta = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--locked", "--all-features"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    members = set(meta["workspace_members"])
    resolved = {node["id"] for node in meta["resolve"]["nodes"]}
    ours = {p["rust_version"] for p in meta["packages"] if p["id"] in members}
    if len(ours) != 1 or None in ours:
        print(f"check-msrv: workspace members declare rust-version {sorted(map(str, ours))}; "
              "expected one (rust-version.workspace = true)")
        return 1
    declared = ours.pop()
    deps = [
        (version(p["rust_version"]), p["rust_version"], p["name"], p["version"])
        for p in meta["packages"]
        if p["id"] in resolved and p["id"] not in members and p.get("rust_version")
    ]
    newest = max(v for v, *_ in deps)
    too_new = sorted(d for d in deps if d[0] > version(declared))
    if too_new:
        print(f"check-msrv: rust-version is {declared}, but locked dependencies need more:")
        for _, need, name, ver in too_new:
            print(f"  {name} {ver} needs Rust {need}")
        return 1
    if newest < version(declared):
        # Not an error: logrill's own code may need more than its dependencies (clippy's
        # incompatible_msrv says where).
        print(f"check-msrv: note: rust-version is {declared}; no locked dependency needs "
              f"more than {'.'.join(map(str, newest))}")
        return 0
    need = [f"{name} {ver}" for v, _, name, ver in deps if v == newest]
    print(f"check-msrv: rust-version {declared} = the newest a locked dependency needs "
          f"({', '.join(need)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
