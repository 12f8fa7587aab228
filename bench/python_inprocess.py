"""The seed's pipeline in Python against the same pipeline through the package, timed
inside one process (CPU seconds, best of 5), so that the interpreter's start is counted
for neither. Usage: python_inprocess.py FILE (bench/python.sh runs it)."""
import re, sys, time, logrill
f = sys.argv[1]
def seed():
    pat = re.compile("robots.txt")
    lines = (l for l in open(f, errors="surrogateescape"))
    hits = (l for l in lines if pat.search(l))
    col = (l.rsplit(None, 1)[1] for l in hits)
    return sum(int(x) for x in col if x != "-" and x.isdigit())
def pkg():
    return logrill.files(f).lines().grep("robots.txt").field(-1).sum()
for name, fn in (("python", seed), ("logrill", pkg)):
    best = 1e9
    for _ in range(5):
        t = time.process_time(); v = fn(); best = min(best, time.process_time() - t)
    print(name, v, f"{best:.4f}")
