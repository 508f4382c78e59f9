"""Words the reports print, in English, Russian and Kazakh: headings, the method, names, months.

Nothing here knows a particular country. Names of actors, themes and vectors come first from
the knowledge files (`report_names` puts them into the report as `names: {id: {lang: name}}`);
the tables below are the fallback for a report that carries none. Country names then come from
a short table of the names analysts actually write ("Russia", not "Russian Federation"), then
pycountry's gettext catalogue (ru) or the CLDR data of babel (kk). Russian needs the genitive in
the title ("...внешней политики Казахстана"), which pymorphy3 inflects word by word; the Kazakh
title puts the country before «сыртқы саясатының» unchanged, as Kazakh does.
"""

from __future__ import annotations

import functools
import re

LANGS = ("en", "ru", "kk")

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
        "h_coverage": "What the data covers",
        "coverage_span": "Posts dated {first} – {last}.",
        "coverage_months": "Posts per month",
        "coverage_total": "Total",
        "col_year": "Year",
        "warning": "Read with care",
        "share": "Share of posts",
        "share_change": "{prev} in {prev_year} → {cur} in {year}",
        "share_alone": "{cur} in {year} ({prev_year}: no post in scope to compare with)",
        "growth": "growth {g}",
        "change": "Change",
        "new": "new this year",
        "weeks": "Weeks present",
        "title_voice": "voices: {voice}",
        "voice_guessed": "guessed from its posts",
        "voices": "Voices",
        "h_voices": "Who speaks",
        "voices_note": "Each trend's posts by the kind of channel that first published them (channels.yaml, or a guess from the genres of a channel's posts).",
        "col_trend": "Trend",
        "voices_channels": "Channels",
        "new_period": "new in this period",
        "summary_trend_new_period": "new in this period",
        "share_change_period": "{prev} in {prev_year} → {cur} in {year}",
        "summary_trend_flat_period": "as in {prev_year}",
        "summary_trends_period": "The leading trends were {items}.",
        "summary_trend_change_period": "up from {prev}",
        "summary_trend_fall_period": "down from {prev}",
        "summary_event_period": "The top event of the period was “{title}” ({dates}, {sources}).",
        "entropy_period": "Spread of attention across partners (normalised Shannon entropy: 0 = one partner only, 1 = evenly split): {cur} ({prev} in {prev_year}).",
        "hhi_period": "Concentration (Herfindahl–Hirschman index, the sum of squared shares: higher = more concentrated, {even} = evenly split): {cur} ({prev} in {prev_year}).",
        "summary_spread_up_period": "Overall, attention was spread more evenly across partners than in {prev_year} (entropy {prev} → {cur}).",
        "summary_spread_down_period": "Overall, attention was more concentrated on fewer partners than in {prev_year} (entropy {prev} → {cur}).",
        "posts": "Posts",
        "channels": "Channels",
        "months": "Months present",
        "months_value": "{n} of {total}",
        "actors": "Main actors",
        "top_channels": "Most active channels",
        "languages": "Languages",
        "score": "Score",
        "partners": "Partners in the theme's posts",
        "terms": "Key terms",
        "evidence": "What was said",
        "why": "Why it ranks here",
        "topic_note": "found in the posts without the theme list",
        "quote_lang": "quote in {language}",
        "col_rank": "#",
        "col_event": "Event",
        "col_dates": "Dates",
        "col_posts": "Posts",
        "col_sources": "Sources",
        "col_actors": "Actors",
        "col_themes": "Themes",
        "col_partner": "Partner",
        "col_shift": "Shift",
        "other": "Other",
        "burst": "burst",
        "entropy": "Spread of attention across partners (normalised Shannon entropy: 0 = one partner only, 1 = evenly split): {cur} ({prev} in {prev_year}).",
        "hhi": "Concentration (Herfindahl–Hirschman index, the sum of squared shares: higher = more concentrated, {even} = evenly split): {cur} ({prev} in {prev_year}).",
        "chart_vectors": "Partner vectors: share of partner attention by month",
        "chart_trends": "Top trends: share of posts by month, bursts marked",
        "chart_files": "Charts",
        "no_data": "No data.",
        "method_content": (
            "Shares are of the year's in-scope posts, each duplicate group counted once (forwards and "
            "copies measure amplification, not content)."
        ),
        "method_trend": "A trend's score adds up parts that can be read one by one: {parts}.",
        "method_weight": "weight {w}",
        "method_partners": (
            "“Partners in the theme's posts” gives each partner vector's share of the partner mentions "
            "in that theme's posts: whom the posts are about, not who drives the theme."
        ),
        "method_events": (
            "Events are bursts of posts close in time with the same actors and similar words, ranked by "
            "distinct sources, volume, duration and the weight of the actors."
        ),
        "method_terms": (
            "Key terms are the words and phrases that set a theme's posts apart from the others "
            "(class-based TF-IDF over lemmas), shown as the posts most often write them and taken from "
            "the posts in the report's language where there are enough of them."
        ),
        "method_quotes": (
            "Quotes are verbatim sentences from the posts; the reference after each is its post id, and "
            "a quote in another language than the report's is marked with its language code ({codes})."
        ),
        "parameters": "Parameters",
        "all_parameters": "All parameters",
        "summary_trends": "The leading trends were {items}.",
        "summary_trend_item": "“{label}” ({cur} of posts, {change})",
        "summary_trend_item_alone": "“{label}” ({cur} of posts)",
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
        "yes": "yes",
        "no": "no",
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
        "h_coverage": "На чём основан отчёт",
        "coverage_span": "Посты с {first} по {last}.",
        "coverage_months": "Постов по месяцам",
        "coverage_total": "Всего",
        "col_year": "Год",
        "warning": "Внимание",
        "share": "Доля постов",
        "share_change": "{prev} в {prev_year} → {cur} в {year}",
        "share_alone": "{cur} в {year} (за {prev_year} нет постов по теме для сравнения)",
        "growth": "рост {g}",
        "change": "Изменение",
        "new": "новая тема года",
        "weeks": "Недель присутствия",
        "title_voice": "голоса: {voice}",
        "voice_guessed": "по жанрам постов",
        "voices": "Голоса",
        "h_voices": "Кто говорит",
        "voices_note": "Посты каждого тренда по типу канала, который их опубликовал первым (channels.yaml или догадка по жанрам постов канала).",
        "col_trend": "Тренд",
        "voices_channels": "Каналы",
        "new_period": "новая тема периода",
        "summary_trend_new_period": "новая тема периода",
        "share_change_period": "{prev} ({prev_year}) → {cur} ({year})",
        "summary_trend_flat_period": "как и в предыдущем периоде ({prev_year})",
        "summary_trends_period": "Главные тренды периода — {items}.",
        "summary_trend_change_period": "против {prev} в предыдущем периоде",
        "summary_trend_fall_period": "против {prev} в предыдущем периоде",
        "summary_event_period": "Главное событие периода — «{title}» ({dates}, {sources}).",
        "entropy_period": "Равномерность внимания к партнёрам (нормированная энтропия Шеннона: 0 — один партнёр, 1 — поровну): {cur} (за {prev_year} — {prev}).",
        "hhi_period": "Концентрация (индекс Херфиндаля — Хиршмана, сумма квадратов долей: выше — концентрированнее, {even} — поровну): {cur} (за {prev_year} — {prev}).",
        "summary_spread_up_period": "В целом внимание распределилось между партнёрами равномернее, чем в предыдущем периоде ({prev_year}; энтропия {prev} → {cur}).",
        "summary_spread_down_period": "В целом внимание сосредоточилось на меньшем числе партнёров, чем в предыдущем периоде ({prev_year}; энтропия {prev} → {cur}).",
        "posts": "Постов",
        "channels": "Каналов",
        "months": "Месяцев присутствия",
        "months_value": "{n} из {total}",
        "actors": "Главные участники",
        "top_channels": "Самые активные каналы",
        "languages": "Языки",
        "score": "Балл",
        "partners": "Партнёры в постах темы",
        "terms": "Ключевые слова",
        "evidence": "Что говорили",
        "why": "Почему на этом месте",
        "topic_note": "найдена в постах без словаря тем",
        "quote_lang": "цитата на языке: {language}",
        "col_rank": "№",
        "col_event": "Событие",
        "col_dates": "Даты",
        "col_posts": "Постов",
        "col_sources": "Источников",
        "col_actors": "Участники",
        "col_themes": "Темы",
        "col_partner": "Партнёр",
        "col_shift": "Сдвиг",
        "other": "Прочие",
        "burst": "всплеск",
        "entropy": "Равномерность внимания к партнёрам (нормированная энтропия Шеннона: 0 — один партнёр, 1 — поровну): {cur} ({prev} в {prev_year}).",
        "hhi": "Концентрация (индекс Херфиндаля — Хиршмана, сумма квадратов долей: выше — концентрированнее, {even} — поровну): {cur} ({prev} в {prev_year}).",
        "chart_vectors": "Направления: доля внимания к партнёрам по месяцам",
        "chart_trends": "Главные тренды: доля постов по месяцам, всплески отмечены",
        "chart_files": "Графики",
        "no_data": "Нет данных.",
        "method_content": (
            "Доли считаются от постов года по теме внешней политики; группа дубликатов учитывается один раз "
            "(пересылки и копии — мера охвата, а не содержания)."
        ),
        "method_trend": "Балл тренда складывается из частей, каждую из которых можно проверить: {parts}.",
        "method_weight": "вес {w}",
        "method_partners": (
            "«Партнёры в постах темы» — доля каждого направления среди упоминаний партнёров в постах этой "
            "темы: о ком пишут, а не кто двигает тему."
        ),
        "method_events": (
            "События — всплески постов, близких по времени, участникам и словам; ранжируются по числу "
            "источников, объёму, длительности и весу участников."
        ),
        "method_terms": (
            "Ключевые слова — слова и словосочетания, которые отличают посты темы от остальных (TF-IDF по "
            "классам на леммах), в том виде, в каком их чаще всего пишут посты, и по возможности из постов "
            "на языке отчёта."
        ),
        "method_quotes": (
            "Цитаты — дословные предложения из постов; ссылка после цитаты — id поста, а цитата на другом "
            "языке помечена его кодом ({codes})."
        ),
        "parameters": "Параметры",
        "all_parameters": "Все параметры",
        "summary_trends": "Главные тренды года — {items}.",
        "summary_trend_item": "«{label}» ({cur} постов, {change})",
        "summary_trend_item_alone": "«{label}» ({cur} постов)",
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
        "pp": "п.\u00a0п.",
        "yes": "да",
        "no": "нет",
    },
    "kk": {
        "title": "{country} сыртқы саясатының негізгі трендтері, {year}",
        "title_nocountry": "Сыртқы саясаттың негізгі трендтері, {year}",
        "based_on": "{channels} алынған {posts} негізінде, {first} – {last}.",
        "h_summary": "Қысқаша",
        "h_trends": "Негізгі трендтер",
        "h_events": "Басты оқиғалар",
        "h_balance": "Серіктестер теңгерімі",
        "h_charts": "Графиктер",
        "h_method": "Әдіс",
        "h_coverage": "Есеп неге сүйенеді",
        "coverage_span": "{first} – {last} аралығындағы жазбалар.",
        "coverage_months": "Айлар бойынша жазбалар",
        "coverage_total": "Барлығы",
        "col_year": "Жыл",
        "warning": "Назар аударыңыз",
        "share": "Жазбалар үлесі",
        "share_change": "{prev_year} жылы {prev} → {year} жылы {cur}",
        "share_alone": "{year} жылы {cur} ({prev_year} бойынша салыстыратын тақырыптық жазба жоқ)",
        "growth": "өсім {g}",
        "change": "Өзгеріс",
        "new": "жылдың жаңа тақырыбы",
        "weeks": "Кездескен апталар",
        "title_voice": "дауыстар: {voice}",
        "voice_guessed": "жазбаларының жанры бойынша",
        "voices": "Дауыстар",
        "h_voices": "Кім сөйлейді",
        "voices_note": "Әр трендтің жазбалары оларды алғаш жариялаған арнаның түрі бойынша (channels.yaml немесе арна жазбаларының жанрына қарап болжам).",
        "col_trend": "Тренд",
        "voices_channels": "Арналар",
        "new_period": "кезеңнің жаңа тақырыбы",
        "summary_trend_new_period": "кезеңнің жаңа тақырыбы",
        "share_change_period": "{prev} ({prev_year}) → {cur} ({year})",
        "summary_trend_flat_period": "алдыңғы кезеңдегідей ({prev_year})",
        "summary_trends_period": "Кезеңнің басты трендтері — {items}.",
        "summary_trend_change_period": "алдыңғы кезеңде {prev} болған",
        "summary_trend_fall_period": "алдыңғы кезеңде {prev} болған",
        "summary_event_period": "Кезеңнің басты оқиғасы — «{title}» ({dates}, {sources}).",
        "entropy_period": "Серіктестерге назардың біркелкілігі (Шеннонның нормаланған энтропиясы: 0 — бір ғана серіктес, 1 — тең бөлінген): {cur} ({prev_year}: {prev}).",
        "hhi_period": "Шоғырлану (Херфиндаль — Хиршман индексі, үлестер квадраттарының қосындысы: жоғары болған сайын шоғырлана түседі, {even} — тең бөлінген): {cur} ({prev_year}: {prev}).",
        "summary_spread_up_period": "Жалпы алғанда, назар серіктестер арасында алдыңғы кезеңге ({prev_year}) қарағанда біркелкі бөлінді (энтропия {prev} → {cur}).",
        "summary_spread_down_period": "Жалпы алғанда, назар алдыңғы кезеңге ({prev_year}) қарағанда азырақ серіктеске шоғырланды (энтропия {prev} → {cur}).",
        "posts": "Жазбалар",
        "channels": "Арналар",
        "months": "Кездескен айлар",
        "months_value": "{n} / {total}",
        "actors": "Негізгі қатысушылар",
        "top_channels": "Ең белсенді арналар",
        "languages": "Тілдер",
        "score": "Балл",
        "partners": "Тақырып жазбаларындағы серіктестер",
        "terms": "Негізгі сөздер",
        "evidence": "Не айтылды",
        "why": "Неліктен осы орында",
        "topic_note": "тақырыптар тізімінсіз жазбалардан табылған",
        "quote_lang": "дәйексөз тілі: {language}",
        "col_rank": "№",
        "col_event": "Оқиға",
        "col_dates": "Күндері",
        "col_posts": "Жазбалар",
        "col_sources": "Дереккөздер",
        "col_actors": "Қатысушылар",
        "col_themes": "Тақырыптар",
        "col_partner": "Серіктес",
        "col_shift": "Ығысу",
        "other": "Басқалар",
        "burst": "серпін",
        "entropy": "Серіктестерге назардың біркелкілігі (Шеннонның нормаланған энтропиясы: 0 — бір ғана серіктес, 1 — тең бөлінген): {cur} ({prev_year} жылы {prev}).",
        "hhi": "Шоғырлану (Херфиндаль — Хиршман индексі, үлестер квадраттарының қосындысы: жоғары болған сайын шоғырлана түседі, {even} — тең бөлінген): {cur} ({prev_year} жылы {prev}).",
        "chart_vectors": "Серіктес бағыттары: айлар бойынша серіктестерге назар үлесі",
        "chart_trends": "Негізгі трендтер: айлар бойынша жазбалар үлесі, серпіндер белгіленген",
        "chart_files": "Графиктер",
        "no_data": "Дерек жоқ.",
        "method_content": (
            "Үлестер жылдың сыртқы саясатқа қатысты жазбаларынан есептеледі; көшірмелер тобы бір рет "
            "саналады (қайта жіберулер мен көшірмелер мазмұнды емес, таралуды өлшейді)."
        ),
        "method_trend": "Тренд балы әрқайсысын тексеруге болатын бөліктерден құралады: {parts}.",
        "method_weight": "салмағы {w}",
        "method_partners": (
            "«Тақырып жазбаларындағы серіктестер» — осы тақырып жазбаларында аталған серіктестер ішіндегі "
            "әр бағыттың үлесі: жазбалар кім туралы екенін көрсетеді, тақырыпты кім алға жылжытатынын емес."
        ),
        "method_events": (
            "Оқиғалар — уақыты, қатысушылары және сөздері жақын жазбалардың серпіндері; дереккөздер саны, "
            "көлемі, ұзақтығы және қатысушылардың салмағы бойынша реттеледі."
        ),
        "method_terms": (
            "Негізгі сөздер — тақырып жазбаларын басқалардан ерекшелейтін сөздер мен тіркестер (леммалар "
            "бойынша кластық TF-IDF), жазбаларда жиі жазылатын түрінде, мүмкіндігінше есеп тіліндегі "
            "жазбалардан алынған."
        ),
        "method_quotes": (
            "Дәйексөздер — жазбалардан алынған сөзбе-сөз сөйлемдер; әрқайсысынан кейінгі сілтеме — жазбаның "
            "id-і, ал есеп тілінен өзге тілдегі дәйексөз тіл кодымен белгіленеді ({codes})."
        ),
        "parameters": "Параметрлер",
        "all_parameters": "Барлық параметрлер",
        "summary_trends": "Жылдың басты трендтері — {items}.",
        "summary_trend_item": "«{label}» (жазбалардың {cur}, {change})",
        "summary_trend_item_alone": "«{label}» (жазбалардың {cur})",
        "summary_trend_change": "бір жыл бұрын {prev} болған",
        "summary_trend_fall": "бір жыл бұрын {prev} болған",
        "summary_trend_flat": "{prev_year} жылғыдай",
        "summary_trend_new": "жылдың жаңа тақырыбы",
        "summary_event": "Жылдың басты оқиғасы — «{title}» ({dates}, {sources}).",
        "summary_shift": "Серіктестер ішінде ең үлкен ығысу — «{vector}»: {shift}, серіктестерге назардың {cur}",
        "summary_shift_other": "; қарсы бағыттағы ең үлкен ығысу — «{vector}» ({shift})",
        "summary_spread_up": "Жалпы алғанда, назар серіктестер арасында {prev_year} жылға қарағанда біркелкі бөлінді (энтропия {prev} → {cur}).",
        "summary_spread_down": "Жалпы алғанда, назар {prev_year} жылға қарағанда азырақ серіктеске шоғырланды (энтропия {prev} → {cur}).",
        "summary_spread_flat": "Серіктестерге назардың жалпы біркелкілігі іс жүзінде өзгерген жоқ (энтропия {prev} → {cur}).",
        "and": "және",
        "pp": "п.\u00a0т.",
        "yes": "иә",
        "no": "жоқ",
    },
}


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"unknown report language {lang!r}: choose one of {', '.join(LANGS)}")
    return lang


