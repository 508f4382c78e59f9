"""Words the reports print, in English and Russian: headings, vector and actor names, months.

Nothing here knows a particular country: country names come from pycountry (ISO 3166-1) and its
gettext catalogue, with a short table of the names analysts actually write ("Russia", not
"Russian Federation"). Russian needs the genitive for the title ("...внешней политики
Казахстана"); pymorphy3 inflects the name word by word.
"""

from __future__ import annotations

import functools
import re

LANGS = ("en", "ru")

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Key foreign-policy trends of {country}, {year}",
        "title_nocountry": "Key foreign-policy trends, {year}",
        "based_on": "Based on {posts} from {channels}, {first} – {last}.",
        "h_summary": "Summary",
        "h_trends": "Key trends",
        "h_events": "Top events",
        "h_balance": "Partner balance",
        "h_charts": "Charts",
        "h_method": "Method",
        "share": "Share of posts",
        "share_change": "{prev} in {prev_year} → {cur} in {year}",
        "growth": "growth {g}",
        "change": "Change",
        "new": "new this year",
        "posts": "Posts",
        "channels": "Channels",
        "months": "Months present",
        "months_value": "{n} of {total}",
        "actors": "Key actors",
        "top_channels": "Most active channels",
        "languages": "Languages",
        "score": "Score",
        "drivers": "Who drives it",
        "terms": "Key terms",
        "evidence": "What was said",
        "why": "Why it ranks here",
        "topic_note": "found in the posts without the theme list",
        "col_rank": "#",
        "col_event": "Event",
        "col_dates": "Dates",
        "col_posts": "Posts",
        "col_sources": "Sources",
        "col_actors": "Actors",
        "col_themes": "Themes",
        "col_partner": "Partner",
        "col_shift": "Shift",
        "entropy": "Spread of attention across partners (normalised Shannon entropy: 0 = one partner only, 1 = evenly split): {cur} ({prev} in {prev_year}).",
        "hhi": "Concentration (Herfindahl–Hirschman index, the sum of squared shares: higher = more concentrated, {even} = evenly split): {cur} ({prev} in {prev_year}).",
        "chart_vectors": "Partner vectors: share of posts by month",
        "chart_trends": "Top trends: share of posts by month",
        "chart_files": "Charts",
        "no_data": "No data.",
        "method": (
            "Shares are of the year's in-scope posts, each duplicate group counted once (forwards and "
            "copies are kept as amplification, not content). A trend's score adds up interpretable parts: "
            "salience (its share of the year), change against the year before (smoothed log-odds), breadth "
            "(channels and languages), persistence (months present) and concentration (how much of it sits "
            "in one burst, which counts against it). Events are bursts of posts close in time with the same "
            "actors and similar words, ranked by distinct sources, volume, duration and actor salience. "
            "Quotes are verbatim sentences from the posts; the reference after each is its post id."
        ),
        "parameters": "Parameters",
        "summary_trends": "The leading trends were {items}.",
        "summary_trend_item": "“{label}” ({cur} of posts, {change})",
        "summary_trend_change": "up from {prev}",
        "summary_trend_fall": "down from {prev}",
        "summary_trend_flat": "as in {prev_year}",
        "summary_trend_new": "new this year",
        "summary_event": "The top event of the year was “{title}” ({dates}, {sources}).",
        "summary_shift": "Among partners, the largest shift was {vector}: {shift}, to {cur} of partner attention",
        "summary_shift_other": "; the largest move the other way was {vector} ({shift})",
        "summary_spread_up": "Overall, attention was spread more evenly across partners than in {prev_year} (entropy {prev} → {cur}).",
        "summary_spread_down": "Overall, attention was more concentrated on fewer partners than in {prev_year} (entropy {prev} → {cur}).",
        "summary_spread_flat": "The overall spread of attention across partners hardly changed (entropy {prev} → {cur}).",
        "and": "and",
        "pp": "pp",
    },
    "ru": {
        "title": "Ключевые тренды внешней политики {country}, {year}",
        "title_nocountry": "Ключевые тренды внешней политики, {year}",
        "based_on": "По данным: {posts} из {channels}, {first} – {last}.",
        "h_summary": "Коротко",
        "h_trends": "Ключевые тренды",
        "h_events": "Главные события",
        "h_balance": "Баланс партнёров",
        "h_charts": "Графики",
        "h_method": "Метод",
        "share": "Доля постов",
        "share_change": "{prev} в {prev_year} → {cur} в {year}",
        "growth": "рост {g}",
        "change": "Изменение",
        "new": "новая тема года",
        "posts": "Постов",
        "channels": "Каналов",
        "months": "Месяцев присутствия",
        "months_value": "{n} из {total}",
        "actors": "Главные участники",
        "top_channels": "Самые активные каналы",
        "languages": "Языки",
        "score": "Балл",
        "drivers": "Кто двигает тему",
        "terms": "Ключевые слова",
        "evidence": "Что говорили",
        "why": "Почему на этом месте",
        "topic_note": "найдена в постах без словаря тем",
        "col_rank": "№",
        "col_event": "Событие",
        "col_dates": "Даты",
        "col_posts": "Постов",
        "col_sources": "Источников",
        "col_actors": "Участники",
        "col_themes": "Темы",
        "col_partner": "Партнёр",
        "col_shift": "Сдвиг",
        "entropy": "Равномерность внимания к партнёрам (нормированная энтропия Шеннона: 0 — один партнёр, 1 — поровну): {cur} ({prev} в {prev_year}).",
        "hhi": "Концентрация (индекс Херфиндаля — Хиршмана, сумма квадратов долей: выше — концентрированнее, {even} — поровну): {cur} ({prev} в {prev_year}).",
        "chart_vectors": "Направления: доля постов по месяцам",
        "chart_trends": "Главные тренды: доля постов по месяцам",
        "chart_files": "Графики",
        "no_data": "Нет данных.",
        "method": (
            "Доли считаются от постов года по теме внешней политики; группа дубликатов учитывается один раз "
            "(пересылки и копии — отдельная мера охвата, а не содержания). Балл тренда складывается из "
            "понятных частей: заметность (доля в году), изменение к прошлому году (сглаженные лог-шансы), "
            "широта (каналы и языки), устойчивость (месяцы присутствия) и концентрация (какая часть "
            "приходится на один всплеск — снижает балл). События — всплески постов, близких по времени, "
            "участникам и словам; ранжируются по числу источников, объёму, длительности и значимости "
            "участников. Цитаты — дословные предложения из постов; ссылка после цитаты — id поста."
        ),
        "parameters": "Параметры",
        "summary_trends": "Главные тренды года — {items}.",
        "summary_trend_item": "«{label}» ({cur} постов, {change})",
        "summary_trend_change": "против {prev} годом ранее",
        "summary_trend_fall": "против {prev} годом ранее",
        "summary_trend_flat": "как и в {prev_year} году",
        "summary_trend_new": "новая тема года",
        "summary_event": "Главное событие года — «{title}» ({dates}, {sources}).",
        "summary_shift": "Среди партнёров сильнее всего изменилась доля направления «{vector}»: {shift}, до {cur} внимания к партнёрам",
        "summary_shift_other": "; сильнее всего в обратную сторону — «{vector}» ({shift})",
        "summary_spread_up": "В целом внимание распределилось между партнёрами равномернее, чем в {prev_year} году (энтропия {prev} → {cur}).",
        "summary_spread_down": "В целом внимание сосредоточилось на меньшем числе партнёров, чем в {prev_year} году (энтропия {prev} → {cur}).",
        "summary_spread_flat": "Общая равномерность внимания к партнёрам почти не изменилась (энтропия {prev} → {cur}).",
        "and": "и",
        "pp": "п.п.",
    },
}


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"unknown report language {lang!r}: choose one of {', '.join(LANGS)}")
    return lang


