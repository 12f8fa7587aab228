#!/usr/bin/env python3
"""Application logs for the JSON/logfmt benchmark: the same records as JSON lines and as
logfmt, plus their ground truth (lines per level; lines and latency sum per service).

    gen_applogs.py OUT_DIR [--lines 1500000] [--seed 17]

Writes OUT_DIR/app.jsonl, OUT_DIR/app.logfmt and OUT_DIR/TRUTH.json. Each record has
`ts`, `level`, `service`, `msg`, `latency_ms`, a nested `user` object (`id`, `plan`) and
`path` (about 190 bytes a JSON line); some messages carry escapes (quotes, a tab, a
non-ASCII letter) so that the parsers' escape paths are in the measurement too.
"""
import argparse
import json
import os
import random

LEVELS = ["info"] * 14 + ["debug"] * 4 + ["warn"] * 2 + ["error"]
SERVICES = ["checkout", "cart", "search", "auth", "billing", "inventory", "gateway",
            "recommendations"]
PLANS = ["free", "pro", "team", "enterprise"]
ROUTES = ["/api/v1/cart/{}/items", "/api/v1/search?q=item{}", "/login", "/api/v2/orders/{}",
          "/static/app.{}.js", "/api/v1/users/{}/profile", "/healthz"]
MSGS = ["request handled in {} ms", "cache miss for key user:{}", "upstream responded {}",
        "retrying \"payment\" call, attempt {}", "slow query\ttook {} ms", "user {} logged in",
        "café order {} placed"]


def logfmt_value(v):
    if isinstance(v, str):
        if v == "" or any(c in v for c in ' ="\\\t\n'):
            return json.dumps(v, ensure_ascii=False)
        return v
    return str(v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--lines", type=int, default=1_500_000)
    ap.add_argument("--seed", type=int, default=17)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    os.makedirs(a.out, exist_ok=True)
    levels, services = {}, {}
    base = 1_764_900_000
    with open(os.path.join(a.out, "app.jsonl"), "w", encoding="utf-8") as fj, \
            open(os.path.join(a.out, "app.logfmt"), "w", encoding="utf-8") as fl:
        for i in range(a.lines):
            t = base + i // 50
            ms = rnd.randrange(1000)
            ts = "2025-12-05T%02d:%02d:%02d.%03dZ" % ((t // 3600) % 24, (t // 60) % 60, t % 60, ms)
            level = rnd.choice(LEVELS)
            service = rnd.choice(SERVICES)
            uid = rnd.randrange(1, 200_000)
            latency = round(rnd.lognormvariate(3, 1), 3)
            rec = {
                "ts": ts,
                "level": level,
                "service": service,
                "msg": rnd.choice(MSGS).format(rnd.randrange(10_000)),
                "latency_ms": latency,
                "user": {"id": uid, "plan": rnd.choice(PLANS)},
                "path": rnd.choice(ROUTES).format(uid),
            }
            fj.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")))
            fj.write("\n")
            flat = dict(rec)
            user = flat.pop("user")
            path = flat.pop("path")
            flat["user.id"] = user["id"]
            flat["user.plan"] = user["plan"]
            flat["path"] = path
            fl.write(" ".join(f"{k}={logfmt_value(v)}" for k, v in flat.items()))
            fl.write("\n")
            levels[level] = levels.get(level, 0) + 1
            c, s = services.get(service, (0, 0.0))
            services[service] = (c + 1, s + latency)
    truth = {
        "lines": a.lines,
        "count_by_level": levels,
        "count_sum_by_service": {k: [c, s] for k, (c, s) in services.items()},
    }
    with open(os.path.join(a.out, "TRUTH.json"), "w") as f:
        json.dump(truth, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