def t(key: str, lang: str) -> str:
    return TEXT[lang][key]


def _pick(names: tuple, lang: str) -> str:
    """A name from an (en, ru, kk) table row (English when the language has none)."""
    i = LANGS.index(lang)
    return (names[i] if i < len(names) else None) or names[0]


# The parts of a trend's score: the name shown, and what it measures (for the Method section).
# Parts another version of the scorer adds without a line here are shown by their id.
COMPONENTS: dict[str, dict[str, tuple[str, str]]] = {
    "salience": {
        "en": ("salience", "its share of the year"),
        "ru": ("заметность", "доля в году"),
        "kk": ("айқындылық", "жылдағы үлесі"),
    },
    "change": {
        "en": ("change", "against the year before, as smoothed log-odds"),
        "ru": ("изменение", "к прошлому году, сглаженные лог-шансы"),
        "kk": ("өзгеріс", "өткен жылмен салыстырғанда, тегістелген лог-шанс"),
    },
    "breadth": {
        "en": ("breadth", "channels, languages and voices that carry it"),
        "ru": ("широта", "каналы, языки и голоса, которые о ней пишут"),
        "kk": ("ауқым", "ол туралы жазатын арналар, тілдер мен дауыстар"),
    },
    "persistence": {
        "en": ("persistence", "months present"),
        "ru": ("устойчивость", "месяцы присутствия"),
        "kk": ("тұрақтылық", "кездескен айлар"),
    },
    "concentration": {
        "en": ("concentration", "how much of it sits in one burst; counts against it"),
        "ru": ("концентрация", "какая часть приходится на один всплеск; снижает балл"),
        "kk": ("шоғырлану", "оның қаншасы бір серпінге келеді; балды төмендетеді"),
    },
    "reflection": {
        "en": ("reflection", "the share of analysis and commentary among its posts"),
        "ru": ("осмысление", "доля аналитики и комментариев в её постах"),
        "kk": ("пайымдау", "жазбаларындағы талдау мен пікірлердің үлесі"),
    },
    "prior": {
        "en": ("prior", "how much the theme is expected to matter for the country's foreign policy"),
        "ru": ("априорный вес", "насколько тема важна для внешней политики страны заранее"),
        "kk": ("априорлық салмақ", "тақырыптың ел сыртқы саясаты үшін алдын ала маңызы"),
    },
    "voices": {
        "en": ("voices", "the kinds of sources that write about it"),
        "ru": ("голоса", "типы источников, которые о ней пишут"),
        "kk": ("дауыстар", "ол туралы жазатын дереккөз түрлері"),
    },
}


