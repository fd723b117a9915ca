"""How fast is check_reply? A 2,000-character reply against a 200-rule guideline.

    .venv/bin/python bench/guidelines.py [--iterations 2000]

Each iteration parses the guideline JSON and checks the reply, as the send path does. Prints
figures, then one JSON object on the last line: check_p50_ms, check_p99_ms, rules, chars.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from guidelines.checker import CheckContext, check_reply  # noqa: E402
from guidelines.rules import parse_guideline  # noqa: E402

WORDS = [
    "thanks",
    "order",
    "delivery",
    "store",
    "coffee",
    "beans",
    "blend",
    "roast",
    "price",
    "shipping",
    "return",
    "parcel",
    "courier",
    "weekend",
    "morning",
    "friendly",
    "barista",
    "voucher",
    "loyalty",
    "card",
    "espresso",
]


def build_rules() -> tuple[dict[str, object], int]:
    banned = [{"phrase": f"{WORDS[i % len(WORDS)]}word{i}", "replacement": "x"} for i in range(150)]
    banned += [{"phrase": "cheap"}, {"phrase": "no problem"}, {"phrase": "free shipping"}]
    approval = [{"phrase": f"topic{i} case", "topic": f"topic {i}"} for i in range(40)]
    approval += [{"phrase": "refund"}, {"phrase": "lawyer"}]
    defaults = {
        "banned_phrases": banned,
        "approval_phrases": approval,
        "formality": "formal",
        "greeting": {"required": True, "phrases": ["Hi {first_name}", "Hello"]},
        "sign_off": {"required": True, "phrases": ["— Team Northwind"]},
        "emoji": {"policy": "max", "max": 2},
        "links": {"allowed_domains": ["northwind.example"]},
        "personalize": True,
    }
    count = len(banned) + len(approval) + 6
    return {"defaults": defaults, "networks": {"x": {"max_length": 280}}}, count


def build_reply(chars: int) -> str:
    sentence = (
        "Hi Anna, thanks for your order 🙂 the delivery is cheap and there is no problem with "
        "a refund, see https://northwind.example/faq or https://elsewhere.example/x. "
    )
    text = ""
    while len(text) < chars:
        text += sentence
    return text[:chars]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=2000)
    args = parser.parse_args()
    rules, rule_count = build_rules()
    reply = build_reply(2000)
    context = CheckContext(language="en", network="facebook", contact_first_name="Anna")
    first = check_reply(reply, context, parse_guideline(rules))  # warms the pattern cache
    timings = []
    for _ in range(args.iterations):
        started = time.perf_counter_ns()
        check_reply(reply, context, parse_guideline(rules))
        timings.append((time.perf_counter_ns() - started) / 1e6)
    timings.sort()
    p50 = statistics.median(timings)
    p99 = timings[int(len(timings) * 0.99) - 1]
    print(f"rules: {rule_count}, reply: {len(reply)} characters, iterations: {args.iterations}")
    print(f"violations found per check: {len(first.violations)}")
    print(f"check (parse + check): p50 {p50:.3f} ms, p99 {p99:.3f} ms, max {timings[-1]:.3f} ms")
    print(
        json.dumps(
            {
                "check_p50_ms": round(p50, 3),
                "check_p99_ms": round(p99, 3),
                "rules": rule_count,
                "chars": len(reply),
            }
        )
    )


if __name__ == "__main__":
    main()
