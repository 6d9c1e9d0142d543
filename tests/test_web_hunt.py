"""A bug hunt of ``mapper serve``'s web UI as a user uses it, without a browser (the browser's part: ``tests/test_web_browser.py``)."""

from __future__ import annotations

import re

from mapper.web import load_assets


def _luminance(hex_color: str) -> float:
    """WCAG 2's relative luminance of ``#rrggbb``."""
    channels = [int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _rule(css: str, selector_part: str, prop: str) -> str:
    """The value of ``prop`` in the first rule whose selector holds ``selector_part``."""
    for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", css):
        if selector_part in selectors:
            m = re.search(rf"(?:^|;)\s*{re.escape(prop)}\s*:\s*([^;]+)", body)
            if m:
                return m.group(1).strip()
    raise AssertionError(f"style.css: no rule for {selector_part!r} sets {prop}")


def _color(css: str, value: str) -> str:
    m = re.search(r"#[0-9a-fA-F]{6}", value)
    if m:
        return m.group(0).lower()
    var = re.search(r"var\((--[a-z-]+)\)", value)
    assert var, value
    return _color(css, _rule(css, ":root", var.group(1)))


def test_the_keyboards_focus_is_drawn_with_enough_contrast_where_it_is() -> None:
    # The focus ring was #8fb0ff on the white page: 2.1:1, under the 3:1 a focus indicator
    # needs (WCAG 1.4.11), fainter than the browser's own ring it replaced. On the page it is
    # now the accent; the dark header keeps the light ring, which is what shows there.
    css = load_assets()["style.css"][0].decode()
    page = _color(css, _rule(css, ":root", "--bg"))
    header = _color(css, _rule(css, "header.top", "background"))
    ring = _color(css, _rule(css, "button:focus-visible", "outline"))
    assert _contrast(ring, page) >= 3, (ring, page)
    for element in ("a", "button", "input", "select", "textarea", "summary"):
        assert f"{element}:focus-visible" in css, element
    header_ring = _color(css, _rule(css, "header.top a:focus-visible", "outline-color"))
    assert _contrast(header_ring, header) >= 3, (header_ring, header)