def component_name(key: str, lang: str) -> str:
    entry = COMPONENTS.get(key)
    return entry[lang][0] if entry else humanize(key).lower()


def component_description(key: str, lang: str) -> str | None:
    entry = COMPONENTS.get(key)
    return entry[lang][1] if entry else None


# Parameter values that are words, not numbers: shown in the report's language.
PARAMETER_VALUES: dict[str, dict[str, str]] = {
    "month": {"ru": "месяц", "kk": "ай"},
    "quarter": {"ru": "квартал", "kk": "тоқсан"},
    "week": {"ru": "неделя", "kk": "апта"},
    "previous year": {"ru": "предыдущий год", "kk": "алдыңғы жыл"},
    "preceding period": {"ru": "предыдущий период той же длины", "kk": "ұзақтығы сондай алдыңғы кезең"},
    "auto": {"ru": "авто", "kk": "авто"},
    "one post per duplicate group (its earliest post), in scope": {
        "ru": "один пост на группу дубликатов (самый ранний), только посты по теме",
        "kk": "көшірмелер тобына бір жазба (ең ертесі), тек тақырыпқа қатысты жазбалар",
    },
}


def parameter_value(value: str, lang: str) -> str:
    return PARAMETER_VALUES.get(value, {}).get(lang, value)


