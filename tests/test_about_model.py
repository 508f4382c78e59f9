"""The aboutness model as knowledge: a user's retrained model replaces the built-in one, and an
analyst's corrections become training examples."""

from __future__ import annotations

import gzip
import importlib.util
import json
import re
from collections import Counter
from importlib import resources

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from helpers import REPO, corpus
from multivector.annotate.about import CONTEXT_AFTER, CONTEXT_BEFORE, AboutModel, Observation
from multivector.annotate.annotator import Annotator
from multivector.knowledge import load_knowledge
from multivector.model import InputError, Post
from multivector.pipeline import AnnotateOptions, IngestOptions, Ingestor
from multivector.store.sqlite import Store

VISIT = (
    "Президент Казахстана провёл переговоры с председателем КНР в Астане. Стороны подписали "
    "соглашения о торговле и транзите грузов."
)


def builtin_model() -> dict:
    res = resources.files("multivector.annotate").joinpath("models", "about.json.gz")
    with res.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        return json.load(fh)


def write_model(folder, model: dict) -> None:
    (folder / "models").mkdir(parents=True, exist_ok=True)
    with gzip.open(folder / "models" / "about.json.gz", "wt", encoding="utf-8") as fh:
        json.dump(model, fh)


def test_a_model_in_a_knowledge_folder_replaces_the_built_in_one(tmp_path):
    assert Annotator(load_knowledge(), ner=False).annotate(VISIT, "ru").in_scope
    model = builtin_model()
    model["scope"]["bias"] = -50.0  # a model that finds nothing in scope
    write_model(tmp_path, model)
    knowledge = load_knowledge([tmp_path])
    assert knowledge.model_path == tmp_path / "models" / "about.json.gz"
    assert not Annotator(knowledge, ner=False).annotate(VISIT, "ru").in_scope
    # the model is part of the fingerprint: `annotate` redoes the posts tagged by another model
    assert knowledge.fingerprint != load_knowledge().fingerprint
    # ... but not of what a trained model records: retraining must not depend on the last model
    assert knowledge.rules_fingerprint == load_knowledge().rules_fingerprint


def test_words_of_equal_weight_are_given_in_word_order_whatever_the_hash_seed():
    # The post's lemmas are a set, iterated in an order that changes with each process's hash
    # seed; the words a decision names (its reason, a theme's evidence) must not follow it.
    words = ["жаңа", "мир", "договор", "астана", "визит", "banks", "зерно", "рынок"]
    model = AboutModel({
        "actor": {"w": {}, "threshold": 0.5},
        "theme": {"w": {}, "bias": {"trade": -1.0}, "default_bias": -3.0, "threshold": 0.5,
                  "lemmas": {w: {"trade": 0.5} for w in words}},
        "scope": {"w": {}, "bias": -2.0, "lemmas": {w: 0.75 for w in words}, "threshold": 0.5},
    })  # fmt: skip
    obs = Observation({}, {}, {}, {}, frozenset(words), [])
    decision = model.decide(obs)
    assert decision.in_scope and decision.about_themes == ["trade"]
    assert decision.why_themes["trade"] == sorted(words)[:5]
    assert decision.scope_reason.endswith("words " + ", ".join(sorted(words)[:4]))


def test_a_broken_model_file_is_one_clear_error(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "about.json.gz").write_bytes(b"not gzip at all")
    with pytest.raises(InputError, match="about.json.gz: not an aboutness model"):
        Annotator(load_knowledge([tmp_path]), ner=False)


