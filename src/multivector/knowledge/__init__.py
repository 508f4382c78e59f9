"""Knowledge files (actors, themes, country profiles) and their loader."""

from multivector.knowledge.loader import (
    KINDS,
    LANGS,
    Actor,
    Knowledge,
    Profile,
    Term,
    Theme,
    load_knowledge,
    parse_pattern,
)

__all__ = [
    "KINDS",
    "LANGS",
    "Actor",
    "Knowledge",
    "Profile",
    "Term",
    "Theme",
    "load_knowledge",
    "parse_pattern",
]
