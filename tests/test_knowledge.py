"""Knowledge files: the built-in data, the loader's validation and merging, profiles."""

from __future__ import annotations

import pickle
import textwrap
from pathlib import Path

import pytest

from multivector.knowledge import load_knowledge, parse_pattern
from multivector.model import InputError

UN_MEMBERS = """
AF AL DZ AD AO AG AR AM AU AT AZ BS BH BD BB BY BE BZ BJ BT BO BA BW BR BN BG BF BI CV KH CM CA
CF TD CL CN CO KM CG CD CR CI HR CU CY CZ DK DJ DM DO EC EG SV GQ ER EE SZ ET FJ FI FR GA GM GE
DE GH GR GD GT GN GW GY HT HN HU IS IN ID IR IQ IE IL IT JM JP JO KZ KE KI KP KR KW KG LA LV LB
LS LR LY LI LT LU MG MW MY MV ML MT MH MR MU MX FM MD MC MN ME MA MZ MM NA NR NP NL NZ NI NE NG
MK NO OM PK PW PA PG PY PE PH PL PT QA RO RU RW KN LC VC WS SM ST SA SN RS SC SL SG SK SI SB SO
ZA SS ES LK SD SR SE CH SY TJ TZ TH TL TG TO TT TN TR TM TV UG UA AE GB US UY UZ VU VE VN YE ZM
ZW
""".split()

REQUIRED_THEMES = """middle_power critical_minerals cooperation_formats nuclear_energy regional_cooperation
transport_corridors sanctions oil_gas trade_investment security_defense eurasian_integration sco_brics
multilateral_diplomacy war_in_ukraine mediation_peace climate_water migration_diaspora digital_technology
soft_power agriculture_food""".split()


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


def write(d: Path, name: str, text: str) -> Path:
    p = d / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return p


# ---------------------------------------------------------------------------------------------
# The built-in files


def test_every_un_member_state_is_a_country_with_three_names(kb):
    assert len(set(UN_MEMBERS)) == 193
    for code in UN_MEMBERS:
        actor = kb.actors[code]
        assert actor.kind == "country"
        assert set(actor.names) == {"ru", "kk", "en"}, code


def test_ids_follow_the_design_conventions(kb):
    for aid, actor in kb.actors.items():
        if actor.kind == "person":
            assert aid == aid.lower(), aid
            assert actor.country in kb.actors and kb.actors[actor.country].kind == "country"
        else:
            assert aid == aid.upper(), aid
        if actor.kind == "company":
            assert kb.actors[actor.country].kind == "country"
        if actor.kind == "format":
            assert actor.partners and all(p in kb.actors for p in actor.partners)
    for needed in ["EU", "EAEU", "SCO", "CSTO", "BRICS", "UN", "OSCE", "CICA", "OTS", "IAEA", "NATO", "OPEC", "CIS",
                   "WTO", "EBRD", "ADB", "AIIB", "GCC", "ROSATOM", "EDF", "CNNC", "KHNP", "KAZATOMPROM", "CPC",
                   "C5_PLUS_1", "CHINA_CENTRAL_ASIA", "EU_CENTRAL_ASIA", "RUSSIA_CENTRAL_ASIA", "GERMANY_CENTRAL_ASIA",
                   "JAPAN_CENTRAL_ASIA", "KOREA_CENTRAL_ASIA", "INDIA_CENTRAL_ASIA", "GCC_CENTRAL_ASIA",
                   "tokayev", "putin", "xi_jinping", "lavrov", "wang_yi", "nurtleu", "mirziyoyev"]:  # fmt: skip
        assert needed in kb.actors, needed


def test_required_themes_have_labels_descriptions_and_patterns_in_three_languages(kb):
    for tid in REQUIRED_THEMES:
        theme = kb.themes[tid]
        assert theme.label.get("ru") and theme.label.get("en"), tid
        assert len(theme.description) > 20, tid
        langs = {t.lang for t in theme.patterns}
        assert {"ru", "kk", "en"} <= langs or "any" in langs, tid


def test_kz_profile_vectors(kb):
    kz = kb.profile("kz")
    assert kz.focus == "KZ"
    for v in ["russia", "china", "usa", "europe", "turkic", "central_asia", "east_asia", "middle_east",
              "south_asia", "multilateral"]:  # fmt: skip
        assert kz.vectors[v], v
    assert kz.vector_of("CN") == "china"
    assert kz.vector_of("EAEU") == "russia"
    assert kz.vector_of("SCO") == "multilateral"
    assert kz.vector_of("OTS") == "turkic"
    assert kz.vector_of("KZ") is None