def known_name(names: dict | None, ident: str, lang: str) -> str | None:
    """A display name the report itself carries (optional `names: {id: {lang: name}}`)."""
    entry = (names or {}).get(ident)
    if isinstance(entry, dict) and entry.get(lang):
        return str(entry[lang])
    if isinstance(entry, str) and entry:
        return entry
    return None


def _actor_display(actor, ident: str, lang: str) -> str | None:
    """How the report names a knowledge actor: blocs by their usual acronym (ШОС, ШЫҰ), the
    rest by their display name in the language (Росатом, Касым-Жомарт Токаев, С5+1)."""
    short = ORGS.get(ident, ())[LANGS.index(lang)] if ident in ORGS else None
    names = getattr(actor, "names", None) or {}
    return short or names.get(lang) or (_pick(ORGS[ident], lang) if ident in ORGS else None)


def report_names(report: dict, knowledge, profile: str | None = None, langs=LANGS) -> dict:
    """Display names, from the knowledge files, of every id a report mentions.

    Meant for the report builder: put the result in `report["names"]` and the renderer (and any
    reader of the JSON) shows "Касым-Жомарт Токаев" instead of `tokayev` and «Росатом» instead of
    `ROSATOM`. `knowledge` is a `multivector.knowledge` Knowledge (anything with `.actors`,
    `.themes`, `.profile(code)`).
    """
    actors: set[str] = set()
    themes: set[str] = set()
    vectors: set[str] = set()
    for trend in report.get("trends") or []:
        if not str(trend.get("theme") or "").startswith("topic:"):
            themes.add(str(trend.get("theme")))
        for p in trend.get("partners") or []:
            (vectors if p.get("vector") else actors).add(str(p.get("vector") or p.get("actor")))
        actors.update(str(a.get("actor")) for a in trend.get("actors") or [] if isinstance(a, dict))
    for event in report.get("events") or []:
        actors.update(str(a) for a in event.get("actors") or [])
        themes.update(str(th) for th in event.get("themes") or [])
    vectors.update(str(p.get("vector")) for p in (report.get("balance") or {}).get("partners") or [])
    vectors.update(str(v) for v in ((report.get("series") or {}).get("vectors") or {}))
    if report.get("country"):
        actors.add(str(report["country"]).upper())
    out: dict[str, dict[str, str]] = {}
    known_actors = getattr(knowledge, "actors", {}) or {}
    for ident in sorted(actors):
        actor = known_actors.get(ident)
        if actor is None and ident not in ORGS:
            continue
        entry = {lang: _actor_display(actor, ident, lang) for lang in langs}
        out[ident] = {lang: name for lang, name in entry.items() if name}
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

