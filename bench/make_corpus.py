"""Generate a synthetic multivector database of N posts for scale tests of the analysis.

    .venv/bin/python bench/make_corpus.py 200000 --out /tmp/bench200k.db [--seed 7] [--start-year 2023]
    .venv/bin/python bench/make_corpus.py 100000 --out postgresql://postgres@127.0.0.1:5432/bench100k

What it holds: posts over two calendar years (`--start-year` and the next) in 40 channels
(Russian, Kazakh and English, each with its own activity level), 2-8 sentences of 8-20 words
each (a Telegram post or a short news item), built from per-theme phrase banks, actor names,
a general vocabulary and a long tail of rare word forms, so TF-IDF sees a realistic Zipf-like
vocabulary. Planted structure, so a report has known answers:
  - themes with known yearly paths: `nuclear_energy` doubles its share in the second year,
    `transport_corridors` grows by half, `critical_minerals` is new in the second year,
    `sanctions` and `eaeu_integration` decline, `energy_oil_gas`, `trade_economy`, `security`
    stay flat, `water_resources` peaks every summer;
  - `elections` exists only as short bursts (it must come out as events, not as a trend);
  - one subject no theme names ("digital / AI / data centres", actors only) that grows in the
    second year: topic modelling should surface it as a `topic:<n>`;
  - ~40 events per year: 1-5 days, 1-2 partner actors, their own words, 20-250 posts (at
    100k posts; scaled with N) across channels; their posts carry `author = "event:<n>"` so a
    benchmark can score the event grouping against the plan;
  - 25% off-topic posts (in_scope = 0), 12% copies of a post from the last days in another
    channel (forwards and reposts: one duplicate group, counted once as content).

The posts are written straight into a `Store` with hand-made annotations (mentions, actor ids,
theme hits with their spans): this bypasses NER, the gazetteer and the theme tagger, which
would take far longer than the analysis being measured, and gives exact known labels. Lemmas
for the full-text index are computed with the real `lemma_text` (cached per word form).
"""

from __future__ import annotations

import argparse
import hashlib
import math
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from multivector.annotate.tokens import lemma_text
from multivector.model import SOURCE_TELEGRAM, Annotation, Mention, Post, PreparedPost, ThemeHit
from multivector.store import is_server_url, open_store

LANGS = ("ru", "kk", "en")

ACTORS = {
    # id: (kind, ru, kk, en)
    "KZ": ("country", "Казахстан", "Қазақстан", "Kazakhstan"),
    "RU": ("country", "Россия", "Ресей", "Russia"),
    "CN": ("country", "Китай", "Қытай", "China"),
    "US": ("country", "США", "АҚШ", "the United States"),
    "EU": ("org", "Евросоюз", "Еуроодақ", "the EU"),
    "FR": ("country", "Франция", "Франция", "France"),
    "DE": ("country", "Германия", "Германия", "Germany"),
    "TR": ("country", "Турция", "Түркия", "Turkey"),
    "AZ": ("country", "Азербайджан", "Әзербайжан", "Azerbaijan"),
    "UZ": ("country", "Узбекистан", "Өзбекстан", "Uzbekistan"),
    "KG": ("country", "Кыргызстан", "Қырғызстан", "Kyrgyzstan"),
    "TJ": ("country", "Таджикистан", "Тәжікстан", "Tajikistan"),
    "JP": ("country", "Япония", "Жапония", "Japan"),
    "KR": ("country", "Южная Корея", "Оңтүстік Корея", "South Korea"),
    "IN": ("country", "Индия", "Үндістан", "India"),
    "AE": ("country", "ОАЭ", "БАӘ", "the UAE"),
    "EAEU": ("org", "ЕАЭС", "ЕАЭО", "the EAEU"),
    "SCO": ("org", "ШОС", "ШЫҰ", "the SCO"),
    "CSTO": ("org", "ОДКБ", "ҰҚШҰ", "the CSTO"),
    "OTS": ("org", "ОТГ", "ТМҰ", "the OTS"),
    "ROSATOM": ("company", "Росатом", "Росатом", "Rosatom"),
    "CNNC": ("company", "CNNC", "CNNC", "CNNC"),
    "EDF": ("company", "EDF", "EDF", "EDF"),
    "KHNP": ("company", "KHNP", "KHNP", "KHNP"),
    "tokayev": ("person", "Токаев", "Тоқаев", "Tokayev"),
    "putin": ("person", "Путин", "Путин", "Putin"),
    "xi_jinping": ("person", "Си Цзиньпин", "Си Цзиньпин", "Xi Jinping"),
}


