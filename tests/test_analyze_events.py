"""Events: one event per happening in every language, previews and looks back kept out,
commentary attached to what it discusses, themes by majority, ranking by breadth, titles."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from multivector.analyze.events import EventOptions, find_events, translit_key
from multivector.analyze.timefocus import AHEAD, BEHIND, NOW, TimeCues
from multivector.report.build import ReportOptions, build_events, load_year
from multivector.store.sqlite import Store
from test_analyze_corpus import Corpus, lexicon, monthly

CHANNELS = ["alpha", "beta", "gamma", "delta"]
NO_TOPICS = ReportOptions(topics=False)

# The SCO summit of 2024-07-04, as three newsrooms told it in three languages.
SUMMIT = [
    ("alpha", "2024-07-04", "ru", "news",
     "В Астане прошёл саммит ШОС. Беларусь стала десятым членом организации, лидеры приняли "
     "стратегию развития до 2035 года. Си Цзиньпин и Путин провели встречи на полях саммита."),
    ("beta", "2024-07-04", "ru", "news",
     "Саммит ШОС в Астане завершился: Беларусь вступила в организацию, принята стратегия развития "
     "до 2035 года, председательство перешло к Китаю."),
    ("qazaq", "2024-07-04", "kk", "news",
     "Астанада ШЫҰ саммиті өтті. Беларусь ұйымның оныншы мүшесі болды, 2035 жылға дейінгі даму "
     "стратегиясы қабылданды. Си Цзиньпин мен Путин саммит аясында кездесулер өткізді."),
    ("qazaq", "2024-07-05", "kk", "news",
     "Саммит қорытындысы: Беларусь ШЫҰ мүшесі атанды, 2035 жылға дейінгі стратегия бекітілді, "
     "төрағалық Қытайға өтті."),
    ("wire", "2024-07-04", "en", "news",
     "SCO leaders met in Astana on Thursday. Belarus became the organisation's tenth member and the "
     "summit adopted a development strategy until 2035. Xi Jinping and Vladimir Putin held talks on "
     "the sidelines."),
    ("monitor", "2024-07-05", "en", "news",
     "The SCO summit in Astana admitted Belarus as a member and adopted a strategy to 2035, and the "
     "chairmanship passed to China."),
]  # fmt: skip
SUMMIT_ACTORS = ["SCO", "BY", "CN", "RU"]

# A year-ahead preview and an anniversary look back, each told by two channels.
PREVIEWS = [
    ("alpha", "2024-12-27",
     "Январь начнётся с визита президента Франции Эммануэля Макрона в Астану. Ожидается, что "
     "стороны подпишут соглашения по урану и транспортному коридору."),
    ("beta", "2024-12-28",
     "В январе Астану посетит президент Франции Макрон: в программе будут переговоры по урану и "
     "транспортному коридору через Каспий."),
]  # fmt: skip
# Two channels' own commentaries (not one text retold: that would be one duplicate group).
ANNIVERSARY = [
    ("alpha", "2024-05-29",
     "Десять лет назад в Астане был подписан Договор о Евразийском экономическом союзе. За эти годы "
     "товарооборот внутри союза вырос, но споры о тарифах не утихают."),
    ("beta", "2024-05-29",
     "Ровно десять лет назад был подписан Договор о Евразийском экономическом союзе. Аналитики до сих "
     "пор спорят, кому общий рынок принёс больше выгоды, а бизнес жалуется на барьеры и сертификацию."),
]  # fmt: skip


def background(c: Corpus) -> None:
    """Two years of steady posts, so that a happening is a burst against them."""
    monthly(c, 2023, 3, CHANNELS, themes={"water": "водные ресурсы"}, actors=["UZ", "KG"])
    monthly(c, 2024, 3, CHANNELS, themes={"water": "водные ресурсы"}, actors=["UZ", "KG"])


def add_summit(c: Corpus, themes: dict[str, str] | None = None) -> list:
    posts = []
    for channel, day, lang, genre, text in SUMMIT:
        posts.append(
            c.add(channel, day, text=text, lang=lang, genre=genre, actors=SUMMIT_ACTORS,
                  themes=themes or {"sco": "ШОС"})
        )  # fmt: skip
    return posts


def events_of(path, **kw) -> list[dict]:
    with Store.open(path, create=False) as store:
        return build_events(store, lexicon(), 2024, events=kw.pop("events", 20), options=NO_TOPICS)["events"]


def containing(events: list[dict], post) -> list[dict]:
    return [e for e in events if post.id in e["post_ids"]]


# ---- one event per happening, in every language ---------------------------------------------


def test_the_same_happening_in_russian_kazakh_and_english_is_one_event(tmp_path):
    path = tmp_path / "e.db"
    with Store.open(path) as store:
        c = Corpus(store)
        background(c)
        summit = add_summit(c)
        # another happening of the same days, told in Russian only: it stays apart
        border = [
            c.add(ch, "2024-07-04", actors=["UZ", "KG"], genre="news",
                  text="Узбекистан и Киргизия завершили демаркацию границы: подписан протокол о последних "
                       f"участках, пограничные переходы откроются для грузовиков. Сообщение {i}.")
            for i, ch in enumerate(["gamma", "delta"])
        ]  # fmt: skip
        c.flush()
    events = events_of(path)
    found = containing(events, summit[0])
    assert len(found) == 1
    event = found[0]
    assert {p.id for p in summit} <= set(event["post_ids"])  # all six posts, three languages
    assert sorted(event["langs"]) == ["en", "kk", "ru"]
    assert event["sources"] == 5 and event["date_start"] == "2024-07-04" and event["date_end"] == "2024-07-05"
    assert not {p.id for p in border} & set(event["post_ids"])
    assert {"SCO", "BY"} <= set(event["actors"])
    for field in (
        "rank",
        "title",
        "date_start",
        "date_end",
        "posts",
        "sources",
        "actors",
        "themes",
        "post_ids",
    ):
        assert field in event


def test_the_languages_link_through_actors_numbers_and_names_not_words(tmp_path):
    """Without the language-independent features (no actors, numbers or keys to share), the same
    posts split by language: the link is what does not depend on language."""
    path = tmp_path / "e.db"
    with Store.open(path) as store:
        c = Corpus(store)
        background(c)
        summit = add_summit(c)
        c.flush()
        data = load_year(store, lexicon(), 2024, with_prev_text=False)
        cur = data.cur
        linked = find_events(cur, data.features, set(), EventOptions(), lemmas=None)
        # no numbers or keys, and no joining or merging on what does not depend on language
        blind = find_events(
            cur, data.features.tfidf, set(), EventOptions(li_threshold=2.0, merge_threshold=2.0)
        )
    pos = {pid: i for i, pid in enumerate(cur.ids)}
    mine = {pos[p.id] for p in summit}

    def langs_of_event_with(events, p):
        ev = [e for e in events if p in set(e.members.tolist())]
        return {cur.langs[cur.lang[i]] for i in ev[0].members} if ev else set()

    assert langs_of_event_with(linked, min(mine)) == {"ru", "kk", "en"}
    assert all(len(langs_of_event_with(blind, p)) <= 1 for p in mine)


# ---- previews and looks back are not events -------------------------------------------------


@pytest.mark.parametrize("posts", [PREVIEWS, ANNIVERSARY], ids=["year-ahead preview", "anniversary"])
def test_a_preview_or_an_anniversary_is_not_an_event(tmp_path, posts):
    path = tmp_path / "e.db"
    with Store.open(path) as store:
        c = Corpus(store)
        background(c)
        actors = ["FR"] if posts is PREVIEWS else ["EAEU"]
        added = [c.add(ch, day, text=text, lang="ru", genre="news", actors=actors) for ch, day, text in posts]
        c.flush()
        data = load_year(store, lexicon(), 2024, with_prev_text=False)
        cur = data.cur
        # Read without their texts, the two posts are a burst of two channels: an event ...
        unread = find_events(cur, data.features, set(), EventOptions())
        read = find_events(cur, data.features, set(), EventOptions(), texts=store.texts_by_id)
    pos = {pid: i for i, pid in enumerate(cur.ids)}
    ids = {pos[p.id] for p in added}
    assert any(ids <= set(e.members.tolist()) for e in unread)
    # ... but they speak of another time than their own days, so they are none.
    assert not any(ids & set(e.members.tolist()) for e in read)
    assert not any(containing(events_of(path), p) for p in added)


def test_a_report_that_mentions_tomorrow_or_the_anniversary_it_marks_stays_in_its_event(tmp_path):
    path = tmp_path / "e.db"
    with Store.open(path) as store:
        c = Corpus(store)
        background(c)
        texts = [
            "В Москве прошло заседание Высшего Евразийского экономического совета, приуроченное к 10-летию "
            "договора о ЕАЭС. Лидеры подписали заявление о цифровой повестке.",
            "Лидеры стран ЕАЭС провели заседание Высшего совета в Москве и подписали заявление о цифровой "
            "повестке. Завтра пройдут двусторонние встречи.",
        ]
        added = [c.add(ch, "2024-05-08", text=t, lang="ru", genre="news", actors=["EAEU", "RU"])
                 for ch, t in zip(CHANNELS, texts, strict=False)]  # fmt: skip
        c.flush()
    events = events_of(path)
    assert len(containing(events, added[0])) == 1
    assert containing(events, added[0]) == containing(events, added[1])


# ---- commentary attaches, never starts ------------------------------------------------------


def test_a_commentary_post_attaches_to_the_event_it_discusses(tmp_path):
    path = tmp_path / "e.db"
    with Store.open(path) as store:
        c = Corpus(store)
        background(c)
        reports = [
            c.add("alpha", "2024-10-07", lang="ru", genre="news", actors=["ROSATOM"],
                  text="ЦИК: на референдуме 71% участников проголосовали за строительство атомной станции. "
                       "Явка составила 63%."),
            c.add("beta", "2024-10-07", lang="ru", genre="news", actors=["ROSATOM"],
                  text="Итоги референдума: за строительство атомной станции проголосовали 71% участников, "
                       "явка превысила 63%."),
        ]  # fmt: skip
        comment = c.add(
            "gamma", "2024-10-09", lang="ru", genre="analysis", actors=["ROSATOM"],
            text="Референдум показал: 71% поддержали атомную станцию при явке 63%. Главный вопрос теперь — "
                 "кто её построит и на каких условиях.",
        )  # fmt: skip
        c.flush()
    events = events_of(path)
    found = containing(events, reports[0])
    assert len(found) == 1 and found == containing(events, comment)
    event = found[0]
    assert event["reports"] == 2 and event["posts"] == 3 and event["sources"] == 3
    assert event["date_end"] == "2024-10-07"  # commentary adds coverage, not days


@pytest.mark.parametrize("genre", ["news", "analysis"])
def test_commentary_never_starts_an_event(tmp_path, genre):
    path = tmp_path / "e.db"
    with Store.open(path) as store:
        c = Corpus(store)
        background(c)
        texts = [
            "Япония открыла в Астане центр по кибербезопасности: специалисты будут обучать инженеров.",
            "В Астане открылся японский центр кибербезопасности, первые инженеры прошли обучение.",
        ]
        added = [c.add(ch, "2024-11-20", text=t, lang="ru", genre=genre, actors=["JP"])
                 for ch, t in zip(CHANNELS, texts, strict=False)]  # fmt: skip
        c.flush()
    found = containing(events_of(path), added[0])
    assert len(found) == (1 if genre == "news" else 0)


# ---- themes, ranking, titles ----------------------------------------------------------------


def test_an_event_carries_the_themes_most_of_its_posts_are_about(tmp_path):
    path = tmp_path / "e.db"
    with Store.open(path) as store:
        c = Corpus(store)
        background(c)
        summit = add_summit(c, themes={"sco": "ШОС"})
        stray = c.add("alpha", "2024-07-04", lang="ru", genre="news", actors=SUMMIT_ACTORS,
                      themes={"sco": "ШОС", "trade": "товарооборот"},
                      text="На саммите ШОС в Астане Беларусь стала членом организации; товарооборот стран "
                           "ШОС обсуждали до 2035 года.")  # fmt: skip
        c.flush()
    event = containing(events_of(path), summit[0])[0]
    assert stray.id in event["post_ids"]
    assert event["themes"] == ["sco"]  # one post's tag is not the event's theme


def test_ranking_prefers_many_sources_and_languages_over_one_chatty_channel(tmp_path):
    path = tmp_path / "e.db"
    with Store.open(path) as store:
        c = Corpus(store)
        background(c)
        chatty = [  # eight different posts of one channel over two days
            c.add("alpha", date(2024, 3, 5) + timedelta(days=i % 2), genre="news", actors=["KR"],
                  extra=["корейская делегация", "поставки вольфрама"])
            for i in range(8)
        ]  # fmt: skip
        broad = [
            c.add("beta", "2024-03-20", lang="ru", genre="news", actors=["DE"],
                  text="Канцлер Германии прибыл в Астану и подписал соглашение о водороде на 12 миллиардов евро."),
            c.add("qazaq", "2024-03-20", lang="kk", genre="news", actors=["DE"],
                  text="Германия канцлері Астанаға келіп, 12 миллиард еуролық сутегі келісіміне қол қойды."),
            c.add("wire", "2024-03-20", lang="en", genre="news", actors=["DE"],
                  text="Germany's chancellor arrived in Astana and signed a 12 billion euro hydrogen agreement."),
        ]  # fmt: skip
        c.flush()
    events = events_of(path)
    a, b = containing(events, chatty[0]), containing(events, broad[0])
    assert a and b and a != b
    assert {p.id for p in broad} <= set(b[0]["post_ids"]) and len(a[0]["post_ids"]) == 8
    assert b[0]["rank"] < a[0]["rank"]
    assert b[0]["components"]["languages"] > a[0]["components"]["languages"]
    assert b[0]["components"]["sources"] > a[0]["components"]["sources"]
    assert a[0]["components"]["volume"] > b[0]["components"]["volume"]  # volume alone would invert it


def test_the_title_names_who_did_what_without_emoji_or_preview(tmp_path):
    path = tmp_path / "e.db"
    with Store.open(path) as store:
        c = Corpus(store)
        background(c)
        summit = add_summit(c)
        c.add("alpha", "2024-07-04", lang="ru", genre="digest", actors=SUMMIT_ACTORS,
              text="🔥🔥 Саммит ШОС в Астане: что дальше для Беларуси и стратегии до 2035 года?")  # fmt: skip
        c.add("beta", "2024-07-05", lang="ru", genre="news", actors=SUMMIT_ACTORS,
              text="Следующий саммит ШОС пройдёт в Китае в 2025 году, где будут подведены итоги стратегии до "
                   "2035 года и участия Беларуси.")  # fmt: skip
        c.flush()
    event = containing(events_of(path), summit[0])[0]
    title = event["title"]
    assert title and "🔥" not in title and not title.endswith("?") and "2025" not in title
    with Store.open(path, create=False) as store:
        texts = dict(store.conn.execute("SELECT id, text FROM posts").fetchall())
    assert title in texts[event["title_post_id"]]
    # a sentence of a report that names the summit's parties
    assert event["title_post_id"] in {p.id for p in summit}


# ---- the pieces -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lang,day,text,kind",
    [
        ("ru", "2024-12-27", "Январь начнётся с визита президента Франции в Астану. Ожидается подписание соглашений.", AHEAD),
        ("ru", "2024-06-27", "Чего ждать от саммита ШОС. Через неделю в Астане соберутся лидеры.", AHEAD),
        ("kk", "2024-06-27", "Тамыз айында Астанада «Орталық Азия + Жапония» алғашқы саммиті өтеді.", AHEAD),
        ("en", "2024-12-30", "Year in review: in July the SCO summit, in October the referendum. In 2025 Kazakhstan will chair the CSTO.", AHEAD),
        ("ru", "2024-05-29", "Десять лет назад был подписан Договор о ЕАЭС. За это время союз изменился.", BEHIND),
        ("kk", "2024-05-29", "ЕАЭО туралы шартқа қол қойылғанына 10 жыл толды.", BEHIND),
        ("en", "2024-05-29", "Ten years ago the Eurasian Economic Union treaty was signed in Astana. What has changed since?", BEHIND),
        ("ru", "2024-05-08", "В Москве прошло заседание ВЕЭС, приуроченное к 10-летию договора о ЕАЭС.", NOW),
        ("ru", "2024-11-27", "Путин прибыл в Астану с государственным визитом. Переговоры пройдут завтра.", NOW),
        ("ru", "2024-12-26", "Катастрофа под Актау. 25 декабря у Актау разбился самолёт Embraer 190.", NOW),
        ("kk", "2024-10-24", "Тоқаев Қазанда өткен БРИКС саммитінің кездесуіне қатысты.", NOW),
        ("en", "2024-05-21", "SCO foreign ministers meet in Astana ahead of July summit. The ministers met to prepare for the summit in July, officials said.", NOW),
        ("ru", "2024-10-15", "Через неделю после референдума правительство назвало подрядчика.", NOW),
    ],
)  # fmt: skip
def test_time_focus_of_a_post(lang, day, text, kind):
    assert TimeCues.builtin().focus(text, lang, date.fromisoformat(day)).kind == kind


def test_time_cues_are_data_a_new_language_needs_only_its_table():
    cues = TimeCues({
        "months": {"de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
                          "Oktober", "November", "Dezember"]},
        "month_case": {"de": "title"},
        "future": {"de": ["wird", "werden"]},
        "report": {"de": ["fand", "unterzeichnete"]},
        "anniversary": {"de": ["{n} Jahre seit"]},
        "numbers": {"de": {"zehn": 10}},
    })  # fmt: skip
    day = date(2024, 12, 20)
    assert cues.focus("Im Januar wird der Präsident Astana besuchen.", "de", day).kind == AHEAD
    assert cues.focus("Zehn Jahre seit dem Vertrag über die Union.", "de", day).kind == BEHIND
    assert cues.focus("Der Gipfel fand in Astana statt.", "de", day).kind == NOW
    assert cues.focus("Der Gipfel fand in Astana statt.", "xx", day).kind == NOW  # no table: no verdict


def test_transliteration_keys_meet_across_scripts():
    for a, b in [("Бишкек", "Bishkek"), ("Ақтау", "Aktau"), ("саммит", "summit"), ("Шольц", "Scholz"),
                 ("референдум", "referendum"), ("Эмбраер", "Embraer"), ("Тоқаев", "Tokayev")]:  # fmt: skip
        assert translit_key(a) == translit_key(b), (a, b)
    assert translit_key("саммит") != translit_key("смета")


def test_an_event_title_drops_markdown_emphasis_but_keeps_the_words():
    from multivector.analyze.evidence import plain_title

    raw = "Армия **уничтожила не менее 100** боевиков,  сообщает __ведомство__ `ТАСС`"
    assert plain_title(raw) == "Армия уничтожила не менее 100 боевиков, сообщает ведомство ТАСС"
    assert plain_title("snake_case stays; 2*3 stays") == "snake_case stays; 2*3 stays"
