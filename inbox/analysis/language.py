"""Language of short social messages: langid (offline, small) restricted to the languages
people write to brands in, helped by letters only one of our languages uses."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import shutil
import subprocess
import sys
from array import array
from functools import cache
from importlib.metadata import version
from pathlib import Path

import numpy as np
from django.conf import settings
from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

from inbox.analysis import LANGUAGES, OTHER

logger = logging.getLogger(__name__)

# Languages langid may answer with: ours, and the ones most often mistaken for them.
_CANDIDATES = ["en", "de", "pl", "ru", "uk", "fr", "es", "it", "nl", "pt", "tr", "cs", "sk"]
_CONFIDENT = 0.6
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_UKRAINIAN_ONLY = re.compile(r"[іїєґ]", re.IGNORECASE)
_POLISH_ONLY = re.compile(r"[ąęłńśźż]", re.IGNORECASE)
_GERMAN_ONLY = re.compile(r"[äöüß]", re.IGNORECASE)
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)


def prepare_model() -> None:
    """Make (or map) the model now rather than in the first message's processing: Celery's
    main process calls this before forking its pool, so the pool inherits it."""
    _identifier()


@cache
def _identifier() -> LanguageIdentifier:
    """The model restricted to our candidates. Reading langid's full model (142 languages)
    takes about 100 MB for a moment, which stayed as the peak of every process that detects
    a language. So the restricted arrays are written to files the first time, and mapped
    from them after: nothing is copied, and the 39 MB tokenizer table is shared by every
    process of the machine instead of held by each."""
    return cached_restricted_model(restricted_model_path())


def cached_restricted_model(path: Path) -> LanguageIdentifier:
    """From the folder at `path`, made first if missing (or replaced if unreadable). Where
    it cannot be written, the model is built in memory each time, as before."""
    if path.exists():
        try:
            return load_restricted_model(path)
        except (OSError, ValueError):
            shutil.rmtree(path, ignore_errors=True)
    make_in_child_process(path)
    try:
        return load_restricted_model(path)
    except (OSError, ValueError):
        logger.warning("No language model files at %s; building it in memory", path)
        return restricted_from_full_model()


# Run by `make_in_child_process`: the arguments are the project's folder and the model's.
_MAKE_IN_CHILD = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from inbox.analysis.language import write_restricted_model; "
    "write_restricted_model(sys.argv[2])"
)


def make_in_child_process(path: Path) -> None:
    """Write the model's folder from a process that ends once it is written. Reading
    langid's full model takes about 100 MB for a moment, and a long-lived process that read
    it kept that size (a fresh checkout's first Celery worker measured 172-201 MB instead of
    128, and its pool inherits it)."""
    try:
        subprocess.run(  # noqa: S603 - our own interpreter and code; the paths are ours
            [sys.executable, "-c", _MAKE_IN_CHILD, str(settings.BASE_DIR), str(path)],
            check=True,
            capture_output=True,
            timeout=300,
        )
    except (OSError, subprocess.SubprocessError) as error:
        stderr = getattr(error, "stderr", b"") or b""
        logger.warning("Making the language model at %s failed: %s %s", path, error, stderr[-500:])


def write_restricted_model(path: str) -> None:
    """What the child process runs (it needs no Django setup)."""
    with contextlib.suppress(OSError):  # another process won the race, or a full disk
        save_restricted_model(restricted_from_full_model(), Path(path))


def restricted_model_path() -> Path:
    """Named after what it was made from: another langid release or other candidates make
    another folder."""
    source = MODEL_DIR / MODEL_FILE
    made_from = f"{version('py3langid')}|{source.stat().st_size}|{','.join(_CANDIDATES)}"
    key = hashlib.sha256(made_from.encode()).hexdigest()[:16]
    return Path(settings.BASE_DIR) / ".data" / "cache" / f"langid-{key}"


def restricted_from_full_model() -> LanguageIdentifier:
    """Built anew from the restricted arrays: the full model would otherwise stay referenced
    (27 MB in every worker)."""
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


def save_restricted_model(identifier: LanguageIdentifier, path: Path) -> None:
    """One .npy file per array, in a folder written beside and then renamed: a process never
    reads half of it (and one that loses the race to write it keeps the winner's)."""
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    partial.mkdir(parents=True, exist_ok=True)
    try:
        np.save(partial / "nb_ptc.npy", identifier.nb_ptc)
        np.save(partial / "nb_pc.npy", identifier.nb_pc)
        np.save(partial / "nb_classes.npy", np.array(identifier.nb_classes))
        nextmove = np.frombuffer(identifier.tk_nextmove, dtype=np.uint32)
        np.save(partial / "tk_nextmove.npy", nextmove)
        np.save(partial / "tk_row.npy", np.frombuffer(identifier.tk_row, dtype=np.uint16))
        np.save(partial / "tk_output.npy", np.array(identifier.tk_output, dtype=np.int64))
        partial.rename(path)
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)  # a full disk, or another process won
        raise


def load_restricted_model(path: Path) -> LanguageIdentifier:
    """What `save_restricted_model` wrote: the two tables mapped, not read; the small parts
    as the Python ints and arrays langid's tokenizer loop indexes fastest."""

    def mapped(name: str) -> np.ndarray:
        return np.load(path / f"{name}.npy", mmap_mode="r", allow_pickle=False)

    return LanguageIdentifier(
        # A plain array over the mapping (no copy): indexing np.memmap itself goes through
        # its Python-level __getitem__, which made each classification ~25% slower.
        np.asarray(mapped("nb_ptc")),
        np.array(mapped("nb_pc")),
        mapped("nb_classes").tolist(),
        mapped("tk_nextmove").data,
        mapped("tk_output").tolist(),
        norm_probs=True,
        tk_row=array("H", mapped("tk_row").tobytes()),
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