@dataclass
class ThemeSpec:
    id: str
    phrases: dict[str, list[str]]
    actors: dict[str, float]
    path: str  # flat | double | grow | new | decline | summer | bursts | none
    weight: float = 1.0


THEMES = [
    ThemeSpec(
        "nuclear_energy",
        {
            "ru": [
                "строительство атомной электростанции",
                "АЭС",
                "ядерное топливо",
                "урановые рудники",
                "атомная энергетика",
                "реактор",
            ],
            "kk": ["атом электр станциясы", "АЭС салу", "ядролық отын", "уран өндіру", "атом энергетикасы"],
            "en": [
                "nuclear power plant",
                "uranium mining",
                "nuclear fuel",
                "reactor construction",
                "nuclear energy",
            ],
        },
        {"ROSATOM": 3, "RU": 2, "CNNC": 2, "CN": 1.5, "EDF": 1, "FR": 0.8, "KHNP": 0.7, "KR": 0.5},
        "double",
        1.0,
    ),
    ThemeSpec(
        "transport_corridors",
        {
            "ru": [
                "Средний коридор",
                "Транскаспийский маршрут",
                "транзит грузов",
                "контейнерные перевозки",
                "порт Актау",
            ],
            "kk": ["Орта дәліз", "транзиттік жүк", "Ақтау порты", "теміржол тасымалы"],
            "en": [
                "Middle Corridor",
                "Trans-Caspian route",
                "cargo transit",
                "container traffic",
                "port of Aktau",
            ],
        },
        {"CN": 2, "AZ": 2, "TR": 1.5, "EU": 1.5, "RU": 0.5, "UZ": 0.5},
        "grow",
        1.2,
    ),
    ThemeSpec(
        "energy_oil_gas",
        {
            "ru": [
                "экспорт нефти",
                "нефтепровод КТК",
                "добыча газа",
                "месторождение Кашаган",
                "поставки газа",
            ],
            "kk": ["мұнай экспорты", "газ өндіру", "Қашаған кен орны", "мұнай құбыры"],
            "en": ["oil exports", "CPC pipeline", "gas production", "Kashagan field", "gas supplies"],
        },
        {"RU": 2, "US": 1, "EU": 1.5, "CN": 1, "AZ": 0.5},
        "flat",
        1.4,
    ),
    ThemeSpec(
        "trade_economy",
        {
            "ru": [
                "товарооборот",
                "торговый оборот",
                "инвестиции",
                "экспорт зерна",
                "совместное предприятие",
            ],
            "kk": ["тауар айналымы", "сауда айналымы", "инвестиция", "астық экспорты"],
            "en": ["trade turnover", "bilateral trade", "investment", "grain exports", "joint venture"],
        },
        {"CN": 2, "RU": 2, "UZ": 1, "TR": 1, "EU": 1, "AE": 0.7, "KR": 0.5, "JP": 0.5},
        "flat",
        1.6,
    ),
    ThemeSpec(
        "security",
        {
            "ru": ["военное сотрудничество", "учения ОДКБ", "пограничная безопасность", "оборонный заказ"],
            "kk": ["әскери ынтымақтастық", "шекара қауіпсіздігі", "қорғаныс"],
            "en": ["military cooperation", "border security", "joint exercises", "defence procurement"],
        },
        {"CSTO": 2, "RU": 2, "CN": 1, "SCO": 1, "US": 0.5, "TR": 0.5},
        "flat",
        0.9,
    ),
    ThemeSpec(
        "water_resources",
        {
            "ru": ["водные ресурсы", "трансграничные реки", "маловодье", "Каспийское море", "вододеление"],
            "kk": ["су ресурстары", "трансшекаралық өзендер", "су тапшылығы", "Каспий теңізі"],
            "en": ["water resources", "transboundary rivers", "water shortage", "Caspian Sea"],
        },
        {"UZ": 2, "KG": 2, "TJ": 1, "CN": 1.5, "RU": 1},
        "summer",
        0.7,
    ),
    ThemeSpec(
        "sanctions",
        {
            "ru": ["антироссийские санкции", "вторичные санкции", "параллельный импорт", "санкционный режим"],
            "kk": ["санкциялар", "қайталама санкциялар", "параллель импорт"],
            "en": [
                "sanctions against Russia",
                "secondary sanctions",
                "parallel imports",
                "sanctions compliance",
            ],
        },
        {"RU": 3, "US": 2, "EU": 2},
        "decline",
        1.0,
    ),
    ThemeSpec(
        "critical_minerals",
        {
            "ru": ["критически важное сырьё", "редкоземельные металлы", "литий", "вольфрам"],
            "kk": ["сирек жер металдары", "литий", "сыни шикізат"],
            "en": ["critical raw materials", "rare earth metals", "lithium deposits", "tungsten"],
        },
        {"EU": 2, "US": 2, "DE": 1, "KR": 1, "JP": 1, "CN": 1},
        "new",
        0.8,
    ),
    ThemeSpec(
        "eaeu_integration",
        {
            "ru": ["евразийская интеграция", "единый рынок ЕАЭС", "таможенный союз"],
            "kk": ["еуразиялық интеграция", "кеден одағы"],
            "en": ["Eurasian integration", "customs union", "EAEU common market"],
        },
        {"EAEU": 3, "RU": 2, "KG": 0.5},
        "decline",
        0.7,
    ),
    ThemeSpec(
        "migration",
        {
            "ru": ["трудовые мигранты", "миграционная политика", "релоканты"],
            "kk": ["еңбек мигранттары", "көші-қон саясаты"],
            "en": ["labour migrants", "migration policy", "relocants"],
        },
        {"RU": 2, "UZ": 1, "KG": 1, "TJ": 1},
        "flat",
        0.5,
    ),
    ThemeSpec(
        "elections",
        {
            "ru": ["выборы", "избирательная кампания", "референдум", "явка избирателей"],
            "kk": ["сайлау", "сайлау науқаны", "референдум"],
            "en": ["elections", "election campaign", "referendum", "voter turnout"],
        },
        {"tokayev": 2},
        "bursts",
        0.0,
    ),
]