def test_vectors_resolve_people_companies_and_formats(kb):
    kz = kb.profile("kz")
    assert kz.vector_of("putin") == "russia"
    assert kz.vector_of("xi_jinping") == "china"
    assert kz.vector_of("ROSATOM") == "russia"
    assert kz.vector_of("EDF") == "europe"
    assert kz.vector_of("C5_PLUS_1") == "usa"
    assert kz.vector_of("EU_CENTRAL_ASIA") == "europe"
    # the focus country's own people and companies belong to no partner vector
    assert kz.vector_of("tokayev") is None
    assert kz.vectors_of("KAZATOMPROM") == []
    assert kz.is_focus("tokayev") and kz.is_focus("KAZATOMPROM") and kz.is_focus("KZ")
    assert not kz.is_focus("C5_PLUS_1")


def test_a_format_with_partners_in_several_vectors_has_several_vectors(tmp_path):
    write(
        tmp_path,
        "actors.yaml",
        """
        - id: TRILATERAL_TEST
          kind: format
          names: {ru: Тест, kk: Тест, en: Test}
          partners: [CN, RU, US]
        """,
    )
    kz = load_knowledge([tmp_path]).profile("kz")
    assert kz.vectors_of("TRILATERAL_TEST") == ["china", "russia", "usa"]
    assert kz.vector_of("TRILATERAL_TEST") == "china"  # the first partner's


def test_loading_again_gives_the_same_fingerprint(kb):
    again = load_knowledge()
    assert again.fingerprint == kb.fingerprint
    assert len(kb.fingerprint) == 64


def test_knowledge_pickles(kb):
    copy = pickle.loads(pickle.dumps(kb))
    assert copy.fingerprint == kb.fingerprint
    assert copy.profile("kz").vector_of("putin") == "russia"


def test_builtin_files_are_package_data():
    from importlib import resources

    root = resources.files("multivector.knowledge")
    assert root.joinpath("actors.yaml").is_file()
    assert root.joinpath("themes.yaml").is_file()
    assert root.joinpath("profiles", "kz.yaml").is_file()
    pyproject = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text()
    assert '"knowledge/*.yaml"' in pyproject and '"knowledge/profiles/*.yaml"' in pyproject


# ---------------------------------------------------------------------------------------------
# A user's --knowledge directory


def test_user_dir_adds_an_actor_and_a_theme_and_extends_existing_ones(tmp_path, kb):
    write(
        tmp_path,
        "actors.yaml",
        """
        - id: AIFC
          kind: org
          names: {ru: МФЦА, kk: АХҚО, en: AIFC}
          aliases:
            en: [Astana International Financial Centre]
        - id: CN
          aliases:
            ru: [Срединное государство]
        """,
    )
    write(
        tmp_path,
        "themes.yaml",
        """
        - id: space
          label: {ru: Космос, en: Space}
          description: Space launches and Baikonur.
          patterns:
            ru: [Байконур, космодром*]
            any: ["@ROSATOM"]
        """,
    )
    k = load_knowledge([tmp_path])
    assert k.actors["AIFC"].kind == "org"
    assert "space" in k.themes
    cn = k.actors["CN"]
    assert "Срединное государство" in [t.text for t in cn.aliases]
    assert "Пекин" in [t.text for t in cn.aliases]  # built-in aliases kept
    assert k.fingerprint != kb.fingerprint
    assert len(k.actors) == len(kb.actors) + 1


def test_user_entry_with_replace_true_replaces_the_builtin(tmp_path):
    write(
        tmp_path,
        "actors.yaml",
        """
        - id: CN
          kind: country
          replace: true
          names: {ru: Китай, kk: Қытай, en: China}
        """,
    )
    cn = load_knowledge([tmp_path]).actors["CN"]
    assert cn.aliases == [] and cn.exclude == []


