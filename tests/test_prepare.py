"""Normalisation, the pasted-twice body, language identification and fingerprints."""

import json
import re
from pathlib import Path

import numpy as np

from helpers import corpus
from multivector.annotate import tokens
from multivector.prepare.dedup import NUM_PERM, fingerprint, similarities
from multivector.prepare.language import _by_script, detect, detect_many
from multivector.prepare.normalize import cut_repeated_body, normalize

SAMPLE = Path(tokens.__file__).resolve().parents[1] / "sample"


def test_normalize_removes_invisible_and_control_characters():
    raw = "Каза\u200bхстан\u00a0и  Китай\x07\r\n\n\n\nподписали\ufeff"
    assert normalize(raw) == "Казахстан и Китай\n\nподписали"


def test_normalize_composes_to_nfc():
    decomposed = "и\u0306"  # и + combining breve
    assert normalize(decomposed) == "й"


def test_repeated_body_is_cut_to_one_copy():
    body = "Токаев провёл переговоры с Си Цзиньпином в Астане.\nСтороны подписали соглашения."
    text, repeated = cut_repeated_body(normalize(body + "\n\n" + body.replace(" ", "  ")))
    assert repeated
    assert text == normalize(body)


def test_title_then_body_twice_is_cut_to_title_and_body():
    title = "Токаев провёл переговоры с Мирзиёевым"
    body = "Стороны обсудили водные вопросы, транзит и торговлю. Подписано пять соглашений."
    text, repeated = cut_repeated_body(normalize(f"{title}\n{body}\n{body}"))
    assert repeated
    assert text == f"{title}\n{body}"
    # A title repeated with its body (title, body, title, body) is one copy too.
    assert cut_repeated_body(f"{title}\n{body}\n{title}\n{body}") == (f"{title}\n{body}", True)
    # The same words twice inside one paragraph, after a title, are not a pasted copy.
    once = f"{title}\nДа, да, да, да, да, да, да, да, да, да, конец."
    assert cut_repeated_body(once) == (once, False)


def test_text_that_is_not_repeated_is_kept_whole():
    body = "Токаев провёл переговоры с Си Цзиньпином в Астане. Токаев провёл переговоры с Путиным в Москве."
    assert cut_repeated_body(body) == (body, False)
    assert cut_repeated_body("Да. Да.") == ("Да. Да.", False)


def test_kazakh_is_not_confused_with_russian():
    kk = "Қазақстан мен Қытай арасындағы сауда айналымы биыл едәуір өсті"
    kk_without_special_letters = "Президент елдің сыртқы саясаты туралы мәлімдеме жасады"
    ru = "Казахстан и Китай подписали соглашение о строительстве новой железной дороги"
    assert detect_many([kk, kk_without_special_letters, ru]) == ["kk", "kk", "ru"]


def test_english_other_and_too_short():
    assert detect("Kazakhstan and the European Union signed a memorandum on critical raw materials") == "en"
    assert detect("这是一个关于图书馆和历史的中文句子") == "other"
    assert detect("Ок!") == "und"


def test_near_duplicates_have_similar_signatures_and_others_do_not():
    a = "Президент Казахстана провёл переговоры с председателем КНР в Астане, обсудив энергетику, транспорт и торговлю."
    b = a.replace("обсудив", "обсуждая") + " Подписано 30 документов."
    c = "В Алматы выпал снег, синоптики обещают морозы до минус двадцати градусов на выходных и гололёд."
    fa, fb, fc = fingerprint(a), fingerprint(b), fingerprint(c)
    near, other = similarities(fa.signature, [fb.signature, fc.signature])
    assert near >= 0.6 and other < 0.2
    assert fa.content_hash != fb.content_hash


def test_exact_hash_ignores_case_punctuation_and_links():
    a = fingerprint("Казахстан и Китай подписали соглашение о транзите грузов! https://t.me/x/1")
    b = fingerprint("казахстан и китай — подписали соглашение о транзите грузов")
    assert a.content_hash == b.content_hash
    assert fingerprint("Доброе утро").content_hash is None


def test_a_text_met_again_is_prepared_once_and_gives_the_same_result(monkeypatch):
    from datetime import datetime

    from multivector.model import SOURCE_TELEGRAM, Post
    from multivector.pipeline import AnnotateOptions, Preparer, revision

    text = "Токаев провёл переговоры с Си Цзиньпином в Астане. Стороны подписали соглашения о транзите."
    other = "Казахстан и Узбекистан обсудили водные вопросы и торговлю на встрече в Ташкенте."

    def posts(*items):
        made = [
            Post(SOURCE_TELEGRAM, ch, str(i), t, date=datetime(2024, 5, i))
            for i, (ch, t) in enumerate(items, 1)
        ]
        return [(p, revision(p)) for p in made]

    alone = [
        Preparer(AnnotateOptions(ner=False)).prepare(posts((ch, t)))[0]
        for ch, t in (("a", text), ("b", other))
    ]
    preparer = Preparer(AnnotateOptions(ner=False))
    seen: list[str] = []
    annotate = preparer.annotator.annotate_for_index
    monkeypatch.setattr(
        preparer.annotator,
        "annotate_for_index",
        lambda items: seen.extend(t for t, _ in items) or annotate(items),
    )
    batch = posts(("a", text), ("b", other), ("c", text))
    first = preparer.prepare(batch)
    later_batch = posts(("d", text))
    later = preparer.prepare(later_batch)
    assert sorted(seen) == sorted([text, other])  # the repeats were not annotated again
    for got, want in ((first[0], alone[0]), (first[1], alone[1]), (first[2], alone[0]), (later[0], alone[0])):
        assert (got.lemmas, got.content_hash, got.signature, got.bands, got.reword_bands, got.annotation) == (
            want.lemmas, want.content_hash, want.signature, want.bands, want.reword_bands, want.annotation,
        )  # fmt: skip
    assert [p.post.channel for p in first + later] == ["a", "b", "c", "d"]  # each keeps its own post
    assert [p.revision for p in first + later] == [rev for _, rev in batch + later_batch]