def t(key: str, lang: str) -> str:
    return TEXT[lang][key]


COMPONENTS: dict[str, tuple[str, str]] = {
    "salience": ("salience", "заметность"),
    "change": ("change", "изменение"),
    "breadth": ("breadth", "широта"),
    "persistence": ("persistence", "устойчивость"),
    "concentration": ("concentration", "концентрация"),
}


def component_name(key: str, lang: str) -> str:
    names = COMPONENTS.get(key)
    if not names:
        return key
    return names[0] if lang == "en" else names[1]


def known_name(names: dict | None, ident: str, lang: str) -> str | None:
    """A display name the report itself carries (optional `names: {id: {lang: name}}`)."""
    entry = (names or {}).get(ident)
    if isinstance(entry, dict) and entry.get(lang):
        return str(entry[lang])
    if isinstance(entry, str) and entry:
        return entry
    return None


def report_names(report: dict, knowledge, profile: str | None = None, langs=("en", "ru", "kk")) -> dict:
    """Display names, from the knowledge files, of every id a report mentions.

    Meant for the report builder: put the result in `report["names"]` and the renderer (and any
    reader of the JSON) shows "Касым-Жомарт Токаев" instead of `tokayev`. `knowledge` is a
    `multivector.knowledge` Knowledge (anything with `.actors`, `.themes`, `.profile(code)`).
    """
    actors: set[str] = set()
    themes: set[str] = set()
    vectors: set[str] = set()
    for trend in report.get("trends") or []:
        themes.add(str(trend.get("theme")))
        for p in trend.get("partners") or []:
            (vectors if p.get("vector") else actors).add(str(p.get("vector") or p.get("actor")))
    for event in report.get("events") or []:
        actors.update(str(a) for a in event.get("actors") or [])
        themes.update(str(th) for th in event.get("themes") or [])
    vectors.update(str(p.get("vector")) for p in (report.get("balance") or {}).get("partners") or [])
    vectors.update(str(v) for v in ((report.get("series") or {}).get("vectors") or {}))
    out: dict[str, dict[str, str]] = {}
    for ident in sorted(actors):
        actor = getattr(knowledge, "actors", {}).get(ident)
        if getattr(actor, "kind", None) == "org":
            continue  # blocs read better as acronyms (SCO, ШОС): see ORGS
        if actor is not None and getattr(actor, "names", None):
            out[ident] = {lang: actor.names[lang] for lang in langs if actor.names.get(lang)}
    for ident in sorted(themes):
        theme = getattr(knowledge, "themes", {}).get(ident)
        if theme is not None and getattr(theme, "label", None):
            out[ident] = {lang: theme.label[lang] for lang in langs if theme.label.get(lang)}
    code = profile or report.get("country")
    if code:
        try:
            vector_labels = knowledge.profile(str(code)).vector_labels
        except Exception:  # no such profile: keep the built-in vector names
            vector_labels = {}
        for ident in sorted(vectors):
            label = vector_labels.get(ident)
            if label:
                out[ident] = {lang: label[lang] for lang in langs if label.get(lang)}
    return {k: v for k, v in out.items() if v}


