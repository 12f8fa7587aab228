#!/usr/bin/env bash
# Browser test of `logrill report`, and the README's pictures.
#
# 1. Makes the report of a sample log (examples/real-logs/elastic-examples/apache_logs,
#    combined format) with `logrill report`.
# 2. Renders it in headless Chromium (Debian's `chromium`, installed with apt-get if
#    missing): a screenshot (docs/img/report.png) and the DOM after load.
# 3. Checks the DOM: every section, chart (SVG with role="img") and table is there, and
#    the numbers equal the command line's aggregates.
# 4. Checks that the page made no network request: Chromium's net log has no request
#    initiated by the page (loaded from file://), and when the page is served from a
#    loopback HTTP server, that server sees exactly one request (the page). A page that
#    does make a request is run through the same checks first, to show they catch one.
# 5. Runs a terminal chart (`logrill --chart …`) in tmux, captures the screen, and renders
#    the captured text to docs/img/chart.png (Chromium again, printing a <pre>).
#
#
# (Both come from the logrill binary: `logrill report` and `logrill --chart`.)
#
# Usage: scripts/report-browser-test.sh        (from anywhere; needs cargo, python3, tmux)
# Environment: OUT (work directory, default target/report-browser-test),
#              LOGRILL (the binary, default: built here), CARGO_FLAGS (for those builds,
#              e.g. --no-default-features), KEEP_IMAGES=0 (do not write docs/img).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${OUT:-$ROOT/target/report-browser-test}
IMG=$ROOT/docs/img
LOG=examples/real-logs/elastic-examples/apache_logs
FORMAT=combined
mkdir -p "$OUT"
start=$(date +%s)
fail() { echo "report-browser-test: FAIL: $*" >&2; exit 1; }
note() { echo "report-browser-test: $*"; }