HIDDEN_TOPIC = {  # no theme names it; actors make its posts in scope
    "ru": [
        "центр обработки данных",
        "искусственный интеллект",
        "цифровые платформы",
        "облачные сервисы",
        "суперкомпьютер",
    ],
    "kk": ["деректер орталығы", "жасанды интеллект", "цифрлық платформа"],
    "en": ["data centre", "artificial intelligence", "digital platforms", "cloud services", "supercomputer"],
}
HIDDEN_ACTORS = {"US": 2, "CN": 2, "AE": 1.5, "KR": 1, "JP": 1}

VERBS = {
    "ru": [
        "обсудили",
        "договорились о",
        "подписали соглашение о",
        "рассмотрели",
        "заявили о",
        "укрепляют",
        "развивают",
        "планируют расширить",
        "обсуждают",
        "провели переговоры о",
        "выступили за",
    ],
    "kk": [
        "талқылады",
        "келісті",
        "келісімге қол қойды",
        "қарастырды",
        "дамытуда",
        "кеңейтуді жоспарлап отыр",
    ],
    "en": [
        "discussed",
        "agreed on",
        "signed an agreement on",
        "reviewed",
        "announced plans for",
        "are expanding",
        "held talks on",
        "backed",
        "are developing",
    ],
}
FILLER = {
    "ru": (
        "министр правительство президент встреча переговоры визит делегация вопрос проект сотрудничество развитие "
        "страна регион экономика рынок компания соглашение меморандум программа стратегия позиция партнер "
        "инициатива решение заседание форум конференция эксперт аналитик мнение оценка ситуация риск рост "
        "объем уровень показатель доля цена тариф бюджет фонд банк кредит финансирование поддержка условия "
        "механизм платформа рабочая группа комиссия совет посол министерство ведомство пресс-служба Астана "
        "Алматы Москва Пекин Вашингтон Брюссель Анкара Ташкент Бишкек Баку сторона график срок этап "
        "реализация запуск модернизация инфраструктура логистика энергетика промышленность сельское хозяйство "
        "технологии образование культура туризм граница таможня склад маршрут поставка договор контракт"
    ).split(),
    "kk": (
        "министр үкімет президент кездесу келіссөздер сапар делегация мәселе жоба ынтымақтастық даму ел аймақ "
        "экономика нарық компания келісім меморандум бағдарлама стратегия серіктес бастама шешім отырыс форум "
        "сарапшы пікір баға жағдай тәуекел өсім көлем деңгей үлес баға тариф бюджет қор банк несие қолдау "
        "тетік платформа комиссия кеңес елші министрлік Астана Алматы Мәскеу Бейжің Вашингтон Анкара Ташкент "
        "тарап кезең іске асыру инфрақұрылым логистика өнеркәсіп ауыл шаруашылығы технология білім мәдениет"
    ).split(),
    "en": (
        "minister government president meeting talks visit delegation issue project cooperation development "
        "country region economy market company agreement memorandum programme strategy position partner "
        "initiative decision session forum conference expert analyst view assessment situation risk growth "
        "volume level share price tariff budget fund bank loan financing support terms mechanism platform "
        "working group commission council ambassador ministry office Astana Almaty Moscow Beijing Washington "
        "Brussels Ankara Tashkent side schedule deadline stage implementation launch upgrade infrastructure "
        "logistics energy industry agriculture technology education culture tourism border customs route"
    ).split(),
}
FUNCTION = {
    "ru": "в на и по с для о что также при этом в рамках в ходе как уже будет может".split(),
    "kk": "және мен бойынша үшін туралы да де бұл осы ретінде кезінде".split(),
    "en": "the of and in on for with to at as also this that by from".split(),
}
OFFTOPIC = {
    "ru": "погода футбол матч концерт фестиваль снег дождь пробки ремонт дорога театр выставка рецепт кино сериал".split(),
    "kk": "ауа райы футбол матч концерт фестиваль қар жаңбыр жол жөндеу театр көрме кино".split(),
    "en": "weather football match concert festival snow rain traffic repairs road theatre exhibition recipe film".split(),
}
EVENT_KINDS = {
    "ru": ["саммит", "визит", "форум", "переговоры", "заседание"],
    "kk": ["саммит", "сапар", "форум", "келіссөз", "отырыс"],
    "en": ["summit", "visit", "forum", "talks", "meeting"],
}
PLACES = ["Самарканд", "Астана", "Шуша", "Душанбе", "Бишкек", "Казань", "Сиань", "Париж", "Сеул", "Токио",
          "Абу-Даби", "Анкара", "Баку", "Ашхабад", "Нью-Йорк", "Берлин", "Дели", "Минск", "Ереван", "Туркестан"]  # fmt: skip

