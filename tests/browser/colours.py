"""The colours Chromium renders on the status page, read over the DevTools protocol.

Usage: colours.py URL. Opens URL in headless Chromium (light, then dark colour scheme), asks
the page for the computed background of every daily bar and of one probe bar per verdict class,
and fails when a verdict has no colour of its own: an `ok` bar must differ from a `down` bar
and from "no data", every class from every other, the legend must show each bar colour, and
the bars the page rendered must carry their class's colour. Prints what it saw.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket  # websocket-client: the DevTools protocol is JSON over a WebSocket

CLASSES = ["ok", "maint", "minor", "major", "down", "none"]

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
  return JSON.stringify({probes, rendered, legend});
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


def check(seen, scheme):
    failures = []
    if "error" in seen:
        return [f"{scheme}: {seen['error']}"]
    probes, rendered, legend = seen["probes"], seen["rendered"], seen["legend"]
    for i, a in enumerate(CLASSES):
        for b in CLASSES[i + 1:]:
            if probes[a] == probes[b]:
                failures.append(f"{scheme}: '{a}' and '{b}' bars share the colour {probes[a]}")
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
    if failures:
        sys.exit("colours: FAILED — " + "; ".join(failures))
    print("colours: every verdict has its own colour, in the bars and the legend, light and dark")


if __name__ == "__main__":
    main()