# --- tools ---------------------------------------------------------------------------
need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v tmux >/dev/null 2>&1 || need_apt+=(tmux)
[[ -f /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf ]] || need_apt+=(fonts-dejavu-core)
if ((${#need_apt[@]})); then
    note "installing ${need_apt[*]} (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
CHROMIUM=$(command -v chromium)
note "$("$CHROMIUM" --version 2>/dev/null | head -1)"

if [[ -z "${LOGRILL:-}" ]]; then
    cargo build -q -p logrill-cli ${CARGO_FLAGS:-} --bin logrill
    LOGRILL=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug/logrill
fi
[[ -x "$LOGRILL" ]] || fail "no logrill binary at $LOGRILL"
REPORT=("$LOGRILL" report)
CHART=("$LOGRILL" -q --chart)

chrome() {
    # A fresh profile each time, and none of Chromium's own background traffic.
    local profile
    profile=$(mktemp -d "$OUT/profile.XXXXXX")
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-default-apps --hide-scrollbars --user-data-dir="$profile" "$@" 2>>"$OUT/chromium.log"
    rm -rf "$profile"
}

# Requests a page made, from a Chromium net log: every URL request whose initiator is an
# origin (Chromium's own requests have none), one URL a line.
page_requests() {
    python3 - "$1" <<'EOF'
import json, sys
log = json.load(open(sys.argv[1]))
types = {v: k for k, v in log["constants"]["logEventTypes"].items()}
urls = {}
for e in log["events"]:
    p = e.get("params", {})
    if types.get(e["type"]) == "URL_REQUEST_START_JOB" and "url" in p:
        if p.get("initiator", "not an origin") != "not an origin":
            urls[p["url"]] = 1
for u in urls:
    print(u)
EOF
}

# Serve a directory on loopback, logging each request line; prints the port.
serve_dir() {
    python3 - "$1" "$2" <<'EOF' &
import http.server, socketserver, sys, functools
root, log = sys.argv[1], sys.argv[2]
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, fmt, *args):
        with open(log, "a") as f:
            f.write(self.requestline + "\n")
with socketserver.TCPServer(("127.0.0.1", 0), functools.partial(H, directory=root)) as s:
    print(s.server_address[1], flush=True)
    s.timeout = 1
    for _ in range(60):  # at most a minute
        s.handle_request()
EOF
}

# Load $1 (a file in $OUT) from file:// with a net log, and from a loopback server;
# prints the requests seen beyond the page itself.
requests_of() {
    local page=$1 name
    name=$(basename "$page" .html)
    rm -f "$OUT/$name.netlog.json" "$OUT/$name.served.log"
    chrome --log-net-log="$OUT/$name.netlog.json" --virtual-time-budget=3000 --dump-dom "file://$page" >/dev/null
    page_requests "$OUT/$name.netlog.json"
    local portfile="$OUT/$name.port"
    serve_dir "$(dirname "$page")" "$OUT/$name.served.log" >"$portfile"
    local server=$!
    for _ in $(seq 50); do [[ -s "$portfile" ]] && break; sleep 0.1; done
    local port
    port=$(head -1 "$portfile")
    chrome --virtual-time-budget=3000 --dump-dom "http://127.0.0.1:$port/$(basename "$page")" >/dev/null
    sleep 0.5
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    grep -v "^GET /$(basename "$page") " "$OUT/$name.served.log" || true
}

# --- the checks catch a page that makes requests --------------------------------------
cat >"$OUT/leaky.html" <<'EOF'
<!DOCTYPE html><html><head><title>leaky</title><link rel="stylesheet" href="style.css"></head>
<body><img src="http://127.0.0.1:9/pixel.png" alt=""></body></html>
EOF
leaks=$(requests_of "$OUT/leaky.html")
grep -q "127.0.0.1:9/pixel.png" <<<"$leaks" || fail "the net log check did not see a page's request: $leaks"
grep -q "style.css" <<<"$leaks" || fail "the served check did not see a page's request: $leaks"
note "the request checks catch a leaky page ($(wc -l <<<"$leaks") requests seen)"

# --- the report -------------------------------------------------------------------------
REPORT_HTML=$OUT/report.html
"${REPORT[@]}" "$LOG" --format "$FORMAT" -o "$REPORT_HTML" 2>"$OUT/report.stderr" \
    || fail "report failed: $(cat "$OUT/report.stderr")"
note "report: $(wc -c <"$REPORT_HTML") bytes"

extra=$(requests_of "$REPORT_HTML")
[[ -z "$extra" ]] || fail "the report made network requests: $extra"
note "no network request (net log from file://, and a loopback server saw only the page)"

chrome --virtual-time-budget=3000 --dump-dom "file://$REPORT_HTML" >"$OUT/dom.html"
python3 - "$OUT/dom.html" "$LOGRILL" "$LOG" "$FORMAT" <<'EOF' || fail "DOM checks"
import re, subprocess, sys, json
dom, logrill, log, fmt = sys.argv[1:5]
html = open(dom, encoding="utf-8").read()
problems = []
def need(cond, what):
    if not cond:
        problems.append(what)
for h in ["Summary", "Requests and bytes over time", "Status classes over time", "Status codes",
          "Top paths", "Top paths answered 404", "Top hosts", "Top referers", "Top user agents",
          "Response times"]:
    need(re.search(r"<h2[^>]*>" + re.escape(h) + "</h2>", html), f"heading {h!r}")
svgs = re.findall(r"<svg[^>]*>", html)
need(len(svgs) >= 2, f"2 charts (found {len(svgs)})")
need(all('role="img"' in s and "aria-labelledby" in s for s in svgs), "every chart has role=img and a label")
need(html.count("<rect") > 50, "bars in the charts")
tables = html.count("<table>")
need(tables >= 8, f"8 tables (found {tables})")
need(html.count("<caption") >= tables, "every table has a caption")
def cli(q):
    out = subprocess.run([logrill, "--json", "-q", f"parse {fmt} | {q}", log], capture_output=True, text=True, check=True).stdout
    return [json.loads(l) for l in out.splitlines()]
def group(n):
    return f"{n:,}"
requests = cli("count")[0]["count"]
need(f"<dd>{group(requests)}</dd>" in html, f"requests {group(requests)} in the summary")
hosts = cli("count_distinct host")[0]["count_distinct_host"]
need(f"<dd>{group(hosts)}</dd>" in html, f"hosts {group(hosts)} in the summary")
for row in cli("top 10 path"):
    need(f"<td class=\"n\">{group(row['count'])}</td>" in html, f"top path count {row['count']}")
for row in cli("count by status"):
    need(f"<th scope=\"row\">{row['status']}</th><td class=\"n\">{group(row['count'])}</td>" in html,
         f"status {row['status']}: {row['count']}")
data = re.search(r'<script type="application/json" id="logrill-data">(.*?)</script>', html, re.S)
need(data and json.loads(data.group(1))["summary"]["requests"] == requests, "the data block")
if problems:
    print("DOM check failed:", *problems, sep="\n  ", file=sys.stderr)
    sys.exit(1)
print(f"report-browser-test: DOM: {len(svgs)} charts, {tables} tables, numbers equal the CLI's ({requests} requests)")
EOF

# Screenshots: the top of the page for the README, the whole page for a look.
chrome --virtual-time-budget=3000 --window-size=1100,1500 --screenshot="$OUT/report.png" "file://$REPORT_HTML" >/dev/null
chrome --virtual-time-budget=3000 --window-size=1100,5600 --screenshot="$OUT/report-full.png" "file://$REPORT_HTML" >/dev/null
[[ -s "$OUT/report.png" && -s "$OUT/report-full.png" ]] || fail "no screenshot"

# --- a terminal chart, captured from tmux ---------------------------------------------------
COLS=100
SOCK=logrill-pictures-$$
Q1="parse $FORMAT | count by bucket(time, 2h) as time"
Q2="parse $FORMAT | top 8 path"
SHOWN=apache_logs
cat >"$OUT/chart.sh" <<EOF
export LANG=C.UTF-8 LC_ALL=C.UTF-8
printf "\\$ logrill -q --chart '%s' %s\\n" "$Q1" "$SHOWN"
$(printf '%q ' "${CHART[@]}") $(printf '%q' "$Q1") $(printf '%q' "$LOG")
printf "\\n\\$ logrill -q --chart '%s' %s\\n" "$Q2" "$SHOWN"
$(printf '%q ' "${CHART[@]}") $(printf '%q' "$Q2") $(printf '%q' "$LOG")
echo __done__
sleep 60
EOF
tmux -L "$SOCK" -u new-session -d -s chart -x "$COLS" -y 40 "bash $OUT/chart.sh"
for _ in $(seq 100); do
    tmux -L "$SOCK" capture-pane -p -t chart >"$OUT/chart.txt" 2>/dev/null || true
    grep -q __done__ "$OUT/chart.txt" && break
    sleep 0.2
done
tmux -L "$SOCK" kill-server 2>/dev/null || true
grep -q __done__ "$OUT/chart.txt" || fail "the chart did not finish: $(cat "$OUT/chart.txt")"
sed -i '/__done__/,$d' "$OUT/chart.txt"
grep -q "█" "$OUT/chart.txt" || fail "no bars in the terminal chart"
python3 -c 'import sys; sys.exit(max(len(l) for l in open(sys.argv[1], encoding="utf-8").read().splitlines()) > int(sys.argv[2]))' \
    "$OUT/chart.txt" $COLS || fail "a chart line is wider than the terminal"
lines=$(wc -l <"$OUT/chart.txt")
python3 - "$OUT/chart.txt" "$OUT/chart.html" <<'EOF'
import html, sys
text = open(sys.argv[1], encoding="utf-8").read().rstrip("\n")
open(sys.argv[2], "w", encoding="utf-8").write(
    "<!DOCTYPE html><meta charset=utf-8><style>html,body{margin:0;background:#1d1f21}"
    "pre{margin:0;padding:14px 16px;color:#d8d8d8;font:15px/1.2 'DejaVu Sans Mono',monospace}"
    "</style><pre>" + html.escape(text) + "</pre>")
EOF
width=$((COLS * 9 + 40))
height=$((lines * 18 + 30))
chrome --window-size=$width,$height --screenshot="$OUT/chart.png" "file://$OUT/chart.html" >/dev/null
[[ -s "$OUT/chart.png" ]] || fail "no chart screenshot"

if [[ "${KEEP_IMAGES:-1}" != 0 ]]; then
    mkdir -p "$IMG"
    cp "$OUT/report.png" "$IMG/report.png"
    cp "$OUT/chart.png" "$IMG/chart.png"
    note "wrote docs/img/report.png and docs/img/chart.png"
fi
note "PASS in $(($(date +%s) - start)) s (work files in $OUT)"