SYLLABLES = {
    "ru": "ка ро ми на те ло ва ри су до пе ко ла мо та не ги бу вы жа зе".split(),
    "kk": "қа ра ба те жа сы ту лы да ке мі бе ғы ор ал ер ұл ін".split(),
    "en": "ka ro mi na te lo va ri su do pe ko la mo ta ne gi bu ve za".split(),
}


def rare_words(rng: random.Random, lang: str, n: int) -> list[str]:
    out = set()
    syl = SYLLABLES[lang]
    while len(out) < n:
        out.add("".join(rng.choice(syl) for _ in range(rng.randint(3, 4))))
    words = sorted(out)
    rng.shuffle(words)
    return words


def intensity(path: str, month: int) -> float:
    """Relative weight of a theme in month `month` (0..23) of the two years."""
    y2 = month >= 12
    m = month % 12
    if path == "flat":
        return 1.0
    if path == "double":
        return 2.0 if y2 else 1.0
    if path == "grow":
        return 1.5 if y2 else 1.0
    if path == "new":
        return (0.2 + 0.15 * m) if y2 else 0.02
    if path == "decline":
        return 0.5 if y2 else 1.0
    if path == "summer":
        return 1.0 + 1.5 * math.exp(-((m - 6.5) ** 2) / 3)
    return 0.0


@dataclass
class Channel:
    name: str
    lang: str
    rate: float


