"""Small SVG plots for the run report: latency CDFs and delivery over time with the faults marked."""

from typing import Dict, List, Sequence, Tuple
from xml.sax.saxutils import escape

W, H = 720, 360
L, R, T, B = 60, 20, 30, 45
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]


def _axes(title: str, xlabel: str, ylabel: str, xmax: float, ymax: float, parts: List[str]) -> None:
    parts.append(f'<text x="{W / 2}" y="18" text-anchor="middle" font-size="14">{escape(title)}</text>')
    parts.append(f'<line x1="{L}" y1="{H - B}" x2="{W - R}" y2="{H - B}" stroke="black"/>')
    parts.append(f'<line x1="{L}" y1="{T}" x2="{L}" y2="{H - B}" stroke="black"/>')
    for i in range(6):
        x = L + (W - L - R) * i / 5
        y = H - B - (H - T - B) * i / 5
        parts.append(f'<text x="{x:.1f}" y="{H - B + 15}" text-anchor="middle" font-size="10">'
                     f'{xmax * i / 5:.4g}</text>')
        parts.append(f'<text x="{L - 5}" y="{y + 3:.1f}" text-anchor="end" font-size="10">{ymax * i / 5:.4g}</text>')
        parts.append(f'<line x1="{L}" y1="{y:.1f}" x2="{W - R}" y2="{y:.1f}" stroke="#eee"/>')
    parts.append(f'<text x="{W / 2}" y="{H - 8}" text-anchor="middle" font-size="11">{escape(xlabel)}</text>')
    parts.append(f'<text x="14" y="{H / 2}" text-anchor="middle" font-size="11" '
                 f'transform="rotate(-90 14 {H / 2})">{escape(ylabel)}</text>')


def _svg(parts: List[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif">'
            f'<rect width="{W}" height="{H}" fill="white"/>' + "".join(parts) + "</svg>\n")


def _legend(names: Sequence[str], parts: List[str]) -> None:
    for i, n in enumerate(names):
        y = T + 12 + 14 * i
        parts.append(f'<rect x="{W - R - 150}" y="{y - 8}" width="10" height="10" fill="{COLORS[i % len(COLORS)]}"/>')
        parts.append(f'<text x="{W - R - 135}" y="{y + 1}" font-size="10">{escape(n)}</text>')


def cdf(series: Dict[str, List[float]], title: str, xlabel: str) -> str:
    parts: List[str] = []
    values = [v for vs in series.values() for v in vs]
    xmax = max(values) * 1.05 if values else 1.0
    _axes(title, xlabel, "fraction", xmax, 1.0, parts)
    for i, (name, vs) in enumerate(series.items()):
        if not vs:
            continue
        s = sorted(vs)
        pts = []
        for k, v in enumerate(s):
            x = L + (W - L - R) * v / xmax
            y = H - B - (H - T - B) * (k + 1) / len(s)
            pts.append(f"{x:.1f},{y:.1f}")
        parts.append(f'<polyline fill="none" stroke="{COLORS[i % len(COLORS)]}" stroke-width="1.5" '
                     f'points="{" ".join(pts)}"/>')
    _legend([n for n in series], parts)
    return _svg(parts)


def timeline(series: Dict[str, List[Tuple[float, float]]], faults: List[Tuple[float, float, str]], title: str,
             ylabel: str, xlabel: str = "seconds since the load began") -> str:
    """``series``: name -> (x, value) points (x: seconds since start unless ``xlabel`` says otherwise);
    ``faults``: (start, end, label) bands."""
    parts: List[str] = []
    xs = [t for pts in series.values() for t, _ in pts] + [e for _, e, _ in faults]
    ys = [v for pts in series.values() for _, v in pts]
    xmax = max(xs) * 1.02 if xs else 1.0
    ymax = max(ys) * 1.1 if ys and max(ys) > 0 else 1.0
    _axes(title, xlabel, ylabel, xmax, ymax, parts)
    for k, (s, e, label) in enumerate(faults):
        x1 = L + (W - L - R) * s / xmax
        x2 = L + (W - L - R) * max(e, s + xmax / 400) / xmax
        parts.append(f'<rect x="{x1:.1f}" y="{T}" width="{x2 - x1:.1f}" height="{H - T - B}" fill="#f4a" '
                     f'fill-opacity="0.15"/>')
        parts.append(f'<text x="{x1 + 2:.1f}" y="{T + 10 + 10 * (k % 4)}" font-size="9" fill="#a04">'
                     f'{escape(label)}</text>')
    for i, (name, pts) in enumerate(series.items()):
        line = " ".join(f"{L + (W - L - R) * t / xmax:.1f},{H - B - (H - T - B) * v / ymax:.1f}" for t, v in pts)
        parts.append(f'<polyline fill="none" stroke="{COLORS[i % len(COLORS)]}" stroke-width="1.5" points="{line}"/>')
    _legend(list(series), parts)
    return _svg(parts)
