"""check_reply, rule by rule. Pure functions: no database."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from guidelines.checker import CheckContext, check_reply, x_weighted_length
from guidelines.rules import GuidelineInvalid, parse_guideline


def check(text: str, rules: dict[str, Any] | None = None, **context: Any) -> Any:
    context.setdefault("language", "en")
    context.setdefault("network", "facebook")
    return check_reply(text, CheckContext(**context), parse_guideline(rules or {}))


def rules_of(result: Any) -> list[tuple[str, str, str]]:
    return [(v.rule, v.severity, "") for v in result.violations]


# --- banned and approval phrases ---------------------------------------------------------

BANNED = {
    "defaults": {
        "banned_phrases": [
            {"phrase": "cheap", "replacement": "affordable"},
            {"phrase": "free shipping", "replacement": "delivery included", "severity": "warn"},
            {"phrase": "no problem"},
        ],
        "approval_phrases": [{"phrase": "refund", "topic": "refunds"}],
    }
}


def test_banned_phrase_blocks_with_span_and_suggestion() -> None:
    result = check("Our CHEAP mugs are back", BANNED)

    [violation] = result.violations
    assert (violation.rule, violation.severity) == ("banned_phrase", "block")
    assert (violation.start, violation.end) == (4, 9)
    assert violation.suggestion == "Use “affordable” instead."
    assert result.is_blocked


def test_phrases_match_whole_words_across_spacing_and_case() -> None:
    text = "Free\n shipping today, cheaper than ever, no  problem!"

    result = check(text, BANNED)

    assert [(v.rule, v.severity, v.start) for v in result.violations] == [
        ("banned_phrase", "warn", 0),
        ("banned_phrase", "block", text.index("no  problem")),
    ]  # "cheaper" is another word


def test_approval_phrase_warns_and_flags_for_approval() -> None:
    result = check("We will refund you today.", BANNED)

    [violation] = result.violations
    assert (violation.rule, violation.severity) == ("approval_phrase", "warn")
    assert "refunds" in violation.message
    assert result.needs_approval
    assert not result.is_blocked


def test_language_overrides_extend_defaults() -> None:
    rules = {
        "defaults": {"banned_phrases": [{"phrase": "cheap"}]},
        "languages": {"de": {"banned_phrases": [{"phrase": "billig", "replacement": "günstig"}]}},
    }
    assert [v.rule for v in check("Sehr billig!", rules, language="de").violations] == [
        "banned_phrase"
    ]
    # a language's list replaces the default list (the most specific wins, key by key)
    assert check("cheap", rules, language="de").violations == ()
    assert [v.rule for v in check("cheap", rules, language="en").violations] == ["banned_phrase"]


# --- formality ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "formality", "text", "flagged"),
    [
        ("de", "formal", "Kannst du uns deine Bestellnummer schicken?", ["du", "deine"]),
        ("de", "formal", "Können Sie uns Ihre Bestellnummer schicken?", []),
        ("de", "informal", "Können Sie uns Ihre Bestellnummer schicken?", ["Sie", "Ihre"]),
        ("de", "informal", "Sie haben recht, danke dir!", []),  # sentence-initial "Sie"
        ("pl", "formal", "Czy możesz podać twój numer zamówienia?", ["możesz", "twój"]),
        ("pl", "formal", "Czy może Pan podać numer zamówienia?", []),
        ("pl", "informal", "Czy może Pani podać numer?", ["Pani"]),
        ("ru", "formal", "Пришли, пожалуйста, твой номер заказа.", ["твой"]),
        ("ru", "formal", "Пришлите, пожалуйста, Ваш номер заказа.", []),
        ("ru", "informal", "Спасибо, что написали Вы нам.", ["Вы"]),
        ("ru", "informal", "Вы правы, спасибо!", []),  # sentence-initial
        ("en", "formal", "Could you send your order number?", []),
    ],
)
def test_formality_per_language(
    language: str, formality: str, text: str, flagged: list[str]
) -> None:
    result = check(text, {"defaults": {"formality": formality}}, language=language)

    assert [text[v.start : v.end] for v in result.violations] == flagged
    assert all((v.rule, v.severity) == ("formality", "warn") for v in result.violations)


# --- greeting, sign-off, personalization -------------------------------------------------

VOICE = {
    "defaults": {
        "greeting": {"required": True, "phrases": ["Hi {first_name}", "Hello"]},
        "sign_off": {"required": True, "phrases": ["— Team Northwind"]},
        "personalize": True,
    }
}


def test_greeting_sign_off_and_name_present() -> None:
    text = "Hi Anna, it ships on Monday.\n— Team Northwind"
    assert check(text, VOICE, contact_first_name="Anna").violations == ()


def test_missing_greeting_sign_off_and_name_are_warnings() -> None:
    result = check("It ships on Monday.", VOICE, contact_first_name="Anna")

    assert [(v.rule, v.severity) for v in result.violations] == [
        ("greeting", "warn"),
        ("personalization", "warn"),
        ("sign_off", "warn"),
    ]
    assert result.violations[0].suggestion == "For example: “Hi Anna”"
    assert not result.is_blocked


# --- emoji and links ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "text", "flagged"),
    [
        ({"policy": "none"}, "Thanks 🙂", ["🙂"]),
        ({"policy": "max", "max": 1}, "Thanks 🙂👍🏽🇩🇪", ["👍🏽", "🇩🇪"]),
        ({"policy": "allowed", "allowed": ["🙂"]}, "Thanks 🙂🔥", ["🔥"]),
        ({"policy": "any"}, "🔥🔥🔥", []),
    ],
)
def test_emoji_policy(policy: dict[str, Any], text: str, flagged: list[str]) -> None:
    result = check(text, {"defaults": {"emoji": policy}})
    assert [text[v.start : v.end] for v in result.violations] == flagged


def test_links_outside_allowed_domains_block() -> None:
    rules = {"defaults": {"links": {"allowed_domains": ["northwind.example"]}}}
    text = "See https://shop.northwind.example/faq, or https://evil.example/x."

    result = check(text, rules)

    [violation] = result.violations
    assert text[violation.start : violation.end] == "https://evil.example/x"
    assert (violation.rule, violation.severity) == ("link", "block")


# --- network limits ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "weight"),
    [
        ("a" * 280, 280),
        ("日本語", 6),  # CJK weighs 2
        ("Привет", 6),  # Cyrillic weighs 1
        ("👍🏽", 2),  # an emoji with its modifier is one emoji: 2
        ("👨‍👩‍👧", 2),  # a ZWJ family is one emoji: 2
        ("see https://example.com/a/very/long/path/that/goes/on/and/on", 4 + 23),
        ("é", 1),  # NFC: e + combining accent is one character
        ("e\u0301", 1),
    ],
)
def test_x_weighted_length(text: str, weight: int) -> None:
    assert x_weighted_length(text) == weight


def test_x_limit_counts_weighted_characters() -> None:
    at_limit = check("a" * 270 + " " + "https://example.com/" + "x" * 100, network="x")
    assert at_limit.length == 270 + 1 + 23
    [violation] = at_limit.violations
    assert (violation.rule, violation.severity) == ("length", "block")
    assert violation.start == 271  # the URL (23) is the unit that crosses 280
    assert check("界" * 140, network="x").violations == ()
    assert check("界" * 141, network="x").is_blocked


@pytest.mark.parametrize(
    ("network", "kind", "limit"),
    [
        ("facebook", "comment", 8000),
        ("instagram", "comment", 2200),
        ("instagram", "dm", 1000),
        ("messenger", "dm", 2000),
        ("youtube", "comment", 10000),
        ("linkedin", "comment", 1250),
        ("tiktok", "comment", 150),
    ],
)
def test_character_limits(network: str, kind: str, limit: int) -> None:
    assert check("a" * limit, network=network, kind=kind).violations == ()
    assert [v.rule for v in check("a" * (limit + 1), network=network, kind=kind).violations] == [
        "length"
    ]


def test_google_review_replies_count_bytes() -> None:
    assert not check("ü" * 2048, network="google_business").is_blocked  # 4096 bytes
    result = check("ü" * 2049, network="google_business")
    assert result.is_blocked
    assert result.violations[0].start == 2048


def test_guideline_can_set_a_stricter_network_limit() -> None:
    rules = {"networks": {"facebook": {"max_length": 10}}}
    assert check("short", rules).violations == ()
    assert check("far too long", rules).violations[0].rule == "length"


# --- Meta's 24-hour messaging window -----------------------------------------------------

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("network", "kind", "hours_ago", "blocked"),
    [
        ("messenger", "dm", 23.9, False),
        ("messenger", "dm", 24.1, True),
        ("instagram", "dm", 30, True),
        ("instagram", "comment", 30, False),  # public replies have no window
        ("x", "dm", 30, False),
    ],
)
def test_meta_messaging_window(network: str, kind: str, hours_ago: float, blocked: bool) -> None:
    result = check(
        "Hello",
        network=network,
        kind=kind,
        now=NOW,
        last_inbound_at=NOW - dt.timedelta(hours=hours_ago),
    )
    assert result.is_blocked is blocked
    if blocked:
        assert result.violations[0].rule == "messaging_window"


# --- validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ([], "rules"),
        ({"defaults": {"banned_phrases": [{"phrase": ""}]}}, "defaults.banned_phrases[0].phrase"),
        (
            {"defaults": {"banned_phrases": [{"phrase": "x", "severity": "maybe"}]}},
            "defaults.banned_phrases[0].severity",
        ),
        ({"defaults": {"formality": "posh"}}, "defaults.formality"),
        ({"languages": {"de": {"emoji": {"policy": "max", "max": -1}}}}, "de.emoji.max"),
        ({"defaults": {"greeting": {"required": True}}}, "defaults.greeting.phrases"),
        ({"defaults": {"tone": "warm"}}, "defaults.tone"),
        ({"networks": {"x": {"max_length": 0}}}, "x.max_length"),
    ],
)
def test_invalid_rules_name_the_field(rules: Any, field: str) -> None:
    with pytest.raises(GuidelineInvalid) as raised:
        parse_guideline(rules)
    assert raised.value.field.endswith(field)


def test_unfilled_placeholders_block() -> None:
    text = "Your order [[order number]] ships [[date]]."

    result = check(text)

    assert [(v.rule, v.severity, text[v.start : v.end]) for v in result.violations] == [
        ("placeholder", "block", "[[order number]]"),
        ("placeholder", "block", "[[date]]"),
    ]
    assert result.violations[0].message == "Fill in “order number” before sending."
