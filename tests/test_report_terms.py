"""Key terms are words the posts write (surface forms and phrases), not lemmas or stems."""

from __future__ import annotations

import random
from datetime import date

import pytest

from multivector.analyze.terms import count_surfaces, nominative, readable_terms, surface
from multivector.annotate.stopwords import is_stop
from multivector.annotate.tokens import lemma
from multivector.report.build import ReportOptions, build_report
from multivector.store.sqlite import Store
from test_analyze_corpus import Corpus, lexicon, monthly

CHANNELS = ["alpha", "beta", "gamma", "delta"]
EN_WORDS = (
    "leaders ministers talks agreement trade energy investment railway port delegation partners "
    "security cooperation region economy market visit officials declaration forum members grain"
).split()


def _terms(texts: list[tuple[str, str]], ranked: list[str], k: int = 8) -> list[str]:
    return readable_terms(ranked, count_surfaces(texts, is_stop), k)


# --- the extraction on its own ---------------------------------------------------------------


def test_a_word_is_shown_as_written_not_as_its_lemma():
    assert lemma("деньги", "ru") == "деньга" and lemma("санкций", "ru") == "санкция"  # what the index holds
    texts = [
        ("Деньги на проект выделит банк, а деньги на дорогу найдут позже.", "ru"),
        ("Против компании ввели пакет санкций; санкции вступят в силу в мае.", "ru"),
        ("Новые санкции ударят по банку, где лежат деньги фонда.", "ru"),
    ]
    assert _terms(texts, ["деньга", "санкция"]) == ["деньги", "санкции"]


def test_an_oblique_noun_group_is_named_in_the_nominative():
    assert nominative(
        "строительству атомной электростанции", ("строительство", "атомный", "электростанция")
    ) == ("строительство атомной электростанции")
    assert nominative("Казани", ("казань",)) == "Казань"
    assert nominative("двусторонних встреч", ("двусторонний", "встреча")) == "двусторонние встречи"
    assert nominative("Токаев", ("токай",)) == "Токаев"  # a name pymorphy3 reads as a plural stays


def test_a_word_inside_a_set_phrase_is_shown_as_the_phrase():
    texts = [
        ("Грузы пошли по маршруту Среднего коридора через Каспий.", "ru"),
        ("Пропускная способность Среднего коридора выросла вдвое.", "ru"),
        ("Инвесторы верят в Средний коридор, хотя коридор пока узкий.", "ru"),
        ("Для Среднего коридора нужны новые паромы.", "ru"),
    ]
    assert _terms(texts, ["коридор", "паром"]) == ["Средний коридор", "паромы"]


def test_a_phrase_takes_the_place_of_its_word_shown_earlier():
    texts = [
        ("Строительство атомной электростанции начнётся в 2025 году, строительство дороги позже.", "ru"),
        ("Подрядчик строительства атомной электростанции выбран.", "ru"),
        ("Срок строительства атомной электростанции — десять лет.", "ru"),
        ("Строительство жилья идёт медленно.", "ru"),
    ]
    terms = _terms(texts, ["строительство", "электростанция", "подрядчик"])
    assert terms == ["строительство атомной электростанции", "подрядчик"]


def test_verbs_and_slices_of_sentences_are_not_terms():
    texts = [
        ("Вчера Токаев провёл переговоры. Потом Токаев провёл совещание.", "ru"),
        ("Президент Токаев провёл встречу с инвесторами.", "ru"),
        ("Kazakhstan's energy ministry and Kazakhstan's energy sector are growing.", "en"),
        ("Kazakhstan's energy plans were discussed.", "en"),
    ]
    terms = _terms(texts, ["провести", "токай", "energy"])
    assert "провёл" not in terms and not any("провёл" in t for t in terms)
    assert "Kazakhstan's energy" not in terms and "energy" in terms
    assert "Токаев" in terms  # a name only ever opening a sentence keeps its capital


def test_english_stems_are_shown_as_written():
    assert lemma("BRICS", "en") == "bric"  # the light stemmer cuts the plural "s"
    texts = [
        ("The BRICS summit opened in Kazan. BRICS leaders met.", "en"),
        ("Kazakhstan will not seek BRICS membership, an aide said.", "en"),
        ("Sanctions on shipping were tightened.", "en"),
    ]
    terms = _terms(texts, ["bric", "sanction"])
    assert terms[0] == "BRICS" and "bric" not in terms
    assert "Sanctions" not in terms and "sanctions" in terms  # a capital that only opens sentences is dropped
    assert "BRICS summit" not in terms  # once is not a phrase


def test_kazakh_words_in_case_forms_and_link_debris_are_left_out():
    texts = [
        ("Орталық Азия елдері Қытаймен келіссөз жүргізді. Орталық Азия саммиті өтті.", "kk"),
        ("Орталық Азия мен Қытаймен арадағы сауда өсті. #орталықазия https://t.me/channel", "kk"),
    ]
    counts = count_surfaces(texts, is_stop)
    assert surface(counts, lemma("Қытаймен", "kk")) is None  # only ever «with China»
    assert readable_terms([lemma("Азия", "kk")], counts, 3) == ["Орталық Азия"]
    assert "орталықазия" not in counts.uses and "channel" not in counts.uses


