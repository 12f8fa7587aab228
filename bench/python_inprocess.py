"""The seed's pipeline in Python against the same pipeline through the package, timed
inside one process (CPU seconds and wall, best of 5), so that the interpreter's start is
counted for neither; and the ratio. Usage: python_inprocess.py FILE (bench/python.sh runs
it). The package runs with its defaults: every core, a big file read in pieces."""
import os, re, sys, time, logrill
f = sys.argv[1]
top, name = os.path.dirname(f) or ".", os.path.basename(f)
def seed():
    pat = re.compile("robots.txt")
    lines = (l for l in open(f, errors="surrogateescape"))
    hits = (l for l in lines if pat.search(l))
    col = (l.rsplit(None, 1)[1] for l in hits)
    return sum(int(x) for x in col if x != "-" and x.isdigit())
def pkg():
    return (logrill.find(top).glob(name).open().lines().grep("robots.txt").field(-1).sum())
best = {}
for label, fn in (("python", seed), ("logrill", pkg)):
    cpu = wall = 1e9
    for _ in range(5):
        c, t = time.process_time(), time.perf_counter()
        v = fn()
        cpu, wall = min(cpu, time.process_time() - c), min(wall, time.perf_counter() - t)
    best[label] = (cpu, wall)
    print(label, v, f"CPU {cpu:.4f} s, wall {wall:.4f} s")
(pc, pw), (lc, lw) = best["python"], best["logrill"]
print(f"in one process: logrill {pw / lw:.1f}x faster (wall), {pc / lc:.1f}x less CPU "
      f"(target >= 10x)")