def _train_module():
    spec = importlib.util.spec_from_file_location("train_about", REPO / "tools" / "train_about.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_training_numbers_feature_columns_the_same_whatever_order_a_row_was_built_in():
    train = _train_module()
    first, second = train.Vocab(), train.Vocab()
    a = train.matrix([{"w:мир": 1.0, "a:bias": 1.0, "w:договор": 2.0}], first)
    b = train.matrix([{"w:договор": 2.0, "a:bias": 1.0, "w:мир": 1.0}], second)
    assert first.names() == second.names()
    assert (a != b).nnz == 0


def test_theme_word_weights_add_up_at_run_time_to_what_the_trained_model_gives():
    # Word features are THEME_WORD_SCALE in training, and a post's words simply add their
    # exported weights at run time: the export must carry the scale, or every word would
    # count for less than the model learnt.
    train = _train_module()
    rng = np.random.default_rng(5)
    words = [f"w{i}" for i in range(12)]
    posts = [set(rng.choice(words, 4, replace=False)) for _ in range(300)]
    y = np.array([1 if {"w1", "w2"} & p else 0 for p in posts])
    vocab = train.Vocab()
    x = train.matrix([train.theme_word_features("trade", p) for p in posts], vocab)
    model = LogisticRegression(C=1.0, solver="liblinear", random_state=0).fit(x, y)
    table = train.theme_word_weights(train.weights(model, vocab))
    for post, z in zip(posts[:20], model.decision_function(x[:20]), strict=True):
        at_run_time = model.intercept_[0] + sum(table[w].get("trade", 0.0) for w in post)
        assert at_run_time == pytest.approx(z, abs=1e-3)


def test_a_new_label_file_swaps_out_only_the_weak_negatives_it_labels():
    # The weak negatives must not reshuffle when posts are labelled by hand: a held-out set's
    # posts leave the sample and nothing else changes, so models before and after trained on
    # the same weak posts but those.
    train = _train_module()
    news = {("it", n): {"category": "it"} for n in range(4000)}
    news |= {("world", n): {"category": "political"} for n in range(500)}
    before = train.weak_negatives(news, set())
    assert len(before) == train.WEAK_NEGATIVES and all(k[0] == "it" for k in before)
    labelled = set(before[::10]) | {("world", 3)}
    after = train.weak_negatives(news, labelled)
    assert len(after) == train.WEAK_NEGATIVES and not labelled & set(after)
    assert set(before) - set(after) == set(before[::10])
    assert len(set(after) - set(before)) == len(before[::10])


def test_training_dump_names_the_decision_the_actor_and_the_post_of_each_error():
    train = _train_module()
    item = {"source": "dev", "lang": None, "text": "Тоқаев Бейжіңге барды. " * 30}
    line = train._error_line("actor", item, "kk", 0, 0.8123, actor="CN")
    row = json.loads(line)
    assert line.endswith("\n") and "\n" not in line[:-1]
    assert row == {
        "decision": "actor", "source": "dev", "lang": "kk", "gold": 0, "p": 0.812, "actor": "CN",
        "text": item["text"][:400],
    }  # fmt: skip


def test_cross_validation_never_scores_a_row_with_a_model_that_saw_its_post():
    # Each post gives two rows that share a feature only that post has (as a post's actor rows
    # share its words); labels are random by post. A row scored by a model trained on its twin
    # looks predictable; scored by a model that never saw the post, it is a coin toss.
    train = _train_module()
    rng = np.random.default_rng(3)
    n = 120
    labels = rng.integers(0, 2, n)
    x = sp.csr_matrix((np.ones(2 * n), (np.arange(2 * n), np.repeat(np.arange(n), 2))), shape=(2 * n, n))
    y = np.repeat(labels, 2)
    posts = np.repeat(np.arange(n), 2)

    def accuracy(p):
        return float(np.mean((p >= 0.5) == (y == 1)))

    assert accuracy(train.oof_proba(x, y, 1.0)) > 0.8  # row-wise folds: the twin leaks the label
    assert accuracy(train.oof_proba(x, y, 1.0, posts=posts)) < 0.7


def test_corrected_posts_become_training_examples_with_the_corrected_tags(tmp_path):
    db = tmp_path / "c.db"
    with Store.open(db) as store:
        options = IngestOptions(annotate=AnnotateOptions(ner=False))
        with Ingestor(store, options) as ingestor:
            ingestor.add_posts(
                [Post("text", "notes", "1", VISIT), Post("text", "notes", "2", "Погода в Астане.")]
            )
        visit = next(p for p in store.iter_export() if p["message_id"] == "1")
        assert "CN" in visit["about"]["actors"] and "middle_power" not in visit["about"]["themes"]
        store.add_correction(visit["id"], "actor", "CN", "remove", author="analyst")
        store.add_correction(visit["id"], "theme", "middle_power", "add", author="analyst")
    examples = _train_module().corrected_posts(str(db))
    assert len(examples) == 1  # only the corrected post
    (example,) = examples
    assert example["text"] == VISIT and example["in_scope"] is True
    assert "CN" not in example["about_actors"] and "KZ" in example["about_actors"]
    assert "middle_power" in example["themes"]


DIGEST = """Главное за неделю:
• Казахстан и Китай подписали соглашение о поставках зерна.
• Узбекистан открыл новый пункт пропуска на границе.
• Премьер Турции посетил Баку.
Комментарий редакции: Россия пока молчит."""


def test_an_actor_named_in_one_item_of_a_digest_is_a_subject_of_the_post(tmp_path):
    ((_, _, obs),) = Annotator(load_knowledge(), ner=False).observe_many([(DIGEST, "ru")])
    assert obs.actor_feats["AZ"]["a:bullet"] == 1.0 and obs.actor_feats["RU"]["a:bullet"] == 0.0
    assert "AZ" in Annotator(load_knowledge(), ner=False).annotate(DIGEST, "ru").about_actors
    # Without what the model learnt of items, a country named once, last, in a list of five is
    # only a passing name.
    model = builtin_model()
    del model["actor"]["w"]["a:bullet"]
    write_model(tmp_path, model)
    assert "AZ" not in Annotator(load_knowledge([tmp_path]), ner=False).annotate(DIGEST, "ru").about_actors


def test_items_numbered_with_keycap_digits_are_digest_items_too():
    # Telegram digests number their items 1️⃣ 2️⃣ 3️⃣: those lines are items like bulleted ones.
    keycaps = (
        DIGEST.replace("• ", "1\ufe0f\u20e3 ", 1).replace("• ", "2\ufe0f\u20e3 ", 1).replace("• ", "3\u20e3 ")
    )
    ((_, _, obs),) = Annotator(load_knowledge(), ner=False).observe_many([(keycaps, "ru")])
    assert obs.actor_feats["AZ"]["a:bullet"] == 1.0 and obs.actor_feats["RU"]["a:bullet"] == 0.0
    assert obs.doc_feats["d:bullets"] == 3 / 5


def test_the_salience_model_reads_the_words_around_each_mention_within_its_sentence():
    annotator = Annotator(load_knowledge(), ner=False)
    text = "Переговоры с Китаем прошли в Астане. Погода была хорошей."
    ((_, _, obs),) = annotator.observe_many([(text, "ru")])
    china = {k for k in obs.actor_feats["CN"] if k.startswith((CONTEXT_BEFORE, CONTEXT_AFTER))}
    assert {"a:cL:переговоры", "a:cL:с", "a:cR:пройти", "a:cR:астана"} <= china
    assert not any(k.endswith((":погода", ":хороший")) for k in china)  # another sentence
    # The shipped model weighs them: context words are learnt from the training posts.
    weights = builtin_model()["actor"]["w"]
    assert sum(k.startswith((CONTEXT_BEFORE, CONTEXT_AFTER)) for k in weights) > 1000


def test_content_words_are_the_non_stop_lemmas_before_and_after_the_cache_is_full(monkeypatch):
    from multivector.annotate import stopwords

    monkeypatch.setattr(stopwords, "_CONTENT", set())
    monkeypatch.setattr(stopwords, "_NOT_CONTENT", set())
    monkeypatch.setattr(stopwords, "_SORTED_LIMIT", 6)
    posts = [
        {"и", "санкция", "в", "казахстан", "2024", "не"},
        {"китай", "по", "транзит", "и", "порт", "с"},  # the cache is full from here on
        {"на", "визит", "министр", "это", "актау", "который"},  # judged without the cache
        {"и", "санкция", "визит", "на"},
    ]
    for distinct in posts:
        assert stopwords.content_words(distinct) == frozenset(
            lm for lm in distinct if not stopwords.is_stop(lm)
        )
    assert len(stopwords._CONTENT) + len(stopwords._NOT_CONTENT) == len(posts[0])


def test_training_can_leave_a_batch_out_or_report_it_apart():
    # The way a new batch of written posts is judged: the model without it against the model with
    # it, on the posts both saw (tools/train_about.py --leave-out / --apart).
    train = _train_module()
    folder = REPO / "tests" / "data" / "about" / "train"
    sixth = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in folder.glob("*_sixth.jsonl"))
    fifth = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in folder.glob("*_fifth.jsonl"))
    every = Counter(d["source"] for d in train.load_training())
    some = Counter(
        d["source"] for d in train.load_training(apart=["*_sixth.jsonl"], leave_out=["*_fifth.jsonl"])
    )
    assert sixth and fifth
    assert some[train.APART] == sixth and train.APART not in every
    assert some["written"] == every["written"] - sixth - fifth
    assert (
        train.SOURCE_WEIGHTS[train.APART] == train.SOURCE_WEIGHTS["written"]
    )  # reported apart, weighed alike


