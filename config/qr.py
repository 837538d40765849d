"""QR codes as inline SVG (segno: pure Python, nothing fetched), for the pages that print or
show a link to scan: receipts, the two-factor set-up, the appraisal questionnaires."""

from __future__ import annotations

from django.utils.safestring import SafeString, mark_safe


def qr_svg(text: str, *, scale: int = 4) -> SafeString:
    """`text` (a URL of ours, an otpauth:// link) as an <svg> element. Safe to put in a page:
    segno writes the markup itself and escapes the text into the code's modules, not into XML."""
    import segno  # only here: 9 MB a web worker need not hold until a QR code is drawn

    return mark_safe(segno.make(text, error="m").svg_inline(scale=scale, border=2, dark="#1f2328"))
