"""Analysis of an incoming message: language, sentiment, whether it needs a reply, spam/abuse.

Offline and pluggable: `PARLEY_ANALYZER` names a class with `analyze(text, fallback_language)`
returning an `Analysis`. The default (lexicon.LexiconAnalyzer) needs no model download at run
time. `bench/analysis.py` measures it on a labelled set.
"""

from __future__ import annotations

import dataclasses
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

LANGUAGES = ("en", "de", "pl", "ru")
OTHER = "other"


@dataclasses.dataclass(frozen=True)
class Analysis:
    language: str  # en, de, pl, ru or other
    sentiment: str  # positive, neutral, negative
    sentiment_score: float  # -1 .. 1
    needs_reply: bool
    is_spam: bool
    is_abusive: bool


class Analyzer(Protocol):
    def analyze(self, text: str, *, fallback_language: str) -> Analysis: ...


@cache
def get_analyzer() -> Analyzer:
    analyzer: Analyzer = import_string(settings.PARLEY_ANALYZER)()
    return analyzer


def analyze(text: str, *, fallback_language: str = "en") -> Analysis:
    return get_analyzer().analyze(text, fallback_language=fallback_language)