def test_news_labels_too_can_be_left_out_or_reported_apart():
    corpus("tg_news_ru_nktkln", "raw")  # skips when the real news set is not here
    train = _train_module()
    folder = REPO / "tests" / "data" / "news_labels"
    batch = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in folder.glob("train_more_[cd].jsonl"))
    every = Counter(d["source"] for d in train.load_training())
    apart = Counter(d["source"] for d in train.load_training(apart=["train_more_[cd].jsonl"]))
    left = Counter(d["source"] for d in train.load_training(leave_out=["train_more_[cd].jsonl"]))
    assert batch
    assert apart[train.NEWS_APART] == batch and apart["news"] == every["news"] - batch
    assert left["news"] == every["news"] - batch and train.NEWS_APART not in left


def test_news_posts_drawn_for_the_models_doubt_train_it_but_choose_no_threshold():
    # Posts labelled because the model of the time was unsure of them teach it most, but they are
    # not a sample of what users read: a threshold chosen on them would be chosen for them.
    corpus("tg_news_ru_nktkln", "raw")
    train = _train_module()
    folder = REPO / "tests" / "data" / "news_labels"
    unsure = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in folder.glob(train.UNSURE_FILES))
    every = Counter(d["source"] for d in train.load_training())
    apart = Counter(d["source"] for d in train.load_training(apart=[train.UNSURE_FILES]))
    assert unsure and every[train.UNSURE] == unsure and apart[train.UNSURE_APART] == unsure
    assert apart["news"] == every["news"]  # a random news batch is never taken for a doubtful one
    assert train.SOURCE_WEIGHTS[train.UNSURE] == train.SOURCE_WEIGHTS["news"]
    # Ten sampled posts are cut best at 0.5; ten doubtful ones, all positives at 0.25, would pull
    # the cut down to 0.25 if they counted.
    y = np.array([1] * 5 + [0] * 5 + [1] * 10)
    p = np.array([0.6] * 5 + [0.3] * 5 + [0.25] * 10)
    src = ["news"] * 5 + ["written"] * 5 + [train.UNSURE] * 5 + [train.UNSURE_APART] * 5
    assert train.best_threshold(y, p) <= 0.25
    assert 0.3 < train.sampled_threshold(y, p, src) <= 0.6