def test_another_country_profile_is_just_a_new_file(tmp_path):
    write(
        tmp_path,
        "profiles/uz.yaml",
        """
        focus: UZ
        label: {ru: Узбекистан, kk: Өзбекстан, en: Uzbekistan}
        vectors:
          russia: [RU, EAEU]
          china: [CN]
          central_asia: [KZ, KG, TJ, TM]
        """,
    )
    k = load_knowledge([tmp_path])
    uz = k.profile("uz")
    assert uz.focus == "UZ"
    assert uz.vector_of("tokayev") == "central_asia"
    assert uz.is_focus("mirziyoyev")
    assert k.profile("kz").focus == "KZ"
    # the file's own vectors, not the regional default (which has eurasian, africa ...)
    assert sorted(uz.vectors) == ["central_asia", "china", "russia"]
    assert not k.profile_specs["uz"].derived and k.profile_specs["ru"].derived


def test_user_profile_moves_an_actor_to_another_vector(tmp_path):
    write(
        tmp_path,
        "profiles/kz.yaml",
        """
        vectors:
          eurasian_blocs: [EAEU, CSTO]
        """,
    )
    kz = load_knowledge([tmp_path]).profile("kz")
    assert kz.vector_of("EAEU") == "eurasian_blocs"
    assert "EAEU" not in kz.vectors["russia"]
    assert kz.vector_of("RU") == "russia"


def test_unknown_profile_is_a_clear_error(kb):
    with pytest.raises(InputError, match="unknown profile 'xx'.*kz"):
        kb.profile("xx")


# ---------------------------------------------------------------------------------------------
# Errors name the file and the line


def error_of(tmp_path: Path, name: str, text: str) -> str:
    path = write(tmp_path, name, text)
    with pytest.raises(InputError) as info:
        load_knowledge([tmp_path])
    msg = str(info.value)
    assert str(path) in msg
    return msg


def test_unknown_key_names_file_line_and_suggests(tmp_path):
    msg = error_of(
        tmp_path,
        "themes.yaml",
        """
        - id: space
          label: {ru: Космос, en: Space}
          paterns:
            ru: [Байконур]
        """,
    )
    assert "line 3: theme 'space': unknown key 'paterns' (did you mean 'patterns'?)" in msg


def test_yaml_syntax_error_names_the_line(tmp_path):
    msg = error_of(
        tmp_path,
        "actors.yaml",
        """
        - id: XX1
          kind: org
          names: {ru: Икс, en: X
        - id: YY
        """,
    )
    assert "YAML syntax error" in msg and "line 4" in msg


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- kind: org\n  names: {en: X}\n", "line 1: actor without 'id'"),
        ("- id: NEWORG\n  names: {en: X}\n", "line 1: actor 'NEWORG': missing 'kind'"),
        ("- id: NEWORG\n  kind: bloc\n  names: {en: X}\n", "line 2: actor 'NEWORG': unknown kind 'bloc'"),
        (
            "- id: Tokayev2\n  kind: person\n  country: KZ\n  names: {en: X}\n",
            "line 1: actor 'Tokayev2': an id of kind person must be a lower-case slug",
        ),
        (
            "- id: NEWCO\n  kind: company\n  country: XX\n  names: {en: X}\n",
            "line 1: actor 'NEWCO': country 'XX' is not a known actor",
        ),
        (
            "- id: NEWCO\n  kind: company\n  country: EU\n  names: {en: X}\n",
            "country 'EU' is a org, not a country",
        ),
        (
            "- id: NEWF\n  kind: format\n  partners: [CN, ZZ]\n  names: {en: X}\n",
            "line 1: actor 'NEWF': partner 'ZZ' is not a known actor",
        ),
        (
            "- id: NEWORG\n  kind: org\n  names: {en: X}\n- id: NEWORG\n  kind: org\n  names: {en: Y}\n",
            "line 4: actor 'NEWORG': duplicate id (first at line 1)",
        ),
        (
            "- id: NEWORG\n  kind: org\n  names: {en: X}\n  exact: [NO]\n",
            "line 4: actor 'NEWORG': exact: expected text, got bool False (quote it)",
        ),
        (
            "- id: NEWORG\n  kind: org\n  names: {de: X}\n",
            "line 3: actor 'NEWORG': 'names' has unknown language 'de'",
        ),
    ],
)
def test_actor_errors(tmp_path, text, expected):
    assert expected in error_of(tmp_path, "actors.yaml", text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "- id: SpaceTheme\n  label: {en: S}\n  patterns: [x]\n",
            "line 1: theme 'SpaceTheme': theme ids are snake_case",
        ),
        (
            "- id: space\n  label: {en: S}\n  patterns:\n    ru: ['косм* | ']\n",
            "line 4: theme 'space': bad pattern",
        ),
        ("- id: space\n  label: {en: S}\n  patterns:\n    ru: [ко*]\n", "prefix 'ко*' is too short"),
        (
            "- id: space\n  label: {en: S}\n  patterns:\n    any: ['@NOSUCH']\n",
            "line 4: theme 'space': pattern '@NOSUCH': unknown actor 'NOSUCH'",
        ),
        (
            "- id: space\n  label: {en: S}\n  patterns:\n    ru: ['a @CN']\n",
            "an actor trigger must be the whole pattern",
        ),
        ("- id: space\n  label: {en: S}\n", "line 1: theme 'space': no 'patterns'"),
        ("- id: space\n  patterns: [x]\n", "line 1: theme 'space': missing 'label'"),
        (
            "- id: space\n  label: {en: S}\n  patterns: [x]\n  unless: [no_such_theme]\n",
            "theme 'space': unless: unknown theme 'no_such_theme'",
        ),
        (
            "- id: space\n  label: {en: S}\n  patterns: [x]\n  together: {min: 2, actors: [KZ, QQ]}\n",
            "line 4: theme 'space': together: unknown actor 'QQ'",
        ),
    ],
)
def test_theme_errors(tmp_path, text, expected):
    assert expected in error_of(tmp_path, "themes.yaml", text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("passing:\n  en: [x]\nsorts: [y]\n", "cues: unknown key 'sorts'"),
        (
            "title:\n  en: [Mr, 'Prime Minister']\n",
            "cues.yaml: line 2: cues: title: 'Prime Minister' must be one word",
        ),
        ("title:\n  en: ['gen*']\n", "line 2: cues: title: 'gen*' must be one word of letters"),
    ],
)
def test_cue_errors(tmp_path, text, expected):
    assert expected in error_of(tmp_path, "cues.yaml", text)


