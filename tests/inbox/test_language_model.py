"""The restricted language model kept on disk: it answers as the one built from langid's
full model, and a folder that cannot be read is made again."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from django.conf import settings

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


def test_a_missing_model_is_made_by_a_process_of_its_own(tmp_path: Path) -> None:
    """Reading langid's full model takes ~100 MB for a moment; the process that needs the
    model (a worker, for its lifetime) must not be the one that reads it."""
    # VmHWM is the process's own peak (ru_maxrss would carry pytest's over the exec).
    measure = (
        "import sys\n"
        "from pathlib import Path\n"
        "import django; django.setup()\n"
        "from inbox.analysis.language import cached_restricted_model\n"
        "def status_mb(name):\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith(name): return int(line.split()[1]) / 1024\n"
        "before = status_mb('VmRSS:')\n"
        "model = cached_restricted_model(Path(sys.argv[1]))\n"
        "assert model.classify('Gibt es das auch in Grün?')[0] == 'de'\n"
        "print(status_mb('VmHWM:') - before)\n"
    )
    folder = tmp_path / "langid"
    done = subprocess.run(
        [sys.executable, "-c", measure, str(folder)],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    assert folder.is_dir()
    assert float(done.stdout) < 40  # MB above what it used before


def test_where_the_model_cannot_be_written_it_is_built_in_memory(tmp_path: Path) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    model = cached_restricted_model(blocker / "langid")
    assert model.classify(TEXTS[1])[0] == "de"
