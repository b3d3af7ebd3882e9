"""The compose page's segment counter (webhooks/static/js/segments.js, run here with node) agrees with
content/sms.py, which the broadcast service bills with, on the strings that matter."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from content.sms import non_gsm7_chars, segment_info, smart_encode

SCRIPT = Path(__file__).resolve().parents[2] / "webhooks" / "static" / "js" / "segments.js"

STRINGS = [
    "",
    "Gikomba market is closed on Monday.",
    "a" * 160,
    "a" * 161,
    "a" * 306,
    "a" * 307,
    "€" * 80,  # extension chars: 2 septets each -> exactly 160
    "€" * 81,
    "a" * 152 + "{",  # escape pair at the part border: never split
    "a" * 159 + "{",
    "Price: 100€ [cash] {not} ~ ^ | \\ \f",
    "é" * 70 + "á",  # é is GSM-7; á is not
    "ú" * 70,
    "ú" * 71,
    "ú" * 134,
    "ú" * 135,
    "Soko limefungwa 😀",
    "😀" * 35,  # surrogate pairs: 70 units
    "😀" * 36,
    "a" * 66 + "😀" + "b" * 10,  # a pair never split across parts
    "👍🏽 family 👨‍👩‍👧",
    "गिकोम्बा बाजार सोमवार को बंद रहेगा।",
    "बाजार " * 14,
    "“Curly” quotes – dashes — and… ellipsis",
    "\u00a0non-breaking\u2009spaces\u200band zero\u00adwidth",
    "ＦＵＬＬ ｗｉｄｔｈ",
    "½ price × 2 ≥ 1 ± 0 © ™",
    "Line one\nLine two\r\nthree",
    "  padded text \t\n",
    "Ça coûte 5 € à Dakar",
    "Mercado cerrado el lunes. ¿Dudas? Llamá al 099 123 456",
    "Ω Σ Δ Φ Γ Λ Π Ψ Θ Ξ",
]


def python_view(text: str) -> dict:
    sent = smart_encode(text.strip())
    info = segment_info(sent)
    return {"encoding": info.encoding, "segments": info.segments, "units": info.units,
            "characters": len(sent), "text": sent,
            "forcing": list(dict.fromkeys(c for _, c in non_gsm7_chars(sent))),
            "raw": [segment_info(text).encoding, segment_info(text).segments, segment_info(text).units],
            "non_gsm7": [[i, c] for i, c in non_gsm7_chars(text)]}


def js_view(strings: list[str]) -> list[dict]:
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.skip("node is not installed")
    program = f"""
const seg = require({json.dumps(str(SCRIPT))});
const strings = JSON.parse(require("fs").readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(strings.map(function (t) {{
  const s = seg.sms(t), raw = seg.info(t);
  return {{encoding: s.encoding, segments: s.segments, units: s.units, characters: s.characters, text: s.text,
          forcing: s.forcing, raw: [raw.encoding, raw.segments, raw.units], non_gsm7: seg.nonGsm7(t)}};
}})));
"""
    done = subprocess.run([node, "-e", program], input=json.dumps(strings), capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_js_counter_agrees_with_content_sms():
    got = js_view(STRINGS)
    for text, js in zip(STRINGS, got):
        assert js == python_view(text), text


def test_the_borders_are_where_the_standard_puts_them():
    got = dict(zip(STRINGS, js_view(STRINGS)))
    assert got["a" * 160]["segments"] == 1 and got["a" * 161]["segments"] == 2
    assert got["ú" * 70]["segments"] == 1 and got["ú" * 71]["segments"] == 2
    assert got["€" * 80] == {**got["€" * 80], "encoding": "GSM-7", "units": 160, "segments": 1}
    assert got["😀" * 35]["units"] == 70 and got["😀" * 36]["segments"] == 2
    assert got["Soko limefungwa 😀"]["forcing"] == ["😀"]
    assert got["“Curly” quotes – dashes — and… ellipsis"]["encoding"] == "GSM-7"  # smart encoding