# --- partner vectors -------------------------------------------------------------------------

VECTORS: dict[str, tuple[str, str]] = {
    "russia": ("Russia", "Россия"),
    "china": ("China", "Китай"),
    "usa": ("USA", "США"),
    "europe": ("Europe", "Европа"),
    "west": ("The West", "Запад"),
    "turkic": ("Turkic world", "Тюркский мир"),
    "central_asia": ("Central Asia", "Центральная Азия"),
    "east_asia": ("East Asia", "Восточная Азия"),
    "middle_east": ("Middle East", "Ближний Восток"),
    "south_asia": ("South Asia", "Южная Азия"),
    "south_caucasus": ("South Caucasus", "Южный Кавказ"),
    "gulf": ("Gulf states", "Страны Залива"),
    "africa": ("Africa", "Африка"),
    "latin_america": ("Latin America", "Латинская Америка"),
    "multilateral": ("Multilateral formats", "Многосторонние форматы"),
    "international": ("International organisations", "Международные организации"),
    "other": ("Other", "Прочие"),
}


def humanize(ident: str) -> str:
    """`central_asia` -> `Central asia`; used only when no table knows the id."""
    text = ident.replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else ident


def vector_name(vector: str, lang: str) -> str:
    names = VECTORS.get(vector)
    if names:
        return names[0] if lang == "en" else names[1]
    return humanize(vector)


# --- actors --------------------------------------------------------------------------------

ORGS: dict[str, tuple[str, str]] = {
    "EU": ("EU", "ЕС"),
    "EAEU": ("EAEU", "ЕАЭС"),
    "SCO": ("SCO", "ШОС"),
    "CSTO": ("CSTO", "ОДКБ"),
    "BRICS": ("BRICS", "БРИКС"),
    "UN": ("UN", "ООН"),
    "OSCE": ("OSCE", "ОБСЕ"),
    "CICA": ("CICA", "СВМДА"),
    "OTS": ("OTS", "ОТГ"),
    "IAEA": ("IAEA", "МАГАТЭ"),
    "NATO": ("NATO", "НАТО"),
    "OPEC": ("OPEC", "ОПЕК"),
    "CIS": ("CIS", "СНГ"),
    "WTO": ("WTO", "ВТО"),
}

# Names as analysts write them, where the ISO name is formal ("Russian Federation").
# The third item is the English form after "of" in the title.
_COUNTRY_NAMES: dict[str, tuple[str, str, str]] = {
    "RU": ("Russia", "Россия", "Russia"),
    "US": ("United States", "США", "the United States"),
    "GB": ("United Kingdom", "Великобритания", "the United Kingdom"),
    "KR": ("South Korea", "Южная Корея", "South Korea"),
    "KP": ("North Korea", "КНДР", "North Korea"),
    "KG": ("Kyrgyzstan", "Кыргызстан", "Kyrgyzstan"),
    "IR": ("Iran", "Иран", "Iran"),
    "AE": ("United Arab Emirates", "ОАЭ", "the United Arab Emirates"),
    "SY": ("Syria", "Сирия", "Syria"),
    "MD": ("Moldova", "Молдова", "Moldova"),
    "VN": ("Vietnam", "Вьетнам", "Vietnam"),
    "TR": ("Türkiye", "Турция", "Türkiye"),
}