def test_profile_errors(tmp_path):
    msg = error_of(tmp_path, "profiles/uz.yaml", "focus: UZ\nvectors:\n  china: [CN, NOPE]\n")
    assert "line 3: profile 'uz': 'NOPE' is not a known actor" in msg
    msg = error_of(tmp_path, "profiles/uz.yaml", "focus: UZ\nvectors:\n  china: [CN]\n  asia: [CN]\n")
    assert "line 4: profile 'uz': 'CN' is listed twice" in msg


def test_alias_collision_between_two_actors_names_both_lines(tmp_path):
    from multivector.annotate.annotator import Annotator

    write(
        tmp_path,
        "actors.yaml",
        """
        - id: ORG_A
          kind: org
          names: {ru: Альфа, kk: Альфа, en: Alpha}
          aliases:
            ru: [Общий союз]
        - id: ORG_B
          kind: org
          names: {ru: Бета, kk: Бета, en: Beta}
          aliases:
            ru: [Общего союза]
        """,
    )
    with pytest.raises(InputError) as info:
        Annotator(load_knowledge([tmp_path]), ner=False)
    msg = str(info.value)
    assert "line 10" in msg and "line 5" in msg and "'ORG_A'" in msg and "'ORG_B'" in msg


def test_missing_or_empty_user_dir(tmp_path):
    with pytest.raises(InputError, match="knowledge directory not found"):
        load_knowledge([tmp_path / "nope"])
    with pytest.raises(InputError, match="no actors.yaml, themes.yaml, cues.yaml, profiles"):
        load_knowledge([tmp_path])


def test_pattern_syntax():
    assert parse_pattern("@ROSATOM") == ("ROSATOM", [])
    actor, slots = parse_pattern("ядерн*|атомн* энергетик* =АЭС")
    assert actor is None
    assert [[(a.kind, a.value) for a in s] for s in slots] == [
        [("prefix", "ядерн"), ("prefix", "атомн")],
        [("prefix", "энергетик")],
        [("surface", "АЭС")],
    ]
    _, slots = parse_pattern("Север-Юг C5+1 –")
    assert [s[0].value for s in slots] == ["Север", "Юг", "C5", "1"]
    for bad in ["", "a||b", "ab*c", "@", "=", "x*"]:
        with pytest.raises(ValueError):
            parse_pattern(bad)
