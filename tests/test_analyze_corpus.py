"""Constructed corpora with known answers for the analysis tests (and a few tests of them).

Posts go through the real prepare step (normalise, language, lemmas, MinHash, so duplicate
groups form as in the product), then get hand-made annotations: the tests do not depend on
the annotator's accuracy. Texts are random Russian sentences drawn from a fixed vocabulary
with a fixed seed, so two posts are never near-duplicates unless a test makes them so.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import date, datetime

from multivector.analyze.lexicon import Lexicon
from multivector.model import SOURCE_TELEGRAM, Annotation, Mention, Post, ThemeHit
from multivector.pipeline import AnnotateOptions, Preparer, revision
from multivector.store.sqlite import Store

WORDS = (
    "министр правительство встреча переговоры визит делегация вопрос проект сотрудничество развитие "
    "страна регион экономика рынок компания соглашение меморандум программа стратегия позиция партнёр "
    "инициатива решение заседание форум конференция эксперт аналитик мнение оценка ситуация риск рост "
    "объём уровень показатель доля цена тариф бюджет фонд банк кредит финансирование поддержка условия "
    "механизм платформа комиссия совет посол ведомство график срок этап реализация запуск модернизация "
    "инфраструктура логистика промышленность технологии образование культура туризм граница таможня "
    "склад маршрут поставка договор контракт завод станция порт склад груз вагон терминал дорога мост "
    "зерно хлопок металл сталь медь цемент удобрение лекарство вакцина школа университет стипендия "
    "выставка фестиваль музей театр кино спорт турнир чемпионат погода урожай засуха паводок"
).split()

KK_WORDS = (
    "үкімет министрлік кездесу келіссөздер сапар делегация мәселе жоба ынтымақтастық даму өңір "
    "экономика нарық компания келісім меморандум бағдарлама стратегия ұстаным серіктес бастама "
    "шешім отырыс форум сарапшы пікір баға жағдай өсу көлем деңгей үлес баға тариф бюджет қор банк "
    "несие қаржыландыру қолдау тетік алаң комиссия кеңес елші ведомство кесте мерзім кезең іске "
    "жаңғырту инфрақұрылым логистика өнеркәсіп технология білім мәдениет туризм шекара кеден қойма "
    "бағыт жеткізу шарт зауыт станция порт жүк вагон терминал жол көпір астық мақта металл болат"
).split()

VECTORS = {
    "russia": ["RU", "EAEU"],
    "china": ["CN"],
    "europe": ["EU", "FR", "DE"],
    "usa": ["US"],
    "central_asia": ["UZ", "KG"],
}
ACTOR_NAMES = {
    "KZ": "Казахстан", "RU": "Россия", "CN": "Китай", "EU": "Евросоюз", "FR": "Франция",
    "DE": "Германия", "US": "США", "UZ": "Узбекистан", "KG": "Киргизия", "EAEU": "ЕАЭС",
}  # fmt: skip


def lexicon() -> Lexicon:
    where = {a: v for v, ids in VECTORS.items() for a in ids}
    return Lexicon(
        vectors=list(VECTORS),
        vectors_of=lambda a: [where[a]] if a in where else [],
        theme_label=lambda t, lang: t.replace("_", " "),
        is_focus=lambda a: a == "KZ",
        focus="KZ",
        profile="test",
        focus_terms=frozenset({"казахстан"}),
    )


class Corpus:
    """Writes posts with hand-made annotations into a Store."""

    def __init__(self, store: Store, seed: int = 1):
        self.store = store
        self.seed = seed
        self.rng = random.Random(seed)
        self.preparer = Preparer(AnnotateOptions(enabled=False))
        self.pending: list[tuple[Post, dict]] = []
        self.counter = 0

    def words(self, n: int, lang: str = "ru") -> str:
        vocabulary = KK_WORDS if lang == "kk" else WORDS
        return " ".join(self.rng.choice(vocabulary) for _ in range(n))

    def text(self, phrases: list[str], sentences: int = 3, lang: str = "ru") -> str:
        """Random sentences (Russian, or Kazakh with `lang="kk"`), the given phrases inside the first ones."""
        out = []
        for i in range(max(sentences, len(phrases))):
            body = self.words(self.rng.randint(8, 14), lang)
            if i < len(phrases):  # after the first word, so capitalising does not touch it
                head, _, tail = body.partition(" ")
                body = f"{head} {phrases[i]} {tail}"
            out.append(body[:1].upper() + body[1:] + ".")
        return " ".join(out)

    def add(
        self,
        channel: str,
        day: date | str,
        *,
        themes: dict[str, str] | None = None,
        actors: list[str] = (),
        passing: list[str] = (),
        extra: list[str] = (),
        text: str | None = None,
        in_scope: bool = True,
        genre: str | None = None,
        lang: str | None = None,
        forwarded_from: str | None = None,
        message_id: str | None = None,
    ) -> Post:
        """A post whose text names its actors and holds one phrase per theme (the theme's span).

        The post is about its `actors` and themes; `passing` actors are named but not subjects.
        `genre` is the kind of text the annotator would give it (news, analysis, digest, official,
        other; None: unknown). `lang`, when given, is the language of the post: random words are
        written in it ("kk": Kazakh, else Russian), and the prepare step must detect it in the
        text (a mismatch is an error in the test, not a silent change of its premise)."""
        themes = themes or {}
        if text is None:
            phrases = (
                [ACTOR_NAMES.get(a, a) for a in (*actors, *passing)] + list(themes.values()) + list(extra)
            )
            text = self.text(phrases, lang=lang or "ru")
        d = date.fromisoformat(day) if isinstance(day, str) else day
        self.counter += 1
        post = Post(
            SOURCE_TELEGRAM, channel, message_id or f"{self.seed}-{self.counter}", text,
            date=datetime(d.year, d.month, d.day, 9 + self.counter % 10, self.counter % 60),
            forwarded_from=forwarded_from, views=100, forwards=1,
        )  # fmt: skip
        meta = {"themes": themes, "actors": list(actors), "passing": list(passing), "in_scope": in_scope,
                "genre": genre, "lang": lang}  # fmt: skip
        self.pending.append((post, meta))
        return post

    def copy(self, original: Post, channel: str, day: date | str, forwarded: bool = True) -> Post:
        """The same text again in another channel: a forward (or a paste)."""
        meta = (
            next(m for p, m in self.pending if p is original)
            if any(p is original for p, _ in self.pending)
            else None
        )
        if meta is None:
            raise ValueError("copy() needs a post added in the same batch")
        return self.add(
            channel, day, themes=meta["themes"], actors=meta["actors"], text=original.text,
            passing=meta["passing"], in_scope=meta["in_scope"],
            forwarded_from=original.channel if forwarded else None,
            genre=meta.get("genre"), lang=meta.get("lang"),
        )  # fmt: skip

    def flush(self) -> None:
        if not self.pending:
            return
        batch = self.pending
        self.pending = []
        prepared = self.preparer.prepare([(p, revision(p)) for p, _ in batch])
        for item, (_, meta) in zip(prepared, batch, strict=True):
            if meta.get("lang") and item.post.lang != meta["lang"]:
                raise ValueError(
                    f"detected {item.post.lang!r}, not {meta['lang']!r}: {item.post.text[:60]!r}"
                )
            text = item.post.text
            mentions, hits = [], []
            for a in (*meta["actors"], *meta["passing"]):
                name = ACTOR_NAMES.get(a, a)
                at = text.find(name)
                if at >= 0:
                    mentions.append(Mention(at, at + len(name), name, a, "country"))
            for theme, phrase in meta["themes"].items():
                at = text.find(phrase)
                if at >= 0:
                    hits.append(ThemeHit(theme, at, at + len(phrase), phrase))
            item.annotation = Annotation(
                mentions=mentions, themes=hits, actors=sorted({*meta["actors"], *meta["passing"]}),
                theme_ids=sorted(meta["themes"]), in_scope=meta["in_scope"],
                about_actors=sorted(set(meta["actors"])), about_themes=sorted(meta["themes"]),
                genre=meta.get("genre"),
            )  # fmt: skip
            item.annotated_with = "test"
        self.store.write_batch(prepared)


def monthly(
    corpus: Corpus, year: int, per_month: int, channels: list[str], months: Iterable[int] = range(1, 13), **kw
) -> None:
    """`per_month` posts in every month of `year` (or the given `months`), spread over the
    channels and the month."""
    for month in months:
        for i in range(per_month):
            day = 1 + (i * 27) // max(per_month, 1)
            corpus.add(channels[(month + i) % len(channels)], date(year, month, day), **kw)


def off_topic_year_then_policy(corpus: Corpus, theme: str = "trade") -> None:
    """A year of off-topic posts (2023: an IT channel), then a year of posts on `theme` about
    China (2024): a comparison period with posts but none in scope."""
    for month in range(1, 13):
        corpus.add("it", date(2023, month, 5), in_scope=False)
        for day in (3, 10, 17, 24):
            corpus.add("alpha", date(2024, month, day), themes={theme: "товарооборот"}, actors=["CN"])
    corpus.flush()


# ---- tests of the helper itself ------------------------------------------------------------


def test_random_posts_are_not_grouped_but_copies_are(tmp_path):
    with Store.open(tmp_path / "c.db") as store:
        c = Corpus(store)
        a = c.add("a", "2024-03-01", themes={"nuclear": "атомная станция"}, actors=["RU"])
        c.add("b", "2024-03-01", themes={"nuclear": "атомная станция"}, actors=["RU"])
        c.copy(a, "c", "2024-03-02")
        c.flush()
        assert store.group_sizes() == {a.id: 2}
        spans = store.conn.execute('SELECT theme, start, "end", text FROM theme_hits').fetchall()
        assert all(t == "nuclear" and txt == "атомная станция" for t, _, _, txt in spans) and len(spans) == 3


def test_genre_and_passing_reach_the_analysis(tmp_path):
    from multivector.store.base import year_range

    with Store.open(tmp_path / "g.db") as store:
        c = Corpus(store)
        posts = [
            c.add("a", "2024-03-01", themes={"nuclear": "атомная станция"}, actors=["RU"], genre="analysis"),
            c.add("b", "2024-03-02", themes={"nuclear": "атомная станция"}, actors=["CN"], passing=["US"]),
            c.add("c", "2024-03-03", themes={"nuclear": "атом электр станциясы"}, actors=["CN"], lang="kk"),
        ]
        c.flush()
        content = store.content(*year_range(2024))
        at = [content.ids.index(p.id) for p in posts]
        assert [content.genres[content.genre[i]] for i in at] == ["analysis", "", ""]
        assert [content.langs[content.lang[i]] for i in at] == ["ru", "ru", "kk"]
        assert content.actor_ids == ["CN", "RU"]  # US only in passing: no subject
        assert "US" in content.mention_ids