def test_a_flat_curve_gives_the_middle_of_its_plateau_not_its_first_best_point():
    # F1 is 1.0 for every cut from 0.325 to 0.6 and a hair less at 0.3 (one negative at 0.31):
    # the first best cut, 0.325, would sit at the plateau's edge; its middle is 0.45.
    train = _train_module()
    y = np.array([1] * 5000 + [0] * 5000)
    p = np.array([0.61] * 5000 + [0.29] * 4999 + [0.31])
    assert train.best_threshold(y, p) == 0.45  # the middle of 0.3 ... 0.6
    # A peaked curve keeps its peak: one cut is clearly best.
    y = np.array([1] * 10 + [0] * 10)
    p = np.array([0.5] * 10 + [0.45] * 10)
    assert train.best_threshold(y, p) == 0.475


def test_folded_word_vector_weights_add_up_to_what_the_vector_features_give():
    # Training reads the sum of a post's word vectors; the shipped model holds one figure per
    # word instead. The two agree for any weights, so the folding loses nothing.
    train = _train_module()
    vectors = train.WordVectors()
    lemmas = frozenset({"ракета", "переговоры", "посольство", "кошка", "несуществующееслово"})
    w = np.random.default_rng(7).normal(size=vectors.dim)
    feats = vectors.post(lemmas)
    direct = sum(v * w[int(k[2:])] for k, v in feats.items())
    folded = vectors.fold(w, set(lemmas), min_weight=0.0)
    assert "несуществующееслово" not in folded and len(folded) == 4
    assert sum(folded.values()) == pytest.approx(direct, abs=1e-3)
    assert direct != pytest.approx(0.0)


def test_word_vector_weights_count_for_posts_of_their_language_only():
    model = AboutModel.load()
    table = model.scope_vector_lemmas["ru"]
    # A word that only its vector weighs (no training post held it as a scope word).
    word = max((k for k in table if k not in model.scope_lemmas), key=lambda k: abs(table[k]))
    scores = {}
    for lang in ("ru", "kk", None):
        obs = Observation({}, {}, {}, {}, frozenset({word}), [], lang)
        scores[lang] = model.decide(obs).scope_score
    assert scores["kk"] == scores[None]
    assert (scores["ru"] - scores["kk"]) * table[word] > 0
    without = AboutModel({**builtin_model(), "scope": {**builtin_model()["scope"], "vector_lemmas": {}}})
    assert (
        without.decide(Observation({}, {}, {}, {}, frozenset({word}), [], "ru")).scope_score == scores["kk"]
    )


