"""Full-page screenshots for the evidence, taken with Chromium's own DevTools call and encoded for speed.

Playwright's page.screenshot costs about twice the CPU of the capture itself (it stops animations frame by frame and
waits for the page to be still, then encodes the PNG at its smallest): on two cores, with four accounts at once,
each account's two screenshots were the largest part of what it cost the browser beyond the clicks. Here one call
to the page readies it (text areas grown, the caret hidden, every field a secret went into painted over as
Playwright's `mask` paints it, its masks resolved together) and measures it; one more captures the whole page, its
PNG encoded fast (larger files, the same pixels); a last one takes the covers away.
"""

from __future__ import annotations

import base64

MASK = "data-submit-objections-mask"
MASK_COLOUR = "#FF00FF"  # Playwright's own mask colour
# One call readies the page: text areas grown to their content (so the whole text sent shows, not its first lines),
# the caret hidden, each masked element covered; it answers the size of the page to capture.
PREPARE = f"""(elements, grow) => {{
    if (grow) for (const area of document.querySelectorAll('textarea')) {{
        area.style.height = 'auto'; area.style.height = (area.scrollHeight + 4) + 'px'; }}
    const style = document.createElement('style');
    style.setAttribute('{MASK}', '');
    style.textContent = '*, *::before, *::after {{ caret-color: transparent !important; }}';
    document.documentElement.appendChild(style);
    for (const element of elements) {{
        const box = element.getBoundingClientRect();
        if (!box.width && !box.height) continue;
        const cover = document.createElement('div');
        cover.setAttribute('{MASK}', '');
        cover.style.cssText = `position:absolute;left:${{box.left + scrollX}}px;top:${{box.top + scrollY}}px;` +
            `width:${{box.width}}px;height:${{box.height}}px;background:{MASK_COLOUR};z-index:2147483647;` +
            'pointer-events:none;margin:0;border:0;padding:0';
        document.documentElement.appendChild(cover); }}
    const root = document.documentElement;
    const width = Math.max(root.scrollWidth, root.clientWidth), height = Math.max(root.scrollHeight, root.clientHeight);
    return {{width, height, fits: width <= innerWidth && height <= innerHeight && !scrollX && !scrollY}};
}}"""
UNCOVER = f"() => {{ for (const added of document.querySelectorAll('[{MASK}]')) added.remove(); }}"


class PageCamera:
    """Takes full-page PNGs of one page; its DevTools session is opened at the first picture and kept."""

    def __init__(self, page):
        self.page = page
        self._session = None

    def full_page_png(self, masks: list, grow_text_areas: bool = False) -> bytes:
        """The whole page as a PNG, each element that any of `masks` (locators of one page) matches painted over;
        with `grow_text_areas`, each text area first grown to show all its text."""
        if self._session is None:
            self._session = self.page.context.new_cdp_session(self.page)
        covered = masks[0] if masks else self.page.locator(f"[{MASK}]")  # (none: nothing carries the mark yet)
        for locator in masks[1:]:
            covered = covered.or_(locator)  # all masks resolved in one trip to the page
        try:
            size = covered.evaluate_all(PREPARE, grow_text_areas)
            # A page that fits in the window is captured as it is laid out; a longer one is laid out anew at its
            # full size for the capture, and back after.
            shot = self._session.send("Page.captureScreenshot", {
                "format": "png", "optimizeForSpeed": True, "captureBeyondViewport": not size["fits"],
                "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}})
        finally:
            self.page.evaluate(UNCOVER)
        return base64.b64decode(shot["data"])