VECTORS: dict[str, tuple[str, str, str]] = {
    "russia": ("Russia", "Россия", "Ресей"),
    "china": ("China", "Китай", "Қытай"),
    "usa": ("USA", "США", "АҚШ"),
    "europe": ("Europe", "Европа", "Еуропа"),
    "west": ("The West", "Запад", "Батыс"),
    "turkic": ("Turkic world", "Тюркский мир", "Түркі әлемі"),
    "central_asia": ("Central Asia", "Центральная Азия", "Орталық Азия"),
    "east_asia": ("East Asia", "Восточная Азия", "Шығыс Азия"),
    "southeast_asia": ("Southeast Asia", "Юго-Восточная Азия", "Оңтүстік-Шығыс Азия"),
    "middle_east": ("Middle East", "Ближний Восток", "Таяу Шығыс"),
    "south_asia": ("South Asia", "Южная Азия", "Оңтүстік Азия"),
    "south_caucasus": ("South Caucasus", "Южный Кавказ", "Оңтүстік Кавказ"),
    "gulf": ("Gulf states", "Страны Залива", "Парсы шығанағы елдері"),
    "africa": ("Africa", "Африка", "Африка"),
    "latin_america": ("Latin America", "Латинская Америка", "Латын Америкасы"),
    "multilateral": ("Multilateral formats", "Многосторонние форматы", "Көпжақты форматтар"),
    "international": ("International organisations", "Международные организации", "Халықаралық ұйымдар"),
    "other": ("Other", "Прочие", "Басқалар"),
}


def humanize(ident: str) -> str:
    """`central_asia` -> `Central asia`; used only when no table knows the id."""
    text = ident.replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else ident


def vector_name(vector: str, lang: str) -> str:
    names = VECTORS.get(vector)
    return _pick(names, lang) if names else humanize(vector)


# --- actors --------------------------------------------------------------------------------

# Blocs and organisations by the acronym each language writes.
ORGS: dict[str, tuple[str, str, str | None]] = {
    "EU": ("EU", "ЕС", "ЕО"),
    "EAEU": ("EAEU", "ЕАЭС", "ЕАЭО"),
    "SCO": ("SCO", "ШОС", "ШЫҰ"),
    "CSTO": ("CSTO", "ОДКБ", "ҰҚШҰ"),
    "BRICS": ("BRICS", "БРИКС", "БРИКС"),
    "UN": ("UN", "ООН", "БҰҰ"),
    "OSCE": ("OSCE", "ОБСЕ", "ЕҚЫҰ"),
    "CICA": ("CICA", "СВМДА", "АӨСШК"),
    "OTS": ("OTS", "ОТГ", "ТМҰ"),
    "IAEA": ("IAEA", "МАГАТЭ", "МАГАТЭ"),
    "NATO": ("NATO", "НАТО", "НАТО"),
    "OPEC": ("OPEC", "ОПЕК", "ОПЕК"),
    "CIS": ("CIS", "СНГ", "ТМД"),
    "WTO": ("WTO", "ВТО", "ДСҰ"),
    "IMF": ("IMF", "МВФ", "ХВҚ"),
    "EBRD": ("EBRD", "ЕБРР", None),  # None: the knowledge file's full name in that language
    "ADB": ("ADB", "АБР", None),
    "AIIB": ("AIIB", "АБИИ", None),
    "EDB": ("EDB", "ЕАБР", None),
    "GCC": ("GCC", "ССАГПЗ", None),
    "G20": ("G20", "G20", "G20"),
    "G7": ("G7", "G7", "G7"),
}