@functools.cache
def _iso_catalogue():
    import gettext

    import pycountry

    try:
        ru = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["ru"])
    except OSError:  # a pycountry without the catalogue: English names only
        ru = gettext.NullTranslations()
    return pycountry, ru


def country_name(code: str, lang: str) -> str | None:
    """Display name of an ISO 3166-1 alpha-2 code, or None when it is not a country code."""
    if not code or len(code) != 2 or not code.isalpha() or not code.isupper():
        return None
    known = _COUNTRY_NAMES.get(code)
    if known:
        return known[0] if lang == "en" else known[1]
    pycountry, ru = _iso_catalogue()
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return None
    en = getattr(country, "common_name", None) or country.name
    return en if lang == "en" else ru.gettext(en)


def country_of(code: str | None, lang: str) -> str | None:
    """The country as it stands in the title: "of {Kazakhstan}" / "политики {Казахстана}"."""
    if not code:
        return None
    code = code.upper()
    if lang == "en":
        known = _COUNTRY_NAMES.get(code)
        return known[2] if known else country_name(code, "en") or code
    name = country_name(code, "ru")
    if name is None:
        return code
    return genitive_ru(name)


@functools.cache
def _morph():
    try:
        import pymorphy3
    except ImportError:  # pragma: no cover - pymorphy3 is a dependency
        return None
    return pymorphy3.MorphAnalyzer()


def genitive_ru(name: str) -> str:
    """Inflect a Russian name to the genitive word by word, keeping capitals and fixed forms."""
    morph = _morph()
    if morph is None or "," in name:
        return name
    out = []
    for word in name.split(" "):
        parses = [p for p in morph.parse(word) if "nomn" in p.tag] or morph.parse(word)
        parse = parses[0]
        if "Fixd" in parse.tag or word.isupper():
            out.append(word)
            continue
        form = parse.inflect({"gent"})
        if form is None:
            out.append(word)
            continue
        new = form.word
        if word[:1].isupper():
            new = new[:1].upper() + new[1:]
        out.append(new)
    return " ".join(out)


def actor_name(actor: str, lang: str) -> str:
    """Country codes and organisation acronyms get names; other ids read as written."""
    if actor in ORGS:
        return ORGS[actor][0] if lang == "en" else ORGS[actor][1]
    country = country_name(actor, lang)
    if country:
        return country
    if re.fullmatch(r"[a-z0-9_]+", actor):  # people: lower-case slugs
        return " ".join(part[:1].upper() + part[1:] for part in actor.split("_") if part)
    return actor  # companies (ROSATOM) and anything else


# --- languages of posts, months, plurals --------------------------------------------------------

POST_LANGS: dict[str, tuple[str, str]] = {
    "ru": ("Russian", "русский"),
    "kk": ("Kazakh", "казахский"),
    "en": ("English", "английский"),
    "uz": ("Uzbek", "узбекский"),
    "ky": ("Kyrgyz", "киргизский"),
    "zh": ("Chinese", "китайский"),
}


def post_lang_name(code: str, lang: str) -> str:
    names = POST_LANGS.get(code)
    if not names:
        return code
    return names[0] if lang == "en" else names[1]


MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    # genitive, as in "12 марта 2024"
    "ru": ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября", "ноября", "декабря"),
}  # fmt: skip


def plural_ru(n: int, one: str, few: str, many: str) -> str:
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def count_noun(n: int, noun: str, lang: str, formatted: str | None = None) -> str:
    """'1 post', '5 posts', '21 пост', '3 поста'; `noun` is one of the keys below."""
    shown = formatted if formatted is not None else str(n)
    if lang == "en":
        singular, plural = _EN_NOUNS[noun]
        return f"{shown} {singular if n == 1 else plural}"
    return f"{shown} {plural_ru(n, *_RU_NOUNS[noun])}"


_EN_NOUNS = {
    "post": ("post", "posts"),
    "channel": ("channel", "channels"),
    "from_channel": ("channel", "channels"),
    "source": ("source", "sources"),
}
_RU_NOUNS = {
    "post": ("пост", "поста", "постов"),
    "channel": ("канал", "канала", "каналов"),
    "from_channel": ("канала", "каналов", "каналов"),  # after «из»
    "source": ("источник", "источника", "источников"),
}
