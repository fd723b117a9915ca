"""Language of short social messages: langid (offline, small) restricted to the languages
people write to brands in, helped by letters only one of our languages uses."""

from __future__ import annotations

import re
from functools import cache

from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

from inbox.analysis import LANGUAGES, OTHER

# Languages langid may answer with: ours, and the ones most often mistaken for them.
_CANDIDATES = ["en", "de", "pl", "ru", "uk", "fr", "es", "it", "nl", "pt", "tr", "cs", "sk"]
_CONFIDENT = 0.6
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_UKRAINIAN_ONLY = re.compile(r"[іїєґ]", re.IGNORECASE)
_POLISH_ONLY = re.compile(r"[ąęłńśźż]", re.IGNORECASE)
_GERMAN_ONLY = re.compile(r"[äöüß]", re.IGNORECASE)
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)


@cache
def _identifier() -> LanguageIdentifier:
    """The model restricted to our candidates, built anew from the restricted arrays: the
    full 142-language model would otherwise stay referenced (27 MB in every worker)."""
    full = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    full.set_languages(_CANDIDATES)
    return LanguageIdentifier(
        full.nb_ptc.copy(),
        full.nb_pc.copy(),
        full.nb_classes,
        full.tk_nextmove,
        full.tk_output,
        norm_probs=True,
        tk_row=full.tk_row,
    )


def detect_language(text: str, *, fallback_language: str) -> str:
    """en, de, pl, ru or other. Too little text to tell (emoji, "ok", "Super!!!") is taken to
    be in the client's language, which is what an agent would assume."""
    letters = len(_LETTERS.findall(text))
    if letters < 3:
        return fallback_language if fallback_language in LANGUAGES else OTHER
    if _CYRILLIC.search(text):
        return OTHER if _UKRAINIAN_ONLY.search(text) else "ru"
    if _POLISH_ONLY.search(text):
        return "pl"
    language, confidence = _identifier().classify(text)
    if confidence < _CONFIDENT:
        if _GERMAN_ONLY.search(text):
            return "de"
        return fallback_language if fallback_language in LANGUAGES else OTHER
    return language if language in LANGUAGES else OTHER
