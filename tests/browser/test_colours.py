"""Unit tests of colours.py's verdict: near-identical bar colours and bars that vanish into
their background fail; the stylesheet's own palette passes, light and dark. No browser needed:
`python3 -m unittest discover -s tests/browser` (status-page.sh runs it first)."""

import os
import re
import unittest

import colours

CSS = os.path.join(os.path.dirname(__file__), "..", "..", "api", "src", "views", "status_page.css")
WHITE = {"card": "rgb(246, 248, 250)", "page": "rgb(255, 255, 255)"}


def seen(probes, backgrounds=WHITE):
    return {"probes": probes, "rendered": {cls: [c] for cls, c in probes.items()},
            "legend": dict(probes), "backgrounds": backgrounds}


def palettes():
    """The stylesheet's bar colours and backgrounds: light (`:root`) and dark (the media query)."""
    with open(CSS, encoding="utf-8") as f:
        css = f.read()
    dark_at = css.index("prefers-color-scheme: dark")
    found = {}
    for scheme, text in (("light", css[:dark_at]), ("dark", css[dark_at:])):
        var = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-f]{6})", text))
        found[scheme] = ({cls: var[f"bar-{cls}"] for cls in colours.CLASSES},
                         {"card": var["card"], "page": var["bg"]})
    return found


class Verdict(unittest.TestCase):
    GOOD = {"ok": "rgb(26, 127, 55)", "maint": "rgb(9, 105, 218)", "minor": "rgb(166, 124, 0)",
            "major": "rgb(224, 86, 11)", "down": "rgb(159, 18, 57)", "none": "rgb(134, 142, 150)"}

    def test_a_distinct_palette_passes(self):
        self.assertEqual(colours.check(seen(self.GOOD), "light"), [])

    def test_two_unequal_but_alike_colours_fail(self):
        # Different strings, one step apart in red: "not equal", yet nobody tells them apart.
        probes = dict(self.GOOD, down="rgb(225, 86, 11)")
        failures = colours.check(seen(probes), "light")
        self.assertEqual(len(failures), 1, failures)
        self.assertIn("'major'", failures[0])
        self.assertIn("'down'", failures[0])
        self.assertIn("look alike", failures[0])

    def test_every_pair_is_checked(self):
        for a in colours.CLASSES:
            for b in colours.CLASSES:
                if a < b:
                    probes = dict(self.GOOD, **{b: self.GOOD[a]})
                    failures = colours.check(seen(probes), "light")
                    self.assertTrue(any(f"'{min(a, b, key=colours.CLASSES.index)}'" in f
                                        and "look alike" in f for f in failures), (a, b, failures))

    def test_a_bar_fading_into_its_card_fails(self):
        probes = dict(self.GOOD, none="rgb(175, 184, 193)")  # 1.9:1 on the light card
        failures = colours.check(seen(probes), "light")
        self.assertTrue(any("'none'" in f and "contrast" in f for f in failures), failures)

    def test_the_stylesheet_palette_passes_light_and_dark(self):
        for scheme, (probes, backgrounds) in palettes().items():
            with self.subTest(scheme=scheme):
                self.assertEqual(colours.check(seen(probes, backgrounds), scheme), [])


if __name__ == "__main__":
    unittest.main()
