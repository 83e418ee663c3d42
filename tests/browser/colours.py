"""The colours Chromium renders on the status page, read over the DevTools protocol.

Usage: colours.py URL. Opens URL in headless Chromium (light, then dark colour scheme), asks
the page for the computed background of every daily bar, of one probe bar per verdict class,
of the card the bars sit on and of the page, and fails when a verdict has no colour of its own
that a person tells apart: every pair of verdict colours must differ by a CIEDE2000 colour
difference of at least MIN_DELTA_E (computed by coloraide from Chromium's computed colours;
"not equal" is not enough — two near-identical oranges are not equal either), each bar must
stand out from the card and the page by a WCAG 2.1 contrast of at least MIN_CONTRAST (the 3:1
of non-text contrast, SC 1.4.11), the legend must show each bar colour, and the bars the page
rendered must carry their class's colour. Prints what it saw.
"""

import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

from coloraide import Color  # ΔE 2000 and WCAG contrast, from CSS colour strings

# Every verdict class a bar may carry (`Level::class` in api/src/http/wire.rs; the legend and
# the stylesheet's `li.day.*` rules): met, maintenance only, below target, significant
# downtime, long outage, no data.
CLASSES = ["ok", "maint", "minor", "major", "down", "none"]
# CIEDE2000 ΔE below which two colours of small adjacent bars read as one (about 2 is just
# noticeable side by side; 10 is clearly different at a glance).
MIN_DELTA_E = 10.0
# WCAG 2.1 SC 1.4.11: graphical objects needed to understand the content, 3:1 to what is
# next to them.
MIN_CONTRAST = 3.0

PROBE = """
(() => {
  const list = document.querySelector("ol.days");
  if (!list) return JSON.stringify({error: "no ol.days on the page"});
  const colour = (el, pseudo) => getComputedStyle(el, pseudo).backgroundColor;
  const probes = {};
  for (const cls of %s) {
    const li = document.createElement("li");
    li.className = "day " + cls;
    list.appendChild(li);
    probes[cls] = colour(li);
    li.remove();
  }
  const rendered = {};
  for (const li of document.querySelectorAll("li.day")) {
    const cls = [...li.classList].find(c => c !== "day") || "none";
    (rendered[cls] ||= {})[colour(li)] = true;
  }
  const legend = {};
  for (const li of document.querySelectorAll(".legend li")) {
    legend[li.className || "none"] = colour(li, "::before");
  }
  for (const cls in rendered) rendered[cls] = Object.keys(rendered[cls]);
  // What the bars sit on: the nearest ancestor with a background of its own (the card).
  const opaque = c => c !== "transparent" && !(c.startsWith("rgba(") && c.endsWith(", 0)"));
  let under = list.parentElement;
  while (under && !opaque(colour(under))) under = under.parentElement;
  const backgrounds = {
    card: under ? colour(under) : colour(document.body),
    page: colour(document.body),
  };
  return JSON.stringify({probes, rendered, legend, backgrounds});
})()
""" % json.dumps(CLASSES)


def devtools(profile, proc):
    """The DevTools port Chromium chose (it writes it into the profile)."""
    path = os.path.join(profile, "DevToolsActivePort")
    for _ in range(200):
        if proc.poll() is not None:
            sys.exit("colours: FAILED — Chromium exited before opening DevTools")
        if os.path.exists(path):
            with open(path, encoding="ascii") as f:
                first = f.readline().strip()
            if first:
                return int(first)
        time.sleep(0.05)
    sys.exit("colours: FAILED — Chromium opened no DevTools port")


class Page:
    def __init__(self, ws):
        self.ws, self.next_id = ws, 0

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    sys.exit(f"colours: FAILED — {method}: {message['error']}")
                return message["result"]

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")


