"""The restricted language model kept on disk: it answers as the one built from langid's
full model, and a folder that cannot be read is made again."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from inbox.analysis.language import (
    cached_restricted_model,
    restricted_from_full_model,
    restricted_model_path,
)

TEXTS = [
    "Where is my order? Nobody answers.",
    "Gibt es das auch in Grün?",
    "Czy wysyłacie do Niemiec?",
    "Когда будет доставка?",
    "Merci beaucoup pour votre aide",
    "Dank je wel, tot morgen",
    "ok",
]


def test_the_cached_model_answers_as_the_full_one(tmp_path: Path) -> None:
    folder = tmp_path / "langid"
    made = cached_restricted_model(folder)  # built, then written
    assert sorted(p.name for p in folder.iterdir()) == [
        "nb_classes.npy",
        "nb_pc.npy",
        "nb_ptc.npy",
        "tk_nextmove.npy",
        "tk_output.npy",
        "tk_row.npy",
    ]
    mapped = cached_restricted_model(folder)  # read back
    assert isinstance(mapped.tk_nextmove, memoryview)
    # The large table is read from the file's mapping, not copied into the process.
    assert not mapped.nb_ptc.flags.owndata
    assert isinstance(mapped.nb_ptc.base, np.memmap)
    fresh = restricted_from_full_model()
    for text in TEXTS:
        assert mapped.classify(text) == made.classify(text) == fresh.classify(text)


def test_an_unreadable_folder_is_made_again(tmp_path: Path) -> None:
    folder = tmp_path / "langid"
    cached_restricted_model(folder)
    (folder / "tk_nextmove.npy").write_bytes(b"not an array")
    again = cached_restricted_model(folder)
    assert again.classify(TEXTS[1])[0] == "de"
    assert cached_restricted_model(folder).classify(TEXTS[1])[0] == "de"
    assert isinstance(cached_restricted_model(folder).tk_nextmove, memoryview)


def test_the_folder_is_named_after_what_it_was_made_from() -> None:
    path = restricted_model_path()
    assert path.parent.name == "cache"
    assert path.name.startswith("langid-")