def test_capital_letters_outside_the_russian_alphabet_are_not_read_as_russian():
    # Ukrainian Ї and Є written only as capitals: the script test must not call this Russian.
    text = "ЇЖАЧОК ТА ЄНОТ ПРИЙШЛИ ДО ЛІСУ РАНО ВРАНЦІ"
    letters = sum(c.isalpha() for c in text)
    assert _by_script(text, letters) is None
    assert _by_script(text.replace("Ї", "И").replace("Є", "Е").replace("І", "И"), letters) == "ru"


def _cyrillic_words(texts) -> set[str]:
    return {w.lower() for t in texts for w in re.findall(r"[А-Яа-яЁё]+", t)}


def _same_lemmas(words: set[str]) -> int:
    """Check the dictionary shortcut against pymorphy3's full analysis; returns how many words
    the shortcut answered."""
    assert tokens._lean_lookup()
    morph = tokens._morph()
    answered = 0
    for w in sorted(words):
        lean = tokens._known_word_lemma(w)
        if lean is not None:
            answered += 1
            assert lean == morph.parse(w)[0].normal_form, w
    return answered


def test_dictionary_shortcut_gives_the_lemmas_of_the_full_analysis_on_the_sample():
    words = _cyrillic_words(p.read_text(encoding="utf-8") for p in SAMPLE.rglob("*") if p.is_file())
    assert len(words) > 2000
    assert _same_lemmas(words) > 0.7 * len(words)


def test_dictionary_shortcut_gives_the_lemmas_of_the_full_analysis_on_real_news():
    texts = []
    for path in sorted(corpus("tg_news_ru_nktkln", "raw").glob("*.json"))[:4]:
        texts += [
            m["text"] for m in json.loads(path.read_text(encoding="utf-8")) if isinstance(m.get("text"), str)
        ]
    words = _cyrillic_words(texts)
    assert _same_lemmas(words) > 0.6 * len(words)


def test_similarities_in_one_pass_are_the_share_of_agreeing_slots_of_each_pair():
    # The writer compares a post with all its candidates at once (a templated channel gives
    # thousands): each figure must be that pair's share of equal signature slots, to the last bit.
    base = "Курсы валют ЦБ на сегодня: доллар 91,25 руб., евро 99,10 руб., юань 12,61 руб. Подписывайтесь"
    texts = [
        base,
        base.replace("91,25", "92,40"),
        base.replace("евро", "фунт"),
        "Совсем другой текст о погоде в Алматы и снеге",
    ]
    sigs = [fingerprint(t * 3).signature for t in texts]
    slots = [np.frombuffer(s, dtype="<u4").tolist() for s in sigs]
    expected = [sum(x == y for x, y in zip(slots[0], other, strict=True)) / NUM_PERM for other in slots]
    assert similarities(sigs[0], sigs * 3) == expected * 3
    assert expected[0] == 1.0 and expected[3] == 0.0 and 0.0 < min(expected[1:3]) < 1.0
    assert similarities(sigs[0], []) == []


def test_minhash_signature_is_the_prime_field_hash_that_stored_signatures_were_made_with():
    # Signatures are stored: the vectorised arithmetic must give exactly (a*h + b) mod 2^64,
    # then mod 2^61 - 1, low 32 bits, minimum over the text's word bigrams.
    import zlib

    from multivector.prepare import dedup

    text = "Министры иностранных дел Казахстана и Китая обсудили транзит грузов через Каспий и порт Актау"
    words = dedup._words(text)
    shingles = {zlib.crc32(f"{x} {y}".encode()) for x, y in zip(words, words[1:], strict=False)}
    a, b = dedup._permutations()
    expected = [
        min(((int(ai) * h + int(bi)) % 2**64) % (2**61 - 1) & 0xFFFFFFFF for h in shingles)
        for ai, bi in zip(a, b, strict=True)
    ]
    got = np.frombuffer(fingerprint(text).signature, dtype="<u4").tolist()
    assert got == expected


def test_the_annotators_content_lemmas_are_those_the_reworded_copy_rule_reads_from_the_index():
    # The worker hands the annotator's content lemmas to the reworded-copy signature; the writer
    # later cuts the same set from the full-text index's lemma string (annotate/reworded.py).
    from multivector.annotate.reworded import content_lemmas
    from multivector.preparer import AnnotateOptions, Preparer

    preparer = Preparer(AnnotateOptions(ner=False))
    texts = [p.read_text(encoding="utf-8") for p in sorted((SAMPLE / "pasted").glob("*.txt"))]
    items = [(t, "ru") for t in texts] + [(t, "kk") for t in texts[:2]] + [(t, "en") for t in texts[:2]]
    for found in preparer.annotator.annotate_for_index(items):
        assert found.content == content_lemmas(found.lemmas)
        assert len(found.content) > 20
