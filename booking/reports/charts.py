"""Charts drawn on the server as SVG: no script, no chart library, nothing from outside.

ElementTree escapes every text and attribute. Colours are presentation attributes, which
the strict CSP (style-src 'self') allows; each chart has a <title> and the page puts the
same figures in a table beside it.
"""

import xml.etree.ElementTree as ET

from markupsafe import Markup

from booking.reports.figures import Count, suppressed_text

SVG = "http://www.w3.org/2000/svg"
FONT = "Noto Sans JP, Noto Sans CJK JP, BIZ UDPGothic, Hiragino Sans, Yu Gothic, sans-serif"
INK, BAR, GRID = "#1a1a1a", "#0017c1", "#767676"


def svg(width: int, height: int, title: str, chart_id: str) -> ET.Element:
    root = ET.Element(
        "svg",
        {
            "xmlns": SVG,
            "viewBox": f"0 0 {width} {height}",
            "role": "img",
            "aria-labelledby": f"{chart_id}-title",
            "class": "chart",
            "font-family": FONT,
        },
    )
    ET.SubElement(root, "title", {"id": f"{chart_id}-title"}).text = title
    return root


def text(parent: ET.Element, x: float, y: float, content: str, **attributes) -> None:
    base = {"x": f"{x:g}", "y": f"{y:g}", "font-size": "16", "fill": INK}
    ET.SubElement(parent, "text", base | attributes).text = content


def rendered(root: ET.Element) -> Markup:
    return Markup(ET.tostring(root, encoding="unicode"))


def bar_chart(title: str, bars: list[tuple[str, Count]], chart_id: str = "bars") -> Markup:
    """Vertical bars, one per label; a suppressed bar is left out and says 「3未満」."""
    width, height, left, bottom, top = 720, 320, 48, 270, 30
    step = (width - left - 10) / max(len(bars), 1)
    highest = max([c.n for _label, c in bars if not c.suppressed] + [1])
    root = svg(width, height, title, chart_id)
    ET.SubElement(
        root,
        "line",
        {
            "x1": str(left),
            "y1": str(bottom),
            "x2": str(width - 10),
            "y2": str(bottom),
            "stroke": GRID,
        },
    )
    for index, (label, count) in enumerate(bars):
        x = left + index * step
        middle = x + step / 2
        text(root, middle, bottom + 22, label.split("年")[-1], **{"text-anchor": "middle"})
        if count.suppressed:
            text(
                root,
                middle,
                bottom - 8,
                suppressed_text(),
                **{"text-anchor": "middle", "font-size": "14"},
            )
            continue
        tall = (bottom - top) * count.n / highest
        ET.SubElement(
            root,
            "rect",
            {
                "x": f"{x + step * 0.15:g}",
                "y": f"{bottom - tall:g}",
                "width": f"{step * 0.7:g}",
                "height": f"{tall:g}",
                "fill": BAR,
            },
        )
        text(root, middle, bottom - tall - 6, str(count.n), **{"text-anchor": "middle"})
    return rendered(root)


def heat_map(
    title: str,
    weekdays: list[str],
    hours: list[int],
    heat: dict[tuple[int, int], Count],
    chart_id: str = "heat",
) -> Markup:
    """Hours down, weekdays across; darker is more, each cell also says its number."""
    cell_w, cell_h, left, top = 84, 28, 60, 36
    width, height = left + cell_w * len(weekdays) + 4, top + cell_h * len(hours) + 4
    highest = max([c.n for c in heat.values() if not c.suppressed] + [1])
    root = svg(width, height, title, chart_id)
    for dow, name in enumerate(weekdays):
        text(root, left + cell_w * (dow + 0.5), top - 12, name, **{"text-anchor": "middle"})
    for row, hour in enumerate(hours):
        y = top + row * cell_h
        text(root, left - 8, y + cell_h * 0.65, f"{hour}:00", **{"text-anchor": "end"})
        for dow in range(len(weekdays)):
            count = heat.get((dow, hour), Count())
            heat_cell(root, left + dow * cell_w, y, (cell_w, cell_h), count, highest)
    return rendered(root)


def heat_cell(root, x: float, y: float, size: tuple[int, int], count: Count, highest: int):
    shade = 0 if count.suppressed else count.n / highest
    opacity, colour = shade_of(shade)
    ET.SubElement(
        root,
        "rect",
        {
            "x": f"{x:g}",
            "y": f"{y:g}",
            "width": str(size[0] - 2),
            "height": str(size[1] - 2),
            "fill": BAR,
            "fill-opacity": f"{opacity:.2f}",
        },
    )
    label = suppressed_text() if count.suppressed else str(count.n)
    text(
        root,
        x + size[0] / 2,
        y + size[1] * 0.65,
        label,
        fill=colour,
        **{"text-anchor": "middle", "font-size": "15"},
    )


def shade_of(share: float) -> tuple[float, str]:
    """Opacity of the cell and colour of its number; the middle shades are skipped because
    neither dark nor white text reaches 4.5:1 on them."""
    if share <= 0.5:
        return 0.05 + 0.6 * share, INK
    return 0.5 + share / 2, "#ffffff"