@dataclass
class Event:
    day: int
    days: int
    theme: ThemeSpec
    actors: list[str]
    kind: int
    place: str
    size: int
    words: list[str] = field(default_factory=list)
    number: int = 0


class Writer:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.rare = {lang: rare_words(rng, lang, 6000) for lang in LANGS}
        self.fill_weights = {lang: [1 / (i + 1) for i in range(len(FILLER[lang]))] for lang in LANGS}

    def filler(self, lang: str, k: int) -> list[str]:
        rng = self.rng
        out = []
        for _ in range(k):
            r = rng.random()
            if r < 0.35:
                out.append(rng.choice(FUNCTION[lang]))
            elif r < 0.85:
                out.append(rng.choices(FILLER[lang], self.fill_weights[lang])[0])
            else:
                # a long tail: Zipf-like over the rare forms
                i = min(int(rng.paretovariate(1.0) * 8) - 8, len(self.rare[lang]) - 1)
                out.append(self.rare[lang][i])
        return out


def build(n: int, out: Path | str, seed: int, start_year: int) -> None:
    rng = random.Random(seed)
    writer = Writer(rng)
    start = datetime(start_year, 1, 1)
    ndays = (datetime(start_year + 2, 1, 1) - start).days
    channels = []
    for i in range(40):
        lang = "ru" if i < 26 else ("kk" if i < 33 else "en")
        channels.append(
            Channel(
                f"{['Вектор', 'Новости', 'Аналитика', 'Дайджест', 'Central Asia'][i % 5]} {i:02d} | {lang}",
                lang,
                rng.lognormvariate(0, 0.8),
            )
        )
    ch_weights = [c.rate for c in channels]

    # Events: ~40 per year, on themes (and bursts of `elections`); fewer in a tiny corpus, whose
    # events (8 posts at least) would otherwise outnumber the posts asked for.
    events: list[Event] = []
    theme_by_id = {t.id: t for t in THEMES}
    for e in range(min(80, max(4, n // 50))):
        theme = (
            theme_by_id["elections"] if e % 8 == 0 else rng.choice([t for t in THEMES if t.path != "bursts"])
        )
        acts = list(theme.actors)
        chosen = sorted(set(rng.sample(acts, min(len(acts), rng.randint(1, 2)))))
        day = rng.randrange(ndays - 6)
        events.append(Event(day, rng.randint(1, 5), theme, chosen, rng.randrange(5), PLACES[e % len(PLACES)],
                            rng.randint(20, 250), words=rng.sample(writer.rare["ru"][:300], 3), number=e))  # fmt: skip
    event_posts = sum(ev.size for ev in events)
    scale = n / 100_000
    for ev in events:
        ev.size = max(8, int(ev.size * scale))
    event_posts = sum(ev.size for ev in events)

    plan: list[tuple[int, str]] = []  # (day, what)
    for i, ev in enumerate(events):
        for _ in range(ev.size):
            plan.append((ev.day + min(ev.days - 1, int(rng.expovariate(1.2))), f"event:{i}"))
    n_copy = int(n * 0.12)
    n_base = max(0, n - len(plan) - n_copy)
    day_w = [1.0 if d < 365 else 1.2 for d in range(ndays)]
    for d in rng.choices(range(ndays), day_w, k=n_base):
        plan.append((d, "base"))
    plan.sort()

    store = open_store(out)
    if is_server_url(out):
        if store.count_posts():
            sys.exit(f"{store.location}: already holds posts; use an empty database")
    else:
        store.conn.execute("PRAGMA synchronous=OFF")
    batch: list[PreparedPost] = []
    recent: list[tuple[int, PreparedPost]] = []
    mid = 0
    t0 = time.perf_counter()
    written = 0

    def flush() -> None:
        nonlocal batch, written
        if batch:
            store.write_batch(batch)
            written += len(batch)
            batch = []

    copies_left = n_copy
    copy_every = max(1, len(plan) // max(1, n_copy))
    for k, (day, what) in enumerate(plan):
        ch = rng.choices(channels, ch_weights)[0]
        date = start + timedelta(days=day, seconds=rng.randrange(6 * 3600, 23 * 3600))
        month = (date.year - start_year) * 12 + date.month - 1
        if what.startswith("event:"):
            item = make_event_post(writer, events[int(what[6:])], ch, date, mid)
        else:
            item = make_base_post(writer, ch, date, month, mid)
        mid += 1
        batch.append(item)
        recent.append((day, item))
        if copies_left and k % copy_every == 0 and len(recent) > 5:
            src_day, src = rng.choice(recent[-200:])
            other = rng.choices(channels, ch_weights)[0]
            if other.name != src.post.channel:
                copy_date = max(src.post.date, date) + timedelta(minutes=rng.randint(1, 600))
                batch.append(make_copy(src, other, copy_date, mid))
                mid += 1
                copies_left -= 1
        if len(recent) > 400:
            del recent[:200]
        if len(batch) >= 2000:
            flush()
            print(f"\r{written} posts, {time.perf_counter() - t0:.0f} s", end="", file=sys.stderr)
    flush()
    if not is_server_url(out):
        store.conn.execute("PRAGMA synchronous=NORMAL")
    store.set_meta("synthetic", f"make_corpus n={n} seed={seed} start_year={start_year}")
    store.close()
    print(f"\r{written} posts ({event_posts} in {len(events)} planted events) written to {out} "
          f"in {time.perf_counter() - t0:.0f} s", file=sys.stderr)  # fmt: skip


class TextBuilder:
    """Accumulates sentences and the spans of actor names and theme phrases in them."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.mentions: list[Mention] = []
        self.hits: list[ThemeHit] = []

    def add(self, piece: str, actor: str | None = None, theme: str | None = None) -> None:
        if self.parts:
            self.parts.append(" ")
            self.length += 1
        start = self.length
        self.parts.append(piece)
        self.length += len(piece)
        if actor:
            self.mentions.append(Mention(start, self.length, piece, actor, ACTORS[actor][0]))
        if theme:
            self.hits.append(ThemeHit(theme, start, self.length, piece))

    def end_sentence(self) -> None:
        if self.parts:
            self.parts[-1] += "."
            self.length += 1

    @property
    def text(self) -> str:
        return "".join(self.parts)


def actor_name(actor: str, lang: str) -> str:
    return ACTORS[actor][LANGS.index(lang) + 1]


def sentence(w: Writer, tb: TextBuilder, lang: str, actors: list[str], phrase: str | None, theme: str | None,
             extra: list[str] | None = None) -> None:  # fmt: skip
    rng = w.rng
    a = rng.choice(actors) if actors else None
    first = True

    def add(piece: str, **kw) -> None:
        nonlocal first
        if first:
            piece = piece[:1].upper() + piece[1:]
            first = False
        tb.add(piece, **kw)

    if a:
        add(actor_name(a, lang), actor=a)
    if rng.random() < 0.5 and len(actors) > 1:
        tb.add({"ru": "и", "kk": "мен", "en": "and"}[lang])
        b = rng.choice([x for x in actors if x != a] or [a])
        tb.add(actor_name(b, lang), actor=b)
    if a:
        tb.add(rng.choice(VERBS[lang]))
    if phrase:
        add(phrase, theme=theme)
    for word in (extra or []) + w.filler(lang, rng.randint(5, 13)):
        add(word)
    tb.end_sentence()


def pick(rng: random.Random, weights: dict[str, float], k: int) -> list[str]:
    keys = list(weights)
    return sorted(set(rng.choices(keys, [weights[x] for x in keys], k=k)))


def make_base_post(w: Writer, ch: Channel, date: datetime, month: int, mid: int) -> PreparedPost:
    rng = w.rng
    lang = ch.lang
    tb = TextBuilder()
    nsent = rng.randint(2, 8)
    r = rng.random()
    if r < 0.25:  # off-topic
        for _ in range(nsent):
            tb.add(rng.choice(OFFTOPIC[lang]).capitalize())
            for word in w.filler(lang, rng.randint(6, 14)):
                tb.add(word)
            tb.end_sentence()
        return finish(ch, date, mid, tb, in_scope=False)
    hidden_w = 0.25 if month >= 12 else 0.08
    themes = [t for t in THEMES if t.path != "bursts"]
    weights = [t.weight * intensity(t.path, month) for t in themes]
    if rng.random() < hidden_w / (1 + hidden_w):
        acts = pick(rng, HIDDEN_ACTORS, 2) + ["KZ"]
        for _ in range(nsent):
            sentence(w, tb, lang, acts, rng.choice(HIDDEN_TOPIC[lang]) if rng.random() < 0.8 else None, None)
        return finish(ch, date, mid, tb)
    chosen = [rng.choices(themes, weights)[0]]
    if rng.random() < 0.15:
        chosen.append(rng.choices(themes, weights)[0])
    for i in range(nsent):
        t = chosen[i % len(chosen)]
        acts = pick(rng, t.actors, 2) + (["KZ"] if rng.random() < 0.6 else [])
        phrase = rng.choice(t.phrases[lang]) if rng.random() < 0.7 or i == 0 else None
        sentence(w, tb, lang, acts, phrase, t.id if phrase else None)
    return finish(ch, date, mid, tb)


def make_event_post(w: Writer, ev: Event, ch: Channel, date: datetime, mid: int) -> PreparedPost:
    rng = w.rng
    lang = ch.lang
    tb = TextBuilder()
    kind = EVENT_KINDS[lang][ev.kind]
    place = ev.place if lang != "en" else ev.place.replace("ь", "")
    for i in range(rng.randint(2, 6)):
        phrase = rng.choice(ev.theme.phrases[lang]) if i == 0 or rng.random() < 0.5 else None
        extra = [kind, place, *ev.words] if i < 2 or rng.random() < 0.5 else []
        sentence(w, tb, lang, ev.actors + ["KZ"], phrase, ev.theme.id if phrase else None, extra)
    return finish(ch, date, mid, tb, author=f"event:{ev.number}")


def make_copy(src: PreparedPost, ch: Channel, date: datetime, mid: int) -> PreparedPost:
    p = src.post
    post = Post(SOURCE_TELEGRAM, ch.name, str(mid), p.text, date=date, forwarded_from=p.channel, lang=p.lang,
                views=p.views, forwards=0)  # fmt: skip
    return PreparedPost(
        post=post, revision=f"r{mid}", lemmas=src.lemmas, content_hash=src.content_hash,
        annotation=src.annotation, annotated_with="synthetic",
    )  # fmt: skip


def finish(
    ch: Channel, date: datetime, mid: int, tb: TextBuilder, in_scope: bool = True, author: str | None = None
) -> PreparedPost:
    text = tb.text
    post = Post(SOURCE_TELEGRAM, ch.name, str(mid), text, date=date, lang=ch.lang, author=author,
                views=int(ch.rate * 1000) + mid % 997, forwards=mid % 7)  # fmt: skip
    actors = sorted({m.actor for m in tb.mentions if m.actor})
    themes = sorted({h.theme for h in tb.hits})
    # Keywords only: Annotation and PreparedPost grow fields with the schema (schema 3 added
    # the "about" fields, PreparedPost the LSH bands); a positional call breaks silently.
    # Every planted actor and theme is what the post is about: the plan put them there.
    ann = Annotation(
        mentions=tb.mentions,
        themes=tb.hits,
        actors=actors,
        theme_ids=themes,
        in_scope=in_scope,
        about_actors=actors,
        about_themes=themes,
        salience=dict.fromkeys(actors, 1.0),
        theme_scores=dict.fromkeys(themes, 1.0),
        scope_score=1.0 if in_scope else 0.0,
        scope_reason="synthetic: planted by bench/make_corpus.py",
        genre="news",
    )
    digest = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
    return PreparedPost(
        post=post, revision=f"r{mid}", lemmas=lemma_text(text, ch.lang), content_hash=digest,
        annotation=ann, annotated_with="synthetic",
    )  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", type=int, help="number of posts")
    ap.add_argument(
        "--out", required=True, help="an SQLite file, or a postgresql:// URL of an empty database"
    )
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--start-year", type=int, default=2023)
    args = ap.parse_args()
    if not is_server_url(args.out):
        args.out = Path(args.out)
        if args.out.exists():
            sys.exit(f"{args.out}: exists; remove it first")
    build(args.n, args.out, args.seed, args.start_year)


if __name__ == "__main__":
    main()