# Names as analysts write them, where the ISO name is formal ("Russian Federation").
# (English, Russian, Kazakh, English after "of" in the title)
_COUNTRY_NAMES: dict[str, tuple[str, str, str, str]] = {
    "RU": ("Russia", "Россия", "Ресей", "Russia"),
    "US": ("United States", "США", "АҚШ", "the United States"),
    "GB": ("United Kingdom", "Великобритания", "Ұлыбритания", "the United Kingdom"),
    "KR": ("South Korea", "Южная Корея", "Оңтүстік Корея", "South Korea"),
    "KP": ("North Korea", "КНДР", "КХДР", "North Korea"),
    "KG": ("Kyrgyzstan", "Кыргызстан", "Қырғызстан", "Kyrgyzstan"),
    "IR": ("Iran", "Иран", "Иран", "Iran"),
    "AE": ("United Arab Emirates", "ОАЭ", "БАӘ", "the United Arab Emirates"),
    "SY": ("Syria", "Сирия", "Сирия", "Syria"),
    "MD": ("Moldova", "Молдова", "Молдова", "Moldova"),
    "VN": ("Vietnam", "Вьетнам", "Вьетнам", "Vietnam"),
    "TR": ("Türkiye", "Турция", "Түркия", "Türkiye"),
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


def _cldr_territory(code: str, lang: str) -> str | None:
    try:
        from babel import Locale

        return Locale.parse(lang).territories.get(code)
    except Exception:  # babel without this locale: no name
        return None


def country_name(code: str, lang: str) -> str | None:
    """Display name of an ISO 3166-1 alpha-2 code, or None when it is not a country code."""
    if not code or len(code) != 2 or not code.isalpha() or not code.isupper():
        return None
    known = _COUNTRY_NAMES.get(code)
    if known:
        return known[LANGS.index(lang)]
    pycountry, ru = _iso_catalogue()
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return None
    en = getattr(country, "common_name", None) or country.name
    if lang == "en":
        return en
    if lang == "ru":
        return ru.gettext(en)
    return _cldr_territory(code, lang) or en


def country_of(code: str | None, lang: str, names: dict | None = None) -> str | None:
    """The country as it stands in the title: "of {Kazakhstan}" / "политики {Казахстана}" /
    "{Қазақстан} сыртқы саясатының"."""
    if not code:
        return None
    code = code.upper()
    if lang == "en":
        known = _COUNTRY_NAMES.get(code)
        return known[3] if known else known_name(names, code, "en") or country_name(code, "en") or code
    name = known_name(names, code, lang) or country_name(code, lang)
    if name is None:
        return code
    return genitive_ru(name) if lang == "ru" else name


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
    """Country codes and organisation acronyms get names; other ids read as written.

    Only the fallback: a report built with the knowledge files carries every actor's name
    in `names` (people, companies and formats included)."""
    if actor in ORGS:
        return _pick(ORGS[actor], lang)
    country = country_name(actor, lang)
    if country:
        return country
    if re.fullmatch(r"[a-z0-9_]+", actor):  # people: lower-case slugs
        return " ".join(part[:1].upper() + part[1:] for part in actor.split("_") if part)
    return actor  # companies (ROSATOM) and anything else


# --- languages of posts, months, plurals --------------------------------------------------------

POST_LANGS: dict[str, tuple[str, str, str]] = {
    "ru": ("Russian", "русский", "орыс тілі"),
    "kk": ("Kazakh", "казахский", "қазақ тілі"),
    "en": ("English", "английский", "ағылшын тілі"),
    "uz": ("Uzbek", "узбекский", "өзбек тілі"),
    "ky": ("Kyrgyz", "киргизский", "қырғыз тілі"),
    "zh": ("Chinese", "китайский", "қытай тілі"),
}


def post_lang_name(code: str, lang: str) -> str:
    names = POST_LANGS.get(code)
    return _pick(names, lang) if names else code


MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    # genitive, as in "12 марта 2024"
    "ru": ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября", "ноября", "декабря"),
    # as in "2024 жылғы 12 наурыз"
    "kk": ("қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым", "шілде", "тамыз", "қыркүйек", "қазан", "қараша", "желтоқсан"),
}  # fmt: skip

# Month names as column heads and chart labels (three letters, as d3 writes them in ru-RU).
MONTHS_SHORT = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "ru": ("янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"),
    "kk": ("қаң", "ақп", "нау", "сәу", "мам", "мау", "шіл", "там", "қыр", "қаз", "қар", "жел"),
}  # fmt: skip


def plural_ru(n: int, one: str, few: str, many: str) -> str:
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def count_noun(n: int, noun: str, lang: str, formatted: str | None = None) -> str:
    """'1 post', '5 posts', '21 пост', '3 поста', '5 жазба'; `noun` is one of the keys below."""
    shown = formatted if formatted is not None else str(n)
    if lang == "en":
        singular, plural = _EN_NOUNS[noun]
        return f"{shown} {singular if n == 1 else plural}"
    if lang == "kk":  # a Kazakh noun after a numeral stays singular
        return f"{shown} {_KK_NOUNS[noun]}"
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
_KK_NOUNS = {
    "post": "жазба",
    "channel": "арна",
    "from_channel": "арнадан",  # "{n} арнадан алынған"
    "source": "дереккөз",
}


# --- voices: the kinds of channel (knowledge/channels.py) ------------------------------------

