#!/usr/bin/env bash
# The browser test of the status page (issue 12): starts `slr serve` with the demo data, takes
# the partner persona's status page URL from what the demo prints at start-up, loads it in
# headless Chromium (Debian's package; installed here when missing), saves screenshots at
# 1280 px and 360 px wide (and dark) under target/browser/, and checks the DOM Chromium rendered: every
# offering has 90 daily bars, the page's sections are there and no other partner's tenant is;
# then reads the rendered colours over the DevTools protocol (colours.py): every pair of verdict
# colours differs perceptibly (CIEDE2000 ΔE ≥ 10) and every bar has 3:1 contrast against its
# card and the page, in the bars and the legend, light and dark (colours.py's own unit tests,
# test_colours.py, run first).
# Fails when Chromium cannot render the page. Usage: tests/browser/status-page.sh [path to slr]
set -euo pipefail
cd "$(dirname "$0")/../.."
TARGET="${CARGO_TARGET_DIR:-target}"
SLR="${1:-$TARGET/debug/slr}"
[ -x "$SLR" ] || cargo build -q -p slr
if ! command -v chromium >/dev/null; then
  echo "browser: installing chromium (Debian package)"
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
OUT="$TARGET/browser"
mkdir -p "$OUT"
DIR=$(mktemp -d)
PORT=18391
SLR_DATA_DIR="$DIR" SLR_BIND="127.0.0.1:$PORT" RUST_LOG=warn "$SLR" serve >"$DIR/serve.log" 2>&1 &
PID=$!
trap 'kill "$PID" 2>/dev/null || true; rm -rf "$DIR"' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
URL=$(awk '/alice@northwind.example/ {found=1} found && /status page:/ {print $3; exit}' "$DIR/serve.log")
[ -n "$URL" ] || { echo "browser: FAILED — the demo printed no status page URL for the partner" >&2; cat "$DIR/serve.log" >&2; exit 1; }
echo "browser: partner's status page ${URL%%\?*}?token=…"

chrome() { chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run "$@" 2>>"$DIR/chromium.log"; }
chrome --dump-dom "$URL" >"$OUT/status-page.dom.html"
chrome --window-size=1280,2600 --screenshot="$OUT/status-page-1280.png" "$URL" >/dev/null
chrome --window-size=360,4200 --screenshot="$OUT/status-page-360.png" "$URL" >/dev/null
chrome --force-dark-mode --window-size=1280,1400 --screenshot="$OUT/status-page-dark.png" "$URL" >/dev/null

python3 - "$OUT" <<'PY'
import sys
from html.parser import HTMLParser

out = sys.argv[1]

class Page(HTMLParser):
    """Counts the daily bars inside each offering and collects the text."""
    def __init__(self):
        super().__init__()
        self.offerings, self.current, self.text, self.depth = {}, None, [], 0
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "article" and "offering" in classes:
            self.current = a["data-offering-id"]
            self.offerings[self.current] = 0
        if tag == "li" and "day" in classes and self.current is not None:
            self.offerings[self.current] += 1
    def handle_data(self, data):
        self.text.append(data)

page = Page()
page.feed(open(f"{out}/status-page.dom.html", encoding="utf-8").read())
text = " ".join(page.text)
failures = []
if not page.offerings:
    failures.append("no offering rendered")
for offering, bars in page.offerings.items():
    if bars != 90:
        failures.append(f"offering {offering}: {bars} bars, not 90")
for heading in ("Service status", "Your offerings", "Active incidents", "Upcoming maintenance"):
    if heading not in text:
        failures.append(f"no '{heading}' in the rendered DOM")
for name in ("stark-prod", "hooli-prod", "umbrella-prod"):
    if name in text:
        failures.append(f"{name} (not the partner's) is on its page")
for shot in ("status-page-1280.png", "status-page-360.png", "status-page-dark.png"):
    with open(f"{out}/{shot}", "rb") as f:
        if f.read(8) != b"\x89PNG\r\n\x1a\n":
            failures.append(f"{shot} is not a PNG")
if failures:
    sys.exit("browser: FAILED — " + "; ".join(failures))
print(f"browser: {len(page.offerings)} offerings with 90 bars each; screenshots in {out}/")
PY

python3 -c 'import websocket' 2>/dev/null ||
  python3 -m pip install -q --disable-pip-version-check "websocket-client==1.9.2"
# coloraide: CIEDE2000 and WCAG contrast from CSS colour strings (pure Python, no numpy).
python3 -c 'import coloraide' 2>/dev/null ||
  python3 -m pip install -q --disable-pip-version-check "coloraide==8.13.1"
python3 -m unittest discover -s tests/browser -p 'test_*.py'
python3 tests/browser/colours.py "$URL"