def colours(url, scheme):
    import websocket  # websocket-client: the DevTools protocol is JSON over a WebSocket

    profile = tempfile.mkdtemp()
    proc = subprocess.Popen(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--remote-debugging-port=0",
         "--remote-allow-origins=*", f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port = devtools(profile, proc)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json") as answer:
            target = next(t for t in json.load(answer) if t["type"] == "page")
        page = Page(websocket.create_connection(target["webSocketDebuggerUrl"], timeout=20))
        page.call("Emulation.setEmulatedMedia",
                  features=[{"name": "prefers-color-scheme", "value": scheme}])
        page.call("Page.navigate", url=url)
        for _ in range(200):
            if page.evaluate("document.readyState") == "complete":
                break
            time.sleep(0.05)
        return json.loads(page.evaluate(PROBE))
    finally:
        proc.kill()
        proc.wait()


def delta_e(a, b):
    """CIEDE2000 colour difference of two CSS colours."""
    return Color(a).delta_e(b, method="2000")


def contrast(a, b):
    """WCAG 2.1 contrast ratio of two CSS colours."""
    return Color(a).contrast(b, method="wcag21")


def check(seen, scheme):
    failures = []
    if "error" in seen:
        return [f"{scheme}: {seen['error']}"]
    probes, rendered, legend = seen["probes"], seen["rendered"], seen["legend"]
    for a, b in itertools.combinations(CLASSES, 2):
        difference = delta_e(probes[a], probes[b])
        if difference < MIN_DELTA_E:
            failures.append(
                f"{scheme}: '{a}' ({probes[a]}) and '{b}' ({probes[b]}) bars look alike: "
                f"CIEDE2000 ΔE {difference:.1f} < {MIN_DELTA_E:g}")
    for under, background in seen["backgrounds"].items():
        for cls in CLASSES:
            ratio = contrast(probes[cls], background)
            if ratio < MIN_CONTRAST:
                failures.append(
                    f"{scheme}: '{cls}' bars ({probes[cls]}) on the {under} ({background}) have "
                    f"a contrast of {ratio:.2f}:1 < {MIN_CONTRAST:g}:1")
    for cls, found in rendered.items():
        if found != [probes.get(cls)]:
            failures.append(f"{scheme}: rendered '{cls}' bars are {found}, not {probes.get(cls)}")
    for cls in CLASSES:
        if legend.get(cls) != probes[cls]:
            failures.append(f"{scheme}: the legend shows '{cls}' as {legend.get(cls)}, bars as {probes[cls]}")
    if not any(cls != "none" for cls in rendered):
        failures.append(f"{scheme}: every bar says 'no data'")
    return failures


def main():
    url = sys.argv[1]
    failures = []
    for scheme in ("light", "dark"):
        seen = colours(url, scheme)
        failures += check(seen, scheme)
        counts = {cls: found for cls, found in seen.get("rendered", {}).items()}
        print(f"colours ({scheme}): bars by verdict {counts}; probes {seen.get('probes')}")
        probes = seen.get("probes")
        if probes and "backgrounds" in seen:
            a, b = min(itertools.combinations(CLASSES, 2),
                       key=lambda pair: delta_e(probes[pair[0]], probes[pair[1]]))
            low = min(CLASSES, key=lambda c: min(contrast(probes[c], bg)
                                                 for bg in seen["backgrounds"].values()))
            print(f"colours ({scheme}): closest pair '{a}'/'{b}' ΔE2000 "
                  f"{delta_e(probes[a], probes[b]):.1f}; lowest contrast '{low}' "
                  f"{min(contrast(probes[low], bg) for bg in seen['backgrounds'].values()):.2f}:1")
    if failures:
        sys.exit("colours: FAILED — " + "; ".join(failures))
    print(f"colours: every pair of verdict colours differs by CIEDE2000 ΔE ≥ {MIN_DELTA_E:g} and "
          f"every bar has ≥ {MIN_CONTRAST:g}:1 against its card and the page, in the bars and "
          "the legend, light and dark")


if __name__ == "__main__":
    main()