VOICES: dict[str, tuple[str, str, str]] = {
    "official": ("official", "официальные", "ресми"),
    "state_media": ("state media", "государственные СМИ", "мемлекеттік БАҚ"),
    "independent_media": ("independent media", "независимые СМИ", "тәуелсіз БАҚ"),
    "analyst": ("analysts", "аналитики", "сарапшылар"),
    "aggregator": ("aggregators", "агрегаторы", "агрегаторлар"),
    "foreign_media": ("foreign media", "зарубежные СМИ", "шетелдік БАҚ"),
    "media": ("news media", "СМИ", "БАҚ"),
    "": ("unknown", "неизвестно", "белгісіз"),
}


def voice_name(kind: str, lang: str) -> str:
    names = VOICES.get(kind)
    return _pick(names, lang) if names else humanize(kind)


# --- periods ---------------------------------------------------------------------------------

# Month names standing alone (a period "July 2024"), not inside a date.
MONTHS_NOMINATIVE = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"),
    "ru": ("январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь"),
    "kk": ("қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым", "шілде", "тамыз", "қыркүйек", "қазан", "қараша", "желтоқсан"),
}  # fmt: skip
_ROMAN = ("I", "II", "III", "IV")


def period_name(period: dict | None, lang: str, fmt_range=None) -> str | None:
    """A report's period as a reader says it: "2024", "Q3 2024" / "III квартал 2024" /
    "2024 жылғы III тоқсан", "July 2024" / "июль 2024" / "2024 жылғы шілде", or a range of
    days (formatted by `fmt_range(start, end, lang)` when given)."""
    if not isinstance(period, dict) or not period.get("start"):
        return None
    kind, start = period.get("kind"), str(period["start"])
    y, m = start[:4], int(start[5:7])
    if kind == "year":
        return y
    if kind == "quarter":
        q = _ROMAN[(m - 1) // 3]
        return {"en": f"Q{(m - 1) // 3 + 1} {y}", "ru": f"{q} квартал {y}", "kk": f"{y} жылғы {q} тоқсан"}[
            lang
        ]
    if kind == "month":
        name = MONTHS_NOMINATIVE[lang][m - 1]
        return f"{y} жылғы {name}" if lang == "kk" else f"{name} {y}"
    if fmt_range is not None:
        return fmt_range(period.get("start"), period.get("end"), lang)
    return f"{period.get('start')} – {period.get('end')}"


# --- coverage warnings -------------------------------------------------------------------------

COVERAGE_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "empty_period": "There are no posts in {label}: the report has nothing to stand on.",
        "empty_comparison": "There are no posts in {label}, the period it is compared with: changes and growth cannot be measured.",
        "partial_period": "The data covers {label} only from {first} to {last}: the period is partial, and its shares and ranks describe those days only.",
        "partial_comparison": "The comparison period {label} is covered only from {first} to {last}: changes against it compare a partial period with a full one.",
        "gap": "No posts at all in {months}: the monthly figures have holes there.",
        "channel_starts": "The channel “{channel}” ({posts}) begins only on {date}: earlier months lack its voice, so changes partly reflect who was collected.",
        "channel_stops": "The channel “{channel}” ({posts}) stops on {date}: later months lack its voice, so changes partly reflect who was collected.",
        "thin_period": "Only {posts} in scope in {label}: shares and scores rest on few posts.",
        "thin_comparison": "Only {posts} in scope in {label}, the comparison period: changes against it are rough.",
        "thin_months": "Fewer than {min} in-scope posts in {months}: the monthly figures there are noise.",
        "none_in_scope_period": "{label} holds {posts}, none of them in scope: the report has nothing to stand on.",
        "none_in_scope_comparison": "{label}, the period it is compared with, holds {posts}, none of them in scope: its shares are empty, and changes against it cannot be measured.",
        "channels_start": "{count} begin only after the data's first day: {list}: earlier months lack their voice, so changes partly reflect who was collected.",
        "channels_stop": "{count} stop before the data's last day: {list}: later months lack their voice, so changes partly reflect who was collected.",
        "more": "and {n} more",
    },
    "ru": {
        "empty_period": "За {label} нет ни одного поста: отчёту не на что опереться.",
        "empty_comparison": "За {label} — период сравнения — нет постов: изменения и рост измерить нельзя.",
        "partial_period": "Данные за {label} есть только с {first} по {last}: период неполный, доли и места описывают только эти дни.",
        "partial_comparison": "Период сравнения ({label}) покрыт только с {first} по {last}: изменения сравнивают неполный период с полным.",
        "gap": "Нет ни одного поста за {months}: в помесячных данных там пропуск.",
        "channel_starts": "Канал «{channel}» ({posts}) появляется только с {date}: в более ранних месяцах его голоса нет, и изменения отчасти отражают состав собранных каналов.",
        "channel_stops": "Канал «{channel}» ({posts}) обрывается после {date}: в более поздних месяцах его голоса нет, и изменения отчасти отражают состав собранных каналов.",
        "thin_period": "За {label} всего {posts} по теме: доли и баллы опираются на немногие посты.",
        "thin_comparison": "За {label} — период сравнения — всего {posts} по теме: изменения приблизительны.",
        "thin_months": "Меньше {min} постов по теме за {months}: помесячные цифры там — шум.",
        "none_in_scope_period": "За {label} собрано {posts}, но ни одного по теме: отчёту не на что опереться.",
        "none_in_scope_comparison": "За {label} — период сравнения — собрано {posts}, но ни одного по теме: его доли пусты, изменения измерить нельзя.",
        "channels_start": "{count} появляются только после начала данных: {list}; в более ранних месяцах их голоса нет, и изменения отчасти отражают состав собранных каналов.",
        "channels_stop": "{count} обрываются до конца данных: {list}; в более поздних месяцах их голоса нет, и изменения отчасти отражают состав собранных каналов.",
        "more": "и ещё {n}",
    },
    "kk": {
        "empty_period": "{label} бойынша бірде-бір жазба жоқ: есептің сүйенері жоқ.",
        "empty_comparison": "Салыстыру кезеңі ({label}) бойынша жазба жоқ: өзгеріс пен өсімді өлшеу мүмкін емес.",
        "partial_period": "{label} бойынша деректер тек {first} – {last} аралығында бар: кезең толық емес, үлестер мен орындар тек сол күндерді сипаттайды.",
        "partial_comparison": "Салыстыру кезеңі ({label}) тек {first} – {last} аралығында қамтылған: өзгерістер толық емес кезеңді толық кезеңмен салыстырады.",
        "gap": "{months} бойынша бірде-бір жазба жоқ: айлық деректерде онда олқылық бар.",
        "channel_starts": "«{channel}» арнасы ({posts}) тек {date} бастап жазады: ертерек айларда оның үні жоқ, сондықтан өзгерістер ішінара жиналған арналардың құрамын көрсетеді.",
        "channel_stops": "«{channel}» арнасы ({posts}) {date} кейін тоқтайды: кейінгі айларда оның үні жоқ, сондықтан өзгерістер ішінара жиналған арналардың құрамын көрсетеді.",
        "thin_period": "{label} бойынша тақырыпқа қатысты небәрі {posts}: үлестер мен балдар аз жазбаға сүйенеді.",
        "thin_comparison": "Салыстыру кезеңі ({label}) бойынша тақырыпқа қатысты небәрі {posts}: өзгерістер шамамен ғана.",
        "thin_months": "{months} бойынша тақырыпқа қатысты жазбалар {min}-ден аз: ол айлардағы цифрлар — шу.",
        "none_in_scope_period": "{label} бойынша {posts} жиналды, бірақ тақырыпқа қатыстысы жоқ: есептің сүйенері жоқ.",
        "none_in_scope_comparison": "Салыстыру кезеңі ({label}) бойынша {posts} жиналды, бірақ тақырыпқа қатыстысы жоқ: оның үлестері бос, өзгерісті өлшеу мүмкін емес.",
        "channels_start": "{count} деректердің басынан кейін ғана жаза бастайды: {list}; ертерек айларда олардың үні жоқ, сондықтан өзгерістер ішінара жиналған арналардың құрамын көрсетеді.",
        "channels_stop": "{count} деректердің соңына дейін тоқтайды: {list}; кейінгі айларда олардың үні жоқ, сондықтан өзгерістер ішінара жиналған арналардың құрамын көрсетеді.",
        "more": "тағы {n}",
    },
}


