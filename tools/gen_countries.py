"""Print a base list of country actors (UN member states and observers) as YAML.

A one-off generator: its output was pasted into src/multivector/knowledge/actors.yaml and then
curated by hand (short forms, adjectives, capitals, homonyms). Re-run it to compare the
curated file with what pycountry ships today, not to overwrite the file:

    .venv/bin/python tools/gen_countries.py > /tmp/countries.yaml
"""

from __future__ import annotations

import gettext
import json
import sys

import pycountry
import yaml

# The 193 UN member states, then the two observer states and Taiwan (often in the news).
UN_MEMBERS = """
AF AL DZ AD AO AG AR AM AU AT AZ BS BH BD BB BY BE BZ BJ BT BO BA BW BR BN BG BF BI CV KH CM CA
CF TD CL CN CO KM CG CD CR CI HR CU CY CZ DK DJ DM DO EC EG SV GQ ER EE SZ ET FJ FI FR GA GM GE
DE GH GR GD GT GN GW GY HT HN HU IS IN ID IR IQ IE IL IT JM JP JO KZ KE KI KP KR KW KG LA LV LB
LS LR LY LI LT LU MG MW MY MV ML MT MH MR MU MX FM MD MC MN ME MA MZ MM NA NR NP NL NZ NI NE NG
MK NO OM PK PW PA PG PY PE PH PL PT QA RO RU RW KN LC VC WS SM ST SA SN RS SC SL SG SK SI SB SO
ZA SS ES LK SD SR SE CH SY TJ TZ TH TL TG TO TT TN TR TM TV UG UA AE GB US UY UZ VU VE VN YE ZM
ZW
""".split()
OTHERS = ["PS", "VA", "TW"]


def _quote(s: str) -> str:
    """The text as a YAML flow scalar, quoted when YAML would read it otherwise (NO -> false)."""
    try:
        plain = yaml.safe_load(f"[{s}]") == [s]
    except yaml.YAMLError:
        plain = False
    return s if plain else json.dumps(s, ensure_ascii=False)


def main() -> int:
    assert len(set(UN_MEMBERS)) == 193, len(set(UN_MEMBERS))
    tr = {
        lang: gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
        for lang in ("ru", "kk")
    }
    for code in UN_MEMBERS + OTHERS:
        c = pycountry.countries.get(alpha_2=code)
        en = getattr(c, "common_name", None) or c.name
        official = getattr(c, "official_name", None)
        names = {"ru": tr["ru"].gettext(c.name), "kk": tr["kk"].gettext(c.name), "en": en}
        aliases: dict[str, list[str]] = {"ru": [], "kk": [], "en": []}
        if en != c.name and "," not in c.name:
            aliases["en"].append(c.name)
        if official:
            aliases["en"].append(official)
            for lang in ("ru", "kk"):
                t = tr[lang].gettext(official)
                if t != official and t != names[lang]:
                    aliases[lang].append(t.replace("\u0301", ""))
        print(f"- id: {_quote(code)}")
        print("  kind: country")
        print("  names: {" + ", ".join(f"{k}: {_quote(v)}" for k, v in names.items()) + "}")
        if any(aliases.values()):
            print("  aliases:")
            for lang, items in aliases.items():
                if items:
                    print(f"    {lang}: [" + ", ".join(_quote(a) for a in items) + "]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
