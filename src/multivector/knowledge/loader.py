"""Load, validate and merge the knowledge files: actors, themes, regions, profiles, channels.

The built-in files ship as package data (`multivector/knowledge/*.yaml`, `profiles/*.yaml`);
a user may add directories of their own with the same file names (`--knowledge DIR`), read
in order after the built-in ones. In a later directory, an actor or theme with an id that
already exists extends it (names and scalar fields are replaced, alias and pattern lists are
extended) or, with `replace: true`, replaces it; new ids are added. Profiles merge the same way
(see `_merge_profile`).

Every error names the file and the line (`themes.yaml: line 42: theme 'x': unknown key
'paterns'`): the YAML is composed into nodes, which keep their positions, before it is turned
into Python values.

Every country of actors.yaml has a profile: a file profiles/<code>.yaml, or else one derived
from regions.yaml (the default grouping of the world into partner vectors, without the focus
country itself). channels.yaml (knowledge/channels.py) says what kind of voice each channel is.

The file formats are documented in the header comments of the built-in files.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from multivector.knowledge.patterns import WORD_RE, parse_pattern
from multivector.model import InputError

KINDS = ("country", "org", "format", "region", "company", "person")
LANGS = ("ru", "kk", "en")
TERM_LANGS = (*LANGS, "any")  # "any": the term is tried on posts of every language

ACTOR_KEYS = {
    "id",
    "kind",
    "names",
    "aliases",
    "places",
    "cased",
    "exact",
    "weak",
    "exclude",
    "country",
    "represents",
    "partners",
    "note",
    "replace",
}
THEME_KEYS = {
    "id",
    "label",
    "description",
    "patterns",
    "weak",
    "exclude",
    "together",
    "unless",
    "note",
    "replace",
}
TOGETHER_KEYS = {"min", "actors", "unless"}
PROFILE_KEYS = {"focus", "label", "vectors", "vector_labels", "note", "replace"}
REGION_KEYS = {"label", "members", "note", "replace"}
# Files that analysis reads but annotation does not: left out of the knowledge fingerprint, so
# editing them does not make `annotate` redo every post.
ANALYSIS_ONLY = ("regions.yaml", "channels.yaml")
TERM_LISTS = ("aliases", "places", "cased", "exact", "weak", "exclude")
# cues.yaml: how an actor is mentioned (annotate/about.py) and the words before a name that are
# not a first name (`title`: annotate/link.py).
MENTION_CUES = ("passing", "relation")
CUE_KINDS = (*MENTION_CUES, "title")

# Ids follow DESIGN.md: ISO alpha-2 countries, upper-case acronyms and slugs for organisations,
# companies and formats, lower-case slugs for people, snake_case themes and vectors.
_ID_RULES = {
    "country": (re.compile(r"[A-Z]{2}"), "two upper-case letters (ISO 3166-1 alpha-2)"),
    "org": (re.compile(r"[A-Z][A-Z0-9_]*"), "an upper-case acronym or slug"),
    "company": (re.compile(r"[A-Z][A-Z0-9_]*"), "an upper-case slug"),
    "format": (re.compile(r"[A-Z][A-Z0-9_]*"), "an upper-case slug"),
    "region": (re.compile(r"[A-Z][A-Z0-9_]*"), "an upper-case slug"),
    "person": (re.compile(r"[a-z][a-z0-9_]*"), "a lower-case slug"),
}
_SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_PROFILE_CODE = re.compile(r"[a-z][a-z0-9_]*")


# ---------------------------------------------------------------------------------------------
# What the files describe


@dataclass(frozen=True, slots=True)
class Term:
    """One alias, exclusion or theme pattern as written, with where it was written."""

    text: str
    lang: str  # ru / kk / en / any
    where: str  # "actors.yaml: line 12", for error messages
    layer: int = 0  # 0 for the built-in files, 1.. for the user's directories in order


@dataclass(slots=True)
class Actor:
    """A country, organisation or bloc, company, person or summit format."""

    id: str
    kind: str
    names: dict[str, str] = field(default_factory=dict)
    country: str | None = None  # people and companies: the country they belong to
    represents: str | None = None  # people who speak for an organisation (Guterres -> UN)
    partners: tuple[str, ...] = ()  # formats: the partner(s) meeting the focus region
    aliases: list[Term] = field(default_factory=list)  # matched on lemmas, any case
    places: list[Term] = field(default_factory=list)  # cities and regions: matched like aliases
    cased: list[Term] = field(default_factory=list)  # matched on lemmas, case as written
    exact: list[Term] = field(default_factory=list)  # matched on the exact surface form
    weak: list[Term] = field(default_factory=list)  # like cased, only if named otherwise too
    exclude: list[Term] = field(default_factory=list)  # phrases that are not this actor
    where: str = ""

    def name(self, lang: str = "en") -> str:
        return self.names.get(lang) or self.names.get("en") or self.names.get("ru") or self.id


@dataclass(slots=True)
class Theme:
    """A foreign-policy theme and the patterns that find it."""

    id: str
    label: dict[str, str] = field(default_factory=dict)
    description: str = ""
    patterns: list[Term] = field(default_factory=list)  # one hit is enough
    weak: list[Term] = field(default_factory=list)  # two different hits are needed
    exclude: list[Term] = field(default_factory=list)  # hits inside these phrases do not count
    together: Together | None = None  # found when enough of these actors are named together
    unless: tuple[str, ...] = ()  # not found when one of these themes is
    where: str = ""

    def name(self, lang: str = "en") -> str:
        return self.label.get(lang) or self.label.get("en") or self.id


@dataclass(frozen=True, slots=True)
class Together:
    """A theme trigger: at least `min` different actors of `actors` named in one post (people and
    companies count as their country), unless one of the `unless` themes explains the post."""

    min: int
    actors: tuple[str, ...]
    unless: tuple[str, ...] = ()
    where: str = ""


@dataclass(slots=True)
class ProfileSpec:
    code: str
    focus: str = ""
    label: dict[str, str] = field(default_factory=dict)
    vectors: dict[str, list[str]] = field(default_factory=dict)
    vector_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    where: str = ""
    member_where: dict[str, str] = field(default_factory=dict)  # actor id -> where it was listed
    derived: bool = False  # vectors from regions.yaml, not from the profile's own list


@dataclass(slots=True)
class Region:
    """A default partner vector of regions.yaml: its label and member actor ids."""

    id: str
    label: dict[str, str] = field(default_factory=dict)
    members: list[str] = field(default_factory=list)
    where: str = ""
    member_where: dict[str, str] = field(default_factory=dict)


class Profile:
    """A focus country and its partner vectors, with the resolution of any actor to a vector.

    Countries, organisations and blocs are listed in the profile's vectors directly. People and
    companies resolve through their `country:` (people who speak for an organisation through
    its id, `represents:`), formats through their `partners:` (a format with
    partners in several vectors has several vectors: see `vectors_of`). An actor listed in a
    vector directly always takes that vector, so a profile may place a person or a company
    elsewhere than their country.
    """

    def __init__(self, spec: ProfileSpec, actors: Mapping[str, Actor]):
        self.code = spec.code
        self.focus = spec.focus
        self.label = dict(spec.label)
        self.vectors: dict[str, set[str]] = {v: set(ids) for v, ids in spec.vectors.items()}
        self.vector_labels = {v: dict(lbl) for v, lbl in spec.vector_labels.items()}
        self._actors = actors
        self._direct = {a: v for v, ids in spec.vectors.items() for a in ids}
        self._memo: dict[str, tuple[str, ...]] = {}

    def __repr__(self) -> str:
        return f"Profile({self.code!r}, focus={self.focus!r}, vectors={sorted(self.vectors)})"

    def vectors_of(self, actor_id: str) -> list[str]:
        """Every vector an actor belongs to, main one first; [] for the focus country's own
        actors and for actors outside every vector."""
        hit = self._memo.get(actor_id)
        if hit is None:
            hit = self._memo[actor_id] = tuple(self._resolve(actor_id, set()))
        return list(hit)

    def vector_of(self, actor_id: str) -> str | None:
        """The main vector of an actor (for a format: its first partner's), or None."""
        found = self.vectors_of(actor_id)
        return found[0] if found else None

    def is_focus(self, actor_id: str) -> bool:
        """True for the focus country and its own people and companies (not for its formats)."""
        if actor_id == self.focus:
            return True
        actor = self._actors.get(actor_id)
        return actor is not None and actor.kind in ("person", "company") and actor.country == self.focus

    def _resolve(self, actor_id: str, seen: set[str]) -> list[str]:
        if actor_id in self._direct:
            return [self._direct[actor_id]]
        actor = self._actors.get(actor_id)
        if actor is None or actor_id in seen:
            return []
        seen.add(actor_id)
        targets: Iterable[str] = ()
        if actor.represents:
            targets = (actor.represents,)
        elif actor.kind in ("person", "company") and actor.country:
            targets = (actor.country,)
        elif actor.kind == "format":
            targets = actor.partners
        out: list[str] = []
        for t in targets:
            for v in self._resolve(t, seen):
                if v not in out:
                    out.append(v)
        return out


class Knowledge:
    """Everything the knowledge files say, merged over all directories, validated."""

    def __init__(
        self,
        actors: dict[str, Actor],
        themes: dict[str, Theme],
        profiles: dict[str, ProfileSpec],
        files: list[str],
        fingerprint: str,
        cues: dict[str, list[Term]] | None = None,
        regions: dict[str, Region] | None = None,
        channels: Any = None,
        model_path: Path | None = None,
        rules_fingerprint: str | None = None,
        user_files: bool = False,
    ):
        from multivector.knowledge.channels import ChannelRegistry

        self.actors = actors
        self.regions: dict[str, Region] = regions or {}
        self.channels: ChannelRegistry = channels if channels is not None else ChannelRegistry()
        self.themes = themes
        self.cues: dict[str, list[Term]] = cues or {k: [] for k in CUE_KINDS}
        self.model_path = model_path  # a user's aboutness model, else (None) the built-in one
        self.rules_fingerprint = rules_fingerprint or fingerprint  # of the files without the model
        self.profile_specs = profiles
        self.files = files
        self.user_files = user_files  # True when a user's directory adds to the built-in files
        self.fingerprint = fingerprint
        self._profiles: dict[str, Profile] = {}
        self._compiled: dict[Any, Any] = {}

    def __repr__(self) -> str:
        return (
            f"Knowledge({len(self.actors)} actors, {len(self.themes)} themes, "
            f"{len(self.profile_specs)} profiles, {len(self.channels)} channels, "
            f"fingerprint={self.fingerprint[:12]})"
        )

    def __getstate__(self) -> dict[str, Any]:
        # Compiled tables are rebuilt on demand in the receiving process.
        state = dict(self.__dict__)
        state["_compiled"] = {}
        state["_profiles"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def actor(self, actor_id: str) -> Actor:
        try:
            return self.actors[actor_id]
        except KeyError:
            raise InputError(f"unknown actor '{actor_id}'") from None

    def kind_of(self, actor_id: str) -> str | None:
        actor = self.actors.get(actor_id)
        return actor.kind if actor else None

    @property
    def profiles(self) -> list[str]:
        return sorted(self.profile_specs)

    def profile(self, code: str) -> Profile:
        code = code.lower()
        if code not in self._profiles:
            spec = self.profile_specs.get(code)
            if spec is None:
                known = ", ".join(sorted(self.profile_specs)) or "none"
                raise InputError(f"unknown profile '{code}' (known: {known})")
            self._profiles[code] = Profile(spec, self.actors)
        return self._profiles[code]

    def profile_for(self, country: str) -> Profile:
        """The profile whose focus is `country` (an actor id such as RU), or whose code it is;
        one clear line when there is none."""
        wanted = country.strip().upper()
        for code in self.profiles:
            if self.profile_specs[code].focus.upper() == wanted:
                return self.profile(code)
        if country.strip().lower() in self.profile_specs:
            return self.profile(country.strip().lower())
        actor = self.actors.get(wanted)
        if actor is not None and actor.kind != "country":
            article = "an" if actor.kind[0] in "aeiou" else "a"
            raise InputError(f"--country {country}: {wanted} is {article} {actor.kind}, not a country")
        raise InputError(
            f"--country {country}: not a country of the knowledge files "
            f"(an ISO 3166-1 alpha-2 code of actors.yaml, such as KZ, RU or UZ)"
        )

    @property
    def countries(self) -> list[str]:
        """The focus country of every profile, sorted."""
        return sorted({spec.focus.upper() for spec in self.profile_specs.values() if spec.focus})

    def compiled(self, key: Any, build: Any) -> Any:
        """A per-Knowledge cache for what annotate/ compiles from it (alias and pattern tables)."""
        if key not in self._compiled:
            self._compiled[key] = build()
        return self._compiled[key]


# ---------------------------------------------------------------------------------------------
# YAML with line numbers


class _Map(dict):
    """A YAML mapping that remembers its line and the line of each key."""

    line: int = 0
    key_lines: dict[str, int]


class _Seq(list):
    """A YAML sequence that remembers its line and the line of each item."""

    line: int = 0
    item_lines: list[int]


_SCALARS = yaml.constructor.SafeConstructor()
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _value(node: yaml.Node, name: str) -> Any:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out = _Map()
        out.line = line
        out.key_lines = {}
        for knode, vnode in node.value:
            key = _value(knode, name)
            if not isinstance(key, str | int | float | bool) or key is None:
                raise InputError(f"{name}: line {knode.start_mark.line + 1}: keys must be plain words")
            key = str(key)
            if key in out:
                raise InputError(
                    f"{name}: line {knode.start_mark.line + 1}: key '{key}' repeated "
                    f"(first at line {out.key_lines[key]})"
                )
            out[key] = _value(vnode, name)
            out.key_lines[key] = knode.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = _Seq(_value(n, name) for n in node.value)
        seq.line = line
        seq.item_lines = [n.start_mark.line + 1 for n in node.value]
        return seq
    return _SCALARS.construct_object(node)


def _parse_yaml(text: str, name: str) -> Any:
    try:
        node = yaml.compose(text, Loader=_YAML_LOADER)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        what = " ".join(p for p in (e.context, e.problem) if p) or "bad YAML"
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise InputError(f"{name}: {where}YAML syntax error: {what}") from None
    except yaml.YAMLError as e:
        raise InputError(f"{name}: YAML syntax error: {e}") from None
    return None if node is None else _value(node, name)


# ---------------------------------------------------------------------------------------------
# Reading and validating one file


class _File:
    def __init__(self, name: str, layer: int):
        self.name = name
        self.layer = layer

    def err(self, line: int, msg: str) -> InputError:
        return InputError(f"{self.name}: line {line}: {msg}")

    def where(self, line: int) -> str:
        return f"{self.name}: line {line}"


def _keys(f: _File, entry: _Map, allowed: set[str], what: str) -> None:
    for key in entry:
        if key not in allowed:
            hint = _close(key, allowed)
            raise f.err(entry.key_lines[key], f"{what}: unknown key '{key}'{hint}")


def _close(key: str, allowed: Iterable[str]) -> str:
    import difflib

    near = difflib.get_close_matches(key, sorted(allowed), n=1)
    return f" (did you mean '{near[0]}'?)" if near else ""


def _string(f: _File, value: Any, line: int, what: str) -> str:
    if not isinstance(value, str):
        shown = "nothing" if value is None else f"{type(value).__name__} {value!r}"
        raise f.err(line, f"{what}: expected text, got {shown} (quote it)")
    if not value.strip():
        raise f.err(line, f"{what}: empty text")
    return value.strip()


def _lang_map(f: _File, entry: _Map, key: str, what: str, langs: Sequence[str]) -> dict[str, str]:
    value = entry[key]
    line = entry.key_lines[key]
    if not isinstance(value, _Map):
        raise f.err(line, f"{what}: '{key}' must be a mapping of language to text ({', '.join(langs)})")
    out = {}
    for lang, text in value.items():
        if lang not in langs:
            raise f.err(value.key_lines[lang], f"{what}: '{key}' has unknown language '{lang}'")
        out[lang] = _string(f, text, value.key_lines[lang], f"{what}: {key}.{lang}")
    return out


def _terms(f: _File, entry: _Map, key: str, what: str) -> list[Term]:
    """A list of terms: either a plain list (any language) or a mapping language -> list."""
    value = entry[key]
    line = entry.key_lines[key]
    groups: list[tuple[str, Any, int]] = []
    if isinstance(value, _Seq):
        groups.append(("any", value, line))
    elif isinstance(value, _Map):
        for lang, items in value.items():
            if lang not in TERM_LANGS:
                raise f.err(value.key_lines[lang], f"{what}: '{key}' has unknown language '{lang}'")
            groups.append((lang, items, value.key_lines[lang]))
    else:
        raise f.err(line, f"{what}: '{key}' must be a list, or a mapping of language to list")
    out = []
    for lang, items, gline in groups:
        if isinstance(items, str):
            items = _Seq([items])
            items.item_lines = [gline]
        if not isinstance(items, _Seq):
            raise f.err(gline, f"{what}: '{key}' for '{lang}' must be a list")
        for item, iline in zip(items, items.item_lines, strict=True):
            text = _string(f, item, iline, f"{what}: {key}")
            if not WORD_RE.search(text):
                raise f.err(iline, f"{what}: {key} '{text}' has no word in it")
            out.append(Term(text, lang, f.where(iline), f.layer))
    return out


def _read_actors(f: _File, data: Any) -> list[tuple[_Map, Actor]]:
    if data is None:
        return []
    if not isinstance(data, _Seq):
        raise f.err(getattr(data, "line", 1), "expected a list of actors (- id: ...)")
    seen: dict[str, int] = {}
    out = []
    for entry, line in zip(data, data.item_lines, strict=True):
        if not isinstance(entry, _Map):
            raise f.err(line, "each actor must be a mapping with 'id' and 'kind'")
        if "id" not in entry:
            raise f.err(line, "actor without 'id'")
        aid = _string(f, entry["id"], entry.key_lines["id"], "actor id")
        what = f"actor '{aid}'"
        if aid in seen:
            raise f.err(line, f"{what}: duplicate id (first at line {seen[aid]})")
        seen[aid] = line
        _keys(f, entry, ACTOR_KEYS, what)
        actor = Actor(id=aid, kind="", where=f.where(line))
        if "kind" in entry:
            kind = _string(f, entry["kind"], entry.key_lines["kind"], f"{what}: kind")
            if kind not in KINDS:
                raise f.err(
                    entry.key_lines["kind"], f"{what}: unknown kind '{kind}' (one of {', '.join(KINDS)})"
                )
            rule, explain = _ID_RULES[kind]
            if not rule.fullmatch(aid):
                raise f.err(line, f"{what}: an id of kind {kind} must be {explain}")
            actor.kind = kind
        if "names" in entry:
            actor.names = _lang_map(f, entry, "names", what, LANGS)
        for key in TERM_LISTS:
            if key in entry:
                setattr(actor, key, _terms(f, entry, key, what))
        if "country" in entry:
            actor.country = _string(f, entry["country"], entry.key_lines["country"], f"{what}: country")
        if "represents" in entry:
            actor.represents = _string(
                f, entry["represents"], entry.key_lines["represents"], f"{what}: represents"
            )
        if "partners" in entry:
            partners = entry["partners"]
            pline = entry.key_lines["partners"]
            if isinstance(partners, str):
                partners = [partners]
            if not isinstance(partners, list) or not partners:
                raise f.err(pline, f"{what}: 'partners' must be a list of actor ids")
            actor.partners = tuple(_string(f, p, pline, f"{what}: partners") for p in partners)
        if "replace" in entry and not isinstance(entry["replace"], bool):
            raise f.err(entry.key_lines["replace"], f"{what}: 'replace' must be true or false")
        out.append((entry, actor))
    return out


def _read_themes(f: _File, data: Any) -> list[tuple[_Map, Theme]]:
    if data is None:
        return []
    if not isinstance(data, _Seq):
        raise f.err(getattr(data, "line", 1), "expected a list of themes (- id: ...)")
    seen: dict[str, int] = {}
    out = []
    for entry, line in zip(data, data.item_lines, strict=True):
        if not isinstance(entry, _Map):
            raise f.err(line, "each theme must be a mapping with 'id', 'label' and 'patterns'")
        if "id" not in entry:
            raise f.err(line, "theme without 'id'")
        tid = _string(f, entry["id"], entry.key_lines["id"], "theme id")
        what = f"theme '{tid}'"
        if not _SNAKE.fullmatch(tid):
            raise f.err(
                entry.key_lines["id"], f"{what}: theme ids are snake_case (lower-case words joined by _)"
            )
        if tid in seen:
            raise f.err(line, f"{what}: duplicate id (first at line {seen[tid]})")
        seen[tid] = line
        _keys(f, entry, THEME_KEYS, what)
        theme = Theme(id=tid, where=f.where(line))
        if "label" in entry:
            theme.label = _lang_map(f, entry, "label", what, LANGS)
        if "description" in entry:
            theme.description = _string(
                f, entry["description"], entry.key_lines["description"], f"{what}: description"
            )
        for key in ("patterns", "weak", "exclude"):
            if key in entry:
                terms = _terms(f, entry, key, what)
                for t in terms:
                    try:
                        parse_pattern(t.text)
                    except ValueError as e:
                        raise InputError(f"{t.where}: {what}: bad pattern '{t.text}': {e}") from None
                setattr(theme, key, terms)
        if "together" in entry:
            theme.together = _read_together(f, entry, what)
        if "unless" in entry:
            theme.unless = _id_list(f, entry, "unless", what)
        if "replace" in entry and not isinstance(entry["replace"], bool):
            raise f.err(entry.key_lines["replace"], f"{what}: 'replace' must be true or false")
        out.append((entry, theme))
    return out


def _id_list(f: _File, entry: _Map, key: str, what: str) -> tuple[str, ...]:
    value = entry[key]
    line = entry.key_lines[key]
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise f.err(line, f"{what}: '{key}' must be a list of ids")
    return tuple(_string(f, v, line, f"{what}: {key}") for v in value)


def _read_together(f: _File, entry: _Map, what: str) -> Together:
    value = entry["together"]
    line = entry.key_lines["together"]
    if not isinstance(value, _Map):
        raise f.err(line, f"{what}: 'together' must be a mapping with 'min' and 'actors'")
    _keys(f, value, TOGETHER_KEYS, f"{what}: together")
    if "actors" not in value:
        raise f.err(line, f"{what}: 'together' needs 'actors'")
    n = value.get("min", 2)
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise f.err(value.key_lines.get("min", line), f"{what}: together.min must be a whole number >= 1")
    actors = _id_list(f, value, "actors", f"{what}: together")
    unless = _id_list(f, value, "unless", f"{what}: together") if "unless" in value else ()
    return Together(n, actors, unless, f.where(line))


def _read_profile(f: _File, code: str, data: Any) -> tuple[_Map, ProfileSpec]:
    if not isinstance(data, _Map):
        raise f.err(getattr(data, "line", 1), "a profile must be a mapping with 'focus' and 'vectors'")
    what = f"profile '{code}'"
    _keys(f, data, PROFILE_KEYS, what)
    spec = ProfileSpec(code=code, where=f.where(data.line))
    if "focus" in data:
        spec.focus = _string(f, data["focus"], data.key_lines["focus"], f"{what}: focus")
    if "label" in data:
        spec.label = _lang_map(f, data, "label", what, LANGS)
    if "vectors" in data:
        vectors = data["vectors"]
        if not isinstance(vectors, _Map):
            raise f.err(
                data.key_lines["vectors"], f"{what}: 'vectors' must map vector names to lists of actor ids"
            )
        for name, ids in vectors.items():
            vline = vectors.key_lines[name]
            if not _SNAKE.fullmatch(name):
                raise f.err(vline, f"{what}: vector '{name}': vector names are lower-case snake_case")
            if not isinstance(ids, _Seq):
                raise f.err(vline, f"{what}: vector '{name}' must be a list of actor ids")
            members = []
            for item, iline in zip(ids, ids.item_lines, strict=True):
                aid = _string(f, item, iline, f"{what}: vector '{name}'")
                if aid in spec.member_where:
                    raise f.err(iline, f"{what}: '{aid}' is listed twice ({spec.member_where[aid]})")
                spec.member_where[aid] = f.where(iline)
                members.append(aid)
            spec.vectors[name] = members
    if "vector_labels" in data:
        labels = data["vector_labels"]
        if not isinstance(labels, _Map):
            raise f.err(
                data.key_lines["vector_labels"], f"{what}: 'vector_labels' must map vectors to labels"
            )
        for name in labels:
            spec.vector_labels[name] = _lang_map(f, labels, name, f"{what}: vector '{name}'", LANGS)
    if "replace" in data and not isinstance(data["replace"], bool):
        raise f.err(data.key_lines["replace"], f"{what}: 'replace' must be true or false")
    return data, spec


def _read_regions(f: _File, data: Any) -> list[tuple[_Map, Region]]:
    if data is None:
        return []
    if not isinstance(data, _Map):
        raise f.err(getattr(data, "line", 1), "expected a mapping of vector ids to {label, members}")
    out = []
    seen: dict[str, str] = {}
    for name, entry in data.items():
        line = data.key_lines[name]
        what = f"region '{name}'"
        if not _SNAKE.fullmatch(name):
            raise f.err(line, f"{what}: vector ids are lower-case snake_case")
        if not isinstance(entry, _Map):
            raise f.err(line, f"{what}: expected a mapping with 'label' and 'members'")
        _keys(f, entry, REGION_KEYS, what)
        region = Region(id=name, where=f.where(line))
        if "label" in entry:
            region.label = _lang_map(f, entry, "label", what, LANGS)
        if "members" in entry:
            ids = entry["members"]
            mline = entry.key_lines["members"]
            if not isinstance(ids, _Seq):
                raise f.err(mline, f"{what}: 'members' must be a list of actor ids")
            for item, iline in zip(ids, ids.item_lines, strict=True):
                aid = _string(f, item, iline, f"{what}: members")
                if aid in seen:
                    raise f.err(iline, f"{what}: '{aid}' is listed twice ({seen[aid]})")
                seen[aid] = region.member_where[aid] = f.where(iline)
                region.members.append(aid)
        if "replace" in entry and not isinstance(entry["replace"], bool):
            raise f.err(entry.key_lines["replace"], f"{what}: 'replace' must be true or false")
        out.append((entry, region))
    return out


def _merge_regions(regions: dict[str, Region], new: list[tuple[_Map, Region]]) -> None:
    """A later regions.yaml: a vector listed again adds its members, and a member listed
    anywhere in it leaves the vector it was in; `replace: true` replaces the vector."""
    moved = {a for _, r in new for a in r.members}
    for r in regions.values():
        r.members = [a for a in r.members if a not in moved]
        r.member_where = {a: w for a, w in r.member_where.items() if a not in moved}
    for entry, r in new:
        old = regions.get(r.id)
        if old is None or entry.get("replace"):
            regions[r.id] = r
            continue
        old.label = {**old.label, **r.label}
        old.members += r.members
        old.member_where.update(r.member_where)
        old.where = r.where


def _derive_profiles(
    actors: dict[str, Actor], regions: dict[str, Region], profiles: dict[str, ProfileSpec]
) -> None:
    """A profile for every country that has none, and regional vectors for a profile file that
    lists none: the regions of regions.yaml without the focus country (an emptied vector goes)."""

    def regional(focus: str) -> tuple[dict[str, list[str]], dict[str, dict[str, str]]]:
        vectors = {v: [a for a in r.members if a != focus] for v, r in regions.items()}
        vectors = {v: ids for v, ids in vectors.items() if ids}
        return vectors, {v: dict(regions[v].label) for v in vectors if regions[v].label}

    for spec in profiles.values():
        if not spec.vectors and spec.focus:
            spec.vectors, labels = regional(spec.focus)
            spec.vector_labels = {**labels, **spec.vector_labels}
            spec.member_where = {
                a: regions[v].member_where.get(a, "") for v, ids in spec.vectors.items() for a in ids
            }
            spec.derived = True
    covered = {spec.focus.upper() for spec in profiles.values()}
    for actor in actors.values():
        code = actor.id.lower()
        if actor.kind != "country" or actor.id in covered or code in profiles:
            continue
        vectors, labels = regional(actor.id)
        profiles[code] = ProfileSpec(
            code=code, focus=actor.id, label=dict(actor.names), vectors=vectors, vector_labels=labels,
            where=f"regions.yaml (for {actor.where or actor.id})", derived=True,
        )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Merging layers


def _merge_actor(old: Actor, new: Actor, entry: _Map) -> Actor:
    if entry.get("replace"):
        return new
    merged = Actor(
        id=old.id,
        kind=new.kind or old.kind,
        names={**old.names, **new.names},
        country=new.country if "country" in entry else old.country,
        represents=new.represents if "represents" in entry else old.represents,
        partners=new.partners if "partners" in entry else old.partners,
        where=new.where,
    )
    for key in TERM_LISTS:
        setattr(merged, key, getattr(old, key) + getattr(new, key))
    return merged


def _merge_theme(old: Theme, new: Theme, entry: _Map) -> Theme:
    if entry.get("replace"):
        return new
    return Theme(
        id=old.id,
        label={**old.label, **new.label},
        description=new.description or old.description,
        patterns=old.patterns + new.patterns,
        weak=old.weak + new.weak,
        exclude=old.exclude + new.exclude,
        together=new.together if "together" in entry else old.together,
        unless=new.unless if "unless" in entry else old.unless,
        where=new.where,
    )


def _merge_profile(old: ProfileSpec, new: ProfileSpec, entry: _Map) -> ProfileSpec:
    """A later profile with the same code: `focus`/`label` replace; each vector listed adds its
    ids, and an id listed in a vector leaves whatever vector it was in before."""
    if entry.get("replace"):
        return new
    vectors = {v: [a for a in ids if a not in new.member_where] for v, ids in old.vectors.items()}
    for v, ids in new.vectors.items():
        vectors.setdefault(v, []).extend(ids)
    member_where = {a: w for a, w in old.member_where.items() if a not in new.member_where}
    member_where.update(new.member_where)
    return ProfileSpec(
        code=old.code,
        focus=new.focus or old.focus,
        label={**old.label, **new.label},
        vectors=vectors,
        vector_labels={**old.vector_labels, **new.vector_labels},
        where=new.where,
        member_where=member_where,
    )


# ---------------------------------------------------------------------------------------------
# Loading


@dataclass
class _Source:
    name: str  # shown in errors
    text: str
    layer: int


def _builtin_sources() -> list[tuple[str, _Source]]:
    root = resources.files("multivector.knowledge")
    out = []
    for fname in ("actors.yaml", "themes.yaml", "cues.yaml", *ANALYSIS_ONLY):
        res = root.joinpath(fname)
        if res.is_file():
            out.append((fname, _Source(f"knowledge/{fname}", res.read_text(encoding="utf-8"), 0)))
    profiles = root.joinpath("profiles")
    if profiles.is_dir():
        for res in sorted(profiles.iterdir(), key=lambda r: r.name):
            if res.name.endswith(".yaml") and res.is_file():
                out.append(
                    (
                        f"profiles/{res.name}",
                        _Source(f"knowledge/profiles/{res.name}", res.read_text(encoding="utf-8"), 0),
                    )
                )
    return out


def _dir_sources(d: Path, layer: int) -> list[tuple[str, _Source]]:
    if not d.is_dir():
        raise InputError(f"{d}: knowledge directory not found")
    out = []
    for fname in ("actors.yaml", "themes.yaml", "cues.yaml", *ANALYSIS_ONLY):
        p = d / fname
        if p.is_file():
            out.append((fname, _Source(str(p), _read_text(p), layer)))
    pdir = d / "profiles"
    if pdir.is_dir():
        for p in sorted(pdir.glob("*.yaml")):
            out.append((f"profiles/{p.name}", _Source(str(p), _read_text(p), layer)))
    if not out and not (d / "models" / "about.json.gz").is_file():
        raise InputError(
            f"{d}: no actors.yaml, themes.yaml, cues.yaml, profiles/*.yaml, regions.yaml, channels.yaml "
            "or models/about.json.gz "
            "in this knowledge directory"
        )
    return out


def _read_text(p: Path) -> str:
    try:
        return p.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{p}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    except OSError as e:
        raise InputError(f"{p}: cannot read ({e.strerror})") from None


def load_knowledge(extra_dirs: Sequence[Path | str] = ()) -> Knowledge:
    """Load the built-in knowledge files, then each directory of `extra_dirs` over them."""
    sources = _builtin_sources()
    for i, d in enumerate(extra_dirs, start=1):
        sources.extend(_dir_sources(Path(d), i))

    digest = hashlib.sha256()
    actors: dict[str, Actor] = {}
    themes: dict[str, Theme] = {}
    profiles: dict[str, ProfileSpec] = {}
    cues: dict[str, list[Term]] = {k: [] for k in CUE_KINDS}
    regions: dict[str, Region] = {}
    channel_layers: list[tuple[_File, Any]] = []
    files = []
    for rel, src in sources:
        files.append(src.name)
        if rel not in ANALYSIS_ONLY:
            digest.update(f"{src.layer}\x1f{rel}\x1f".encode())
            digest.update(src.text.encode("utf-8"))
            digest.update(b"\x1e")
        f = _File(src.name, src.layer)
        data = _parse_yaml(src.text, src.name)
        if rel == "regions.yaml":
            _merge_regions(regions, _read_regions(f, data))
        elif rel == "channels.yaml":
            channel_layers.append((f, data))
        elif rel == "actors.yaml":
            for entry, actor in _read_actors(f, data):
                if actor.id in actors and not entry.get("replace"):
                    actors[actor.id] = _merge_actor(actors[actor.id], actor, entry)
                else:
                    if not actor.kind:
                        raise f.err(
                            entry.line, f"actor '{actor.id}': missing 'kind' (one of {', '.join(KINDS)})"
                        )
                    actors[actor.id] = actor
        elif rel == "cues.yaml":
            for kind, terms in _read_cues(f, data).items():
                cues[kind].extend(terms)
        elif rel == "themes.yaml":
            for entry, theme in _read_themes(f, data):
                if theme.id in themes and not entry.get("replace"):
                    themes[theme.id] = _merge_theme(themes[theme.id], theme, entry)
                else:
                    if not theme.label:
                        raise f.err(entry.line, f"theme '{theme.id}': missing 'label'")
                    if not (theme.patterns or theme.weak):
                        raise f.err(entry.line, f"theme '{theme.id}': no 'patterns' (or 'weak' patterns)")
                    themes[theme.id] = theme
        else:
            code = Path(rel).stem.lower()
            if not _PROFILE_CODE.fullmatch(code):
                raise InputError(f"{src.name}: profile file names are lower-case codes (kz.yaml)")
            if data is None:
                continue
            entry, spec = _read_profile(f, code, data)
            if code in profiles and not entry.get("replace"):
                profiles[code] = _merge_profile(profiles[code], spec, entry)
            else:
                profiles[code] = spec
    _check_references(actors, themes, profiles)
    _check_regions(actors, regions)
    _derive_profiles(actors, regions, profiles)
    from multivector.knowledge.channels import read_channels

    channels = read_channels(channel_layers, actors)
    # The aboutness model is knowledge too: a user's retrained model (DIR/models/about.json.gz,
    # tools/train_about.py --corrections) replaces the built-in one, and either one's bytes are
    # in the fingerprint, so `annotate` redoes posts when the model changes.
    model = _model_path(extra_dirs)
    rules_fingerprint = digest.hexdigest()  # the files alone: what a trained model records
    digest.update(model.read_bytes() if model is not None else _builtin_model_bytes())
    return Knowledge(
        actors, themes, profiles, files, digest.hexdigest(), cues, regions, channels,
        model_path=model, rules_fingerprint=rules_fingerprint, user_files=bool(extra_dirs),
    )  # fmt: skip


MODEL_FILE = Path("models") / "about.json.gz"


def _model_path(extra_dirs: Sequence[Path | str]) -> Path | None:
    found = None
    for d in extra_dirs:
        p = Path(d) / MODEL_FILE
        if p.is_file():
            found = p
    return found


def _builtin_model_bytes() -> bytes:
    res = resources.files("multivector.annotate").joinpath("models", "about.json.gz")
    return res.read_bytes() if res.is_file() else b""


def _read_cues(f: _File, data: Any) -> dict[str, list[Term]]:
    if data is None:
        return {}
    if not isinstance(data, _Map):
        raise f.err(getattr(data, "line", 1), f"expected a mapping of cue kinds ({', '.join(CUE_KINDS)})")
    _keys(f, data, set(CUE_KINDS), "cues")
    out = {}
    for kind in data:
        terms = _terms(f, data, kind, f"cues: {kind}")
        for t in terms:
            if kind == "title" and not t.text.isalpha():
                raise InputError(f"{t.where}: cues: title: '{t.text}' must be one word of letters")
            try:
                parse_pattern(t.text)
            except ValueError as e:
                raise InputError(f"{t.where}: cues: {kind}: '{t.text}': {e}") from None
        out[kind] = terms
    return out


def _check_regions(actors: dict[str, Actor], regions: dict[str, Region]) -> None:
    for region in regions.values():
        for aid, where in region.member_where.items():
            if aid not in actors:
                raise InputError(f"{where}: region '{region.id}': '{aid}' is not a known actor")
            kind = actors[aid].kind
            if kind in ("person", "company", "format"):
                raise InputError(
                    f"{where}: region '{region.id}': '{aid}' is a {kind}; regions list countries, "
                    "organisations and regions (people and companies follow their country)"
                )


def _check_references(
    actors: dict[str, Actor], themes: dict[str, Theme], profiles: dict[str, ProfileSpec]
) -> None:
    for actor in actors.values():
        what = f"{actor.where}: actor '{actor.id}'"
        if actor.country is not None:
            target = actors.get(actor.country)
            if target is None:
                raise InputError(f"{what}: country '{actor.country}' is not a known actor")
            if target.kind != "country":
                raise InputError(f"{what}: country '{actor.country}' is a {target.kind}, not a country")
        if actor.represents is not None:
            target = actors.get(actor.represents)
            if actor.kind != "person":
                raise InputError(f"{what}: only people have 'represents:'")
            if target is None or target.kind != "org":
                raise InputError(
                    f"{what}: represents '{actor.represents}', which is not a known organisation"
                )
        if actor.kind in ("person", "company") and actor.country is None:
            raise InputError(f"{what}: a {actor.kind} needs 'country:'")
        if actor.kind != "format" and actor.partners:
            raise InputError(f"{what}: only formats have 'partners:'")
        if actor.kind == "format" and not actor.partners:
            raise InputError(f"{what}: a format needs 'partners:'")
        for p in actor.partners:
            if p not in actors:
                raise InputError(f"{what}: partner '{p}' is not a known actor")
        if not actor.names:
            raise InputError(f"{what}: missing 'names'")
    for theme in themes.values():
        for t in (*theme.patterns, *theme.weak, *theme.exclude):
            actor, _ = parse_pattern(t.text)
            if actor is not None and actor not in actors:
                raise InputError(
                    f"{t.where}: theme '{theme.id}': pattern '{t.text}': unknown actor '{actor}'"
                )
        if theme.together is not None:
            for a in theme.together.actors:
                if a not in actors:
                    raise InputError(
                        f"{theme.together.where}: theme '{theme.id}': together: unknown actor '{a}'"
                    )
            for t in theme.together.unless:
                if t not in themes:
                    raise InputError(
                        f"{theme.together.where}: theme '{theme.id}': together: unknown theme '{t}'"
                    )
        for t in theme.unless:
            if t not in themes:
                raise InputError(f"{theme.where}: theme '{theme.id}': unless: unknown theme '{t}'")
    for spec in profiles.values():
        what = f"{spec.where}: profile '{spec.code}'"
        if not spec.focus:
            raise InputError(f"{what}: missing 'focus'")
        if spec.focus not in actors:
            raise InputError(f"{what}: focus '{spec.focus}' is not a known actor")
        for aid, where in spec.member_where.items():
            if aid not in actors:
                raise InputError(f"{where}: profile '{spec.code}': '{aid}' is not a known actor")
            if aid == spec.focus:
                raise InputError(f"{where}: profile '{spec.code}': the focus country is not a partner vector")