def _month_list(months: list[str], lang: str) -> str:
    names = []
    for m in months:
        y, mm = m[:4], int(m[5:7])
        name = MONTHS_NOMINATIVE[lang][mm - 1]
        names.append(f"{y} жылғы {name}" if lang == "kk" else f"{name} {y}")
    return ", ".join(names)


# Channels that start (or stop) mid-way are worded one by one up to this many; more are one
# sentence naming the largest of them, so that a folder of twenty channels collected at different
# times does not open its report with twenty warnings (`issues` keeps every one).
CHANNELS_ONE_BY_ONE = 3
CHANNELS_NAMED = 6


def coverage_warnings(issues: list[dict], lang: str) -> list[str]:
    """Every coverage issue as a sentence in the report's language, channels that start or stop
    mid-way gathered into one sentence each when there are more than CHANNELS_ONE_BY_ONE."""
    out: list[str] = []
    grouped = {
        kind: [i for i in issues if i.get("kind") == kind] for kind in ("channel_starts", "channel_stops")
    }
    for issue in issues:
        kind = issue.get("kind")
        group = grouped.get(str(kind))
        if group is None or len(group) <= CHANNELS_ONE_BY_ONE:
            out.append(coverage_warning(issue, lang))
        elif issue is group[0]:
            out.append(_channels_warning(group, lang))
    return out


def _channels_warning(group: list[dict], lang: str) -> str:
    texts = COVERAGE_TEXT[lang]
    largest = sorted(group, key=lambda i: (-int(i.get("posts") or 0), str(i.get("channel"))))
    left, right = ("“", "”") if lang == "en" else ("«", "»")
    named = [f"{left}{i['channel']}{right} ({i.get('date', '')})" for i in largest[:CHANNELS_NAMED]]
    if len(group) > CHANNELS_NAMED:
        named.append(texts["more"].format(n=len(group) - CHANNELS_NAMED))
    key = "channels_start" if group[0]["kind"] == "channel_starts" else "channels_stop"
    return texts[key].format(count=count_noun(len(group), "channel", lang), list=", ".join(named))


def coverage_warning(issue: dict, lang: str) -> str:
    """One coverage issue (analyze/coverage.py) as a sentence in the report's language."""
    kind = str(issue.get("kind"))
    key = f"{kind}_{issue['which']}" if kind in ("empty", "partial", "thin", "none_in_scope") else kind
    text = COVERAGE_TEXT[lang].get(key)
    if text is None:
        return kind
    period = {"kind": "year" if re.fullmatch(r"\d{4}", str(issue.get("label", ""))) else None}
    label = str(issue.get("label") or "")
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", label):
        period = {"kind": "quarter", "start": f"{m[1]}-{3 * int(m[2]) - 2:02d}-01"}
    elif re.fullmatch(r"\d{4}-\d{2}", label):
        period = {"kind": "month", "start": f"{label}-01"}
    shown = period_name(period, lang) if period.get("start") else label
    if period.get("kind") == "year" and lang != "en":
        shown = f"{label} {'год' if lang == 'ru' else 'жыл'}"
    posts = issue.get("posts")
    return text.format(
        label=shown or label,
        first=issue.get("first_date", ""),
        last=issue.get("last_date", ""),
        months=_month_list(list(issue.get("months") or []), lang),
        channel=issue.get("channel", ""),
        date=issue.get("date", ""),
        posts=count_noun(int(posts), "post", lang) if posts is not None else "",
        min=issue.get("min", ""),
    )
