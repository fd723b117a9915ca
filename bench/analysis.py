"""How well does the analyzer read messages? Accuracy and macro-F1 per language and task.

    .venv/bin/python bench/analysis.py

Runs the configured analyzer (PARLEY_ANALYZER) over bench/data/analysis_eval.jsonl: 400
social messages, 100 per client language (en, de, pl, ru), labelled for language, sentiment,
needs-reply and spam, with tricky cases (sarcasm, emoji only, mixed languages, friends
tagging friends). Each message is analysed as it would be for a client of that language.
Prints a table, then one JSON object on the last line.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from inbox.analysis import analyze  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "analysis_eval.jsonl"
TASKS = ("language", "sentiment", "needs_reply", "spam")


def macro_f1(gold: list[Any], predicted: list[Any]) -> float:
    classes = set(gold) | set(predicted)
    scores = []
    for label in classes:
        tp = sum(g == label and p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(g != label and p == label for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted, strict=True))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores)


def main() -> None:
    rows = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    gold: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    predicted: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    timings = []
    mistakes = []
    for row in rows:
        started = time.perf_counter()
        result = analyze(row["text"], fallback_language=row["client_language"])
        timings.append((time.perf_counter() - started) * 1000)
        answer = {
            "language": result.language,
            "sentiment": result.sentiment,
            "needs_reply": result.needs_reply,
            "spam": result.is_spam,
        }
        for task in TASKS:
            for group in (row["client_language"], "all"):
                gold[group][task].append(row[task])
                predicted[group][task].append(answer[task])
            if answer[task] != row[task]:
                mistakes.append((task, row["text"], row[task], answer[task]))
    figures: dict[str, Any] = {"messages": len(rows)}
    print(f"{'group':<6} {'task':<12} {'accuracy':>9} {'macro-F1':>9}")
    for group in ("en", "de", "pl", "ru", "all"):
        for task in TASKS:
            g, p = gold[group][task], predicted[group][task]
            accuracy = sum(a == b for a, b in zip(g, p, strict=True)) / len(g)
            f1 = macro_f1(g, p)
            figures[f"{group}_{task}_accuracy"] = round(accuracy, 3)
            figures[f"{group}_{task}_macro_f1"] = round(f1, 3)
            print(f"{group:<6} {task:<12} {accuracy:>9.3f} {f1:>9.3f}")
    figures["p50_ms"] = round(statistics.median(timings), 3)
    figures["p99_ms"] = round(sorted(timings)[int(len(timings) * 0.99) - 1], 3)
    print(f"analysis per message: p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms")
    if "--mistakes" in sys.argv:
        for task, text, expected, got in mistakes:
            print(f"  {task:<12} expected {expected!s:<9} got {got!s:<9} {text}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