def test_training_report_counts_a_subject_never_linked_as_a_miss(capsys):
    # The actor rows only hold actors the gazetteer found; the post-level line must also count
    # the labelled subjects it never found, and a person as their state.
    train = _train_module()
    items = [
        {"source": "news", "about": ["RU", "UA"]},  # UA never linked
        {"source": "written", "about": ["KZ"]},
    ]
    states = {"putin": {"RU"}, "US": {"US"}, "KZ": {"KZ"}}
    train.report_subjects(
        items, [0, 0, 1], ["putin", "US", "KZ"], np.array([True, True, True]), lambda a: states[a]
    )
    counts = {
        m.group(1): m.group(2)
        for m in re.finditer(r"subjects\s+(.+?)\s+P .*?\((.*)\)", capsys.readouterr().out)
    }
    assert counts == {
        "all": "tp 2, fp 1, fn 1",
        "target style": "tp 1, fp 0, fn 0",
        "news": "tp 1, fp 1, fn 1",
    }  # "written" holds the same posts as "target style": one row, as for the actor rows


def test_a_theme_labelled_more_often_in_training_than_in_the_dev_halves_is_expected_less_often():
    # Batches written to teach one theme make it commoner in training than in what users read;
    # the dev halves (random samples of written posts) give the share to expect.
    train = _train_module()
    n = 400
    theme = np.array(["trade", "war"] * n)
    src = np.array(["written"] * (n * 3 // 2) + ["dev"] * (n // 4) + ["dev2"] * (n // 4))
    rng = np.random.default_rng(5)
    y = np.zeros(2 * n, dtype=int)
    for k in range(2 * n):
        share = (0.5 if src[k] == "written" else 0.1) if theme[k] == "trade" else 0.2
        y[k] = rng.random() < share
    in_scope = np.ones(2 * n, dtype=bool)
    offsets = train.prior_offsets(y, theme, src, in_scope, train.PRIOR_SOURCES)
    assert offsets["trade"] < -0.5  # half of training, a tenth of dev: expected less
    assert abs(offsets["war"]) < 0.35  # the same share everywhere: about no shift
    # Out-of-scope rows (every theme 0) say nothing about a theme's share.
    out = np.concatenate([in_scope, np.zeros(200, dtype=bool)])
    more = train.prior_offsets(
        np.concatenate([y, np.zeros(200, dtype=int)]),
        np.concatenate([theme, np.array(["trade"] * 200)]),
        np.concatenate([src, np.array(["dev"] * 200)]),
        out,
        train.PRIOR_SOURCES,
    )
    assert more == offsets
    # A dev half's own rows are shifted by what the other half says, not by their own labels.
    p = np.full(2 * n, 0.5)
    shifted = train.shifted_scores(p, y, theme, src, in_scope, offsets)
    only_dev2 = train.prior_offsets(y, theme, src, in_scope, ("dev2",))
    k = int(np.flatnonzero((src == "dev") & (theme == "trade"))[0])
    assert shifted[k] == pytest.approx(1 / (1 + np.exp(-only_dev2["trade"])))
    k = int(np.flatnonzero((src == "written") & (theme == "trade"))[0])
    assert shifted[k] == pytest.approx(1 / (1 + np.exp(-offsets["trade"])))


def test_the_shipped_model_expects_each_theme_as_often_as_the_dev_halves_label_it():
    # The shipped biases carry the shift: a theme the training posts label clearly more often
    # than the dev halves do is pulled down, one they label clearly less often is pushed up.
    train = _train_module()
    res = resources.files("multivector.annotate").joinpath("models", "about.json.gz")
    with res.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        shift = json.load(fh)["theme"]["prior_shift"]
    shares: dict[str, dict[str, list[int]]] = {"train": {}, "dev": {}}
    for d in train.load_training():
        if d["source"] not in train.PRIOR_FROM or d["in_scope"] is False:
            continue
        for part in ("train", "dev") if d["source"] in train.PRIOR_SOURCES else ("train",):
            for t in shift:
                k, n = shares[part].setdefault(t, [0, 0])
                shares[part][t] = [k + (t in d["themes"]), n + 1]
    checked = 0
    for t, v in shift.items():
        (k, n), (kd, nd) = shares["train"][t], shares["dev"][t]
        gap = kd / nd - k / n
        if abs(gap) > 0.03:
            assert (v < 0) == (gap < 0), t
            checked += 1
    assert checked >= 5
