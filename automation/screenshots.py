"""Full-page screenshots for the evidence, taken with Chromium's own DevTools call and encoded for speed.

Playwright's page.screenshot costs about twice the CPU of the capture itself (it stops animations frame by frame and
waits for the page to be still, then encodes the PNG at its smallest): on two cores, with four accounts at once,
each account's two screenshots were the largest part of what it cost the browser beyond the clicks. Here the
fields a secret went into are painted over (as Playwright's `mask` paints them), the caret is hidden, and the whole
page is captured in one call, its PNG encoded fast (larger files, the same pixels).
"""

from __future__ import annotations

import base64

MASK = "data-submit-objections-mask"
MASK_COLOUR = "#FF00FF"  # Playwright's own mask colour
COVER = f"""(elements) => {{ for (const element of elements) {{
    const box = element.getBoundingClientRect();
    if (!box.width && !box.height) continue;
    const cover = document.createElement('div');
    cover.setAttribute('{MASK}', '');
    cover.style.cssText = `position:absolute;left:${{box.left + scrollX}}px;top:${{box.top + scrollY}}px;` +
        `width:${{box.width}}px;height:${{box.height}}px;background:{MASK_COLOUR};z-index:2147483647;` +
        'pointer-events:none;margin:0;border:0;padding:0';
    document.documentElement.appendChild(cover); }} }}"""
HIDE_CARET = f"""() => {{ const style = document.createElement('style');
    style.setAttribute('{MASK}', '');
    style.textContent = '*, *::before, *::after {{ caret-color: transparent !important; }}';
    document.documentElement.appendChild(style); }}"""
UNCOVER = f"() => {{ for (const added of document.querySelectorAll('[{MASK}]')) added.remove(); }}"


class PageCamera:
    """Takes full-page PNGs of one page; its DevTools session is opened at the first picture and kept."""

    def __init__(self, page):
        self.page = page
        self._session = None

    def full_page_png(self, masks: list) -> bytes:
        """The whole page as a PNG, each element that any of `masks` (locators) matches painted over."""
        if self._session is None:
            self._session = self.page.context.new_cdp_session(self.page)
        try:
            self.page.evaluate(HIDE_CARET)
            for locator in masks:
                locator.evaluate_all(COVER)
            size = self._session.send("Page.getLayoutMetrics")["cssContentSize"]
            shot = self._session.send("Page.captureScreenshot", {
                "format": "png", "optimizeForSpeed": True, "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}})
        finally:
            self.page.evaluate(UNCOVER)
        return base64.b64decode(shot["data"])