# --- the report ----------------------------------------------------------------------------


def _english(rng: random.Random) -> str:
    """An English post on BRICS: varied sentences from a small vocabulary."""
    sentences = []
    for _ in range(3):
        words = [rng.choice(EN_WORDS) for _ in range(9)]
        words.insert(rng.randrange(1, 8), "BRICS")
        sentences.append(" ".join(words).capitalize().replace("brics", "BRICS") + ".")
    return " ".join(sentences)


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory):
    """Two years of Russian posts on several themes, one theme written with an oblique set
    phrase (Среднего коридора) and a word whose lemma is not how it is written (деньги ->
    деньга), and a BRICS theme written in both Russian and English."""
    path = tmp_path_factory.mktemp("terms") / "t.db"
    rng = random.Random(7)
    with Store.open(path) as store:
        c = Corpus(store)
        monthly(c, 2023, 2, CHANNELS, themes={"water": "водные ресурсы"}, actors=["UZ", "KG"])
        monthly(c, 2024, 2, CHANNELS, themes={"water": "водные ресурсы"}, actors=["UZ", "KG"])
        monthly(c, 2023, 1, CHANNELS, themes={"corridor": "Среднего коридора"}, actors=["CN"])
        monthly(c, 2024, 3, CHANNELS, themes={"corridor": "Среднего коридора"}, actors=["CN"],
                extra=["деньги на паромы"])  # fmt: skip
        monthly(c, 2023, 1, CHANNELS, themes={"brics": "БРИКС"}, actors=["RU"])
        monthly(c, 2024, 1, CHANNELS, themes={"brics": "БРИКС"}, actors=["RU"], extra=["саммит БРИКС"])
        for i in range(12):
            c.add(CHANNELS[i % 4], date(2024, 1 + i, 20), themes={"brics": "BRICS"}, actors=["RU"],
                  text=_english(rng))  # fmt: skip
        c.flush()
    return path


def _trend(path, lang: str, theme: str) -> dict:
    with Store.open(path, create=False) as store:
        report = build_report(
            store, lexicon(), 2024, top=5, events=0, lang=lang, options=ReportOptions(topics=False)
        )
    return next(t for t in report["trends"] if t["theme"] == theme)


def test_russian_report_terms_are_written_words_and_phrases(corpus_db):
    terms = _trend(corpus_db, "ru", "corridor")["terms"]
    assert "деньги" in terms and "деньга" not in terms
    assert "Средний коридор" in terms  # the posts only ever write «Среднего коридора»
    assert not {"средний", "среднее", "коридор"} & set(terms)  # its words are not repeated alone
    brics = _trend(corpus_db, "ru", "brics")["terms"]
    assert "саммит БРИКС" in brics  # half of the uses of БРИКС are in this phrase
    assert not {"брикс", "bric", "саммит"} & set(brics)


def test_terms_come_from_the_posts_in_the_report_language(corpus_db):
    en = _trend(corpus_db, "en", "brics")["terms"]
    assert "BRICS" in en and "bric" not in en
    assert all(term.isascii() for term in en), en  # 12 English posts: enough to take terms from
    ru = _trend(corpus_db, "ru", "brics")["terms"]
    assert "BRICS" not in ru and not any(term.isascii() for term in ru), ru
    # a theme with no English posts still gets terms, from the posts it has
    assert "деньги" in _trend(corpus_db, "en", "corridor")["terms"]


def test_the_index_lemmas_are_used_when_they_line_up_with_the_words():
    from multivector.annotate.link import make_stream

    text = "Грузы пошли по Среднему коридору: см. https://example.com/sredniy-koridor и новый маршрут."
    indexed = " ".join(make_stream(text, "ru", frozenset()).lemmas)  # what ingest puts in the index
    plain = count_surfaces([(text, "ru")], is_stop)
    from_index = count_surfaces([(text, "ru", indexed)], is_stop)
    assert from_index.forms == plain.forms and from_index.grams == plain.grams
    assert "коридор" in from_index.uses and "example" not in from_index.uses
    # a lemma string that does not fit the text is not trusted: the words are lemmatised again
    for wrong in ("один два три", indexed + " лишнее"):
        assert count_surfaces([(text, "ru", wrong)], is_stop).forms == plain.forms
    # a compound the index keeps as its parts is read as its parts, as the ranking saw it
    text = "Северо-западный маршрут открыт."
    indexed = " ".join(make_stream(text, "ru", frozenset()).lemmas)
    assert {"северо", "западный"} <= set(count_surfaces([(text, "ru", indexed)], is_stop).uses)
    # only the lead of a long post is read
    long = count_surfaces([("Коридор растёт. " + "Слово " * 600 + "Паромы плывут.", "ru")], is_stop)
    assert "коридор" in long.uses and "паром" not in long.uses


def test_a_lone_adjective_is_named_in_its_dictionary_form():
    texts = [("Российские банки и российские компании ушли.", "ru"), ("Российские порты закрыты.", "ru")]
    assert _terms(texts, ["российский"]) == ["российский"]
