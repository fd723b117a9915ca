"""`check_reply`: every way a reply can break the brand's guideline or the network's rules.

Pure functions over text, a context and a parsed guideline, so the composer (live), the API
(`.../replies/check`) and the send path all get the same answer. Severities: hard limits
(length, Meta's 24-hour window, disallowed links) block; banned phrases block or warn as the
guideline says; heuristics that can misfire (formality, greeting, sign-off, emoji, naming the
person) warn.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
import unicodedata
from typing import Any

import emoji
from django.utils.translation import gettext as _

from guidelines.rules import Guideline, PhraseRequirement, RuleSet, Severity

# Default reply limits per network. X counts weighted characters (twitter-text v3); Google
# counts a review reply in bytes; the rest count characters. A guideline's `max_length`
# overrides these per network.
NETWORK_LIMITS: dict[str, int] = {
    "x": 280,
    "facebook": 8000,
    "messenger": 2000,
    "instagram": 2200,
    "google_business": 4096,
    "youtube": 10000,
    "linkedin": 1250,
    "tiktok": 150,
}
INSTAGRAM_DM_LIMIT = 1000
META_MESSAGING_WINDOW = dt.timedelta(hours=24)
META_PRIVATE_REPLY_WINDOW = dt.timedelta(days=7)
META_MESSAGING_NETWORKS = {"messenger", "instagram"}
X_URL_WEIGHT = 23
# twitter-text v3: code points in these ranges weigh 1, all others 2; an emoji counts as 2.
_X_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
_TRAILING_PUNCTUATION = ".,;:!?)]}'\""

# Pronouns of the register a guideline does not want, per language. Heuristics: they warn.
_INFORMAL = {
    "de": r"du|dich|dir|dein(?:e|en|em|er|es)?|euch|euer|eure(?:n|m|r|s)?",
    "pl": r"ty|ciebie|cię|tobie|tobą|twój|twoja|twoje|twojego|twojej|twoim|twoją|twoich|twoimi"
    r"|możesz|masz|chcesz|jesteś|wiesz|potrzebujesz|napisz|sprawdź|zadzwoń",
    "ru": r"ты|тебя|тебе|тобой|твой|твоя|твоё|твое|твои|твоего|твоей|твоему|твоим|твоих|твоими",
}
_FORMAL = {
    # Capitalized mid-sentence forms only: at the start of a sentence "Sie"/"Вы" may be plural.
    "de": (r"Sie|Ihnen|Ihr(?:e|en|em|er|es)?", True),
    "pl": (r"pan|pani|pana|panu|panem|panią|państwo|państwa|państwu|państwem", False),
    "ru": (r"Вы|Вас|Вам|Вами|Ваш(?:а|е|и|его|ей|ему|им|их|ими)?", True),
}
_FORMAL_SUGGESTION = {
    "de": "Sie / Ihnen / Ihr",
    "pl": "Pan / Pani / Państwo",
    "ru": "Вы / Вас / Ваш",
}
_INFORMAL_SUGGESTION = {
    "de": "du / dich / dein",
    "pl": "ty / ciebie / twój",
    "ru": "ты / тебя / твой",
}


@dataclasses.dataclass(frozen=True)
class CheckContext:
    language: str
    network: str
    kind: str = "comment"
    contact_first_name: str = ""
    # For direct messages: when the person last wrote to us (Meta's 24-hour window).
    last_inbound_at: dt.datetime | None = None
    # For a private reply to a comment: the comment's time (Meta allows 7 days).
    private_reply_to_comment_at: dt.datetime | None = None
    now: dt.datetime | None = None


@dataclasses.dataclass(frozen=True)
class Violation:
    rule: str
    severity: Severity
    start: int
    end: int
    message: str
    suggestion: str = ""

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class CheckResult:
    violations: tuple[Violation, ...]
    length: int
    limit: int

    @property
    def is_blocked(self) -> bool:
        return any(v.severity == "block" for v in self.violations)

    @property
    def blocking_message(self) -> str:
        """The blocking violations' messages, as one text for people."""
        return " ".join(v.message for v in self.violations if v.severity == "block")

    @property
    def warnings(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.severity == "warn")

    @property
    def needs_approval(self) -> bool:
        """The reply touches a topic the client wants to approve (refunds, legal...)."""
        return any(v.rule == "approval_phrase" for v in self.violations)

    def as_dict(self) -> dict[str, Any]:
        return {
            "is_blocked": self.is_blocked,
            "needs_approval": self.needs_approval,
            "length": self.length,
            "limit": self.limit,
            "violations": [v.as_dict() for v in self.violations],
        }


def check_reply(text: str, context: CheckContext, guideline: Guideline) -> CheckResult:
    rules = guideline.rules_for(language=context.language, network=context.network)
    length, limit, over_at = measure(text, context=context, max_length=rules.max_length)
    violations: list[Violation] = []
    if over_at is not None:
        violations.append(_too_long(text, context.network, length, limit, over_at))
    violations += _meta_window(context)
    violations += _private_reply_window(context)
    violations += _phrases(text, rules)
    violations += _formality(text, context.language, rules.formality)
    violations += _requirement(text, rules.greeting, "greeting", context, at_start=True)
    violations += _requirement(text, rules.sign_off, "sign_off", context, at_start=False)
    violations += _emoji(text, rules)
    violations += _links(text, rules)
    violations += _personalization(text, rules, context)
    violations += _placeholders(text)
    violations.sort(key=lambda v: (v.start, v.end, v.rule))
    return CheckResult(tuple(violations), length, limit)


# --- Length ------------------------------------------------------------------------------


def measure(
    text: str, *, context: CheckContext, max_length: int | None
) -> tuple[int, int, int | None]:
    """(length as the network counts it, the limit, the index where the text goes over)."""
    network = context.network
    limit = max_length or (
        INSTAGRAM_DM_LIMIT
        if network == "instagram" and context.kind == "dm"
        else NETWORK_LIMITS.get(network, 8000)
    )
    if network == "x":
        return _x_weighted(text, limit)
    if network == "google_business":
        size = len(text.encode())
        over_at = None
        if size > limit:
            over_at = len(text.encode()[:limit].decode(errors="ignore"))
        return size, limit, over_at
    return len(text), limit, (limit if len(text) > limit else None)


def x_weighted_length(text: str) -> int:
    return _x_weighted(text, 280)[0]


def _x_weighted(text: str, limit: int) -> tuple[int, int, int | None]:
    text = unicodedata.normalize("NFC", text)
    spans = {m.start(): (m.end(), X_URL_WEIGHT) for m in _URL.finditer(text)}
    for found in emoji.emoji_list(text):
        spans.setdefault(found["match_start"], (found["match_end"], 2))
    weight, index, over_at = 0, 0, None
    while index < len(text):
        end, unit_weight = spans.get(index, (index + 1, _x_char_weight(text[index])))
        weight += unit_weight
        if over_at is None and weight > limit:
            over_at = index
        index = end
    return weight, limit, over_at


def _x_char_weight(char: str) -> int:
    code = ord(char)
    return 1 if any(low <= code <= high for low, high in _X_LIGHT_RANGES) else 2


def _too_long(text: str, network: str, length: int, limit: int, over_at: int) -> Violation:
    unit = _("bytes") if network == "google_business" else _("characters")
    return Violation(
        rule="length",
        severity="block",
        start=over_at,
        end=len(text),
        message=_("%(length)d %(unit)s; the limit here is %(limit)d.")
        % {"length": length, "unit": unit, "limit": limit},
        suggestion=_("Shorten the reply by %(excess)d %(unit)s.")
        % {"excess": length - limit, "unit": unit},
    )


def _private_reply_window(context: CheckContext) -> list[Violation]:
    commented_at = context.private_reply_to_comment_at
    now = context.now or dt.datetime.now(dt.UTC)
    if commented_at is None or now - commented_at <= META_PRIVATE_REPLY_WINDOW:
        return []
    return [
        Violation(
            rule="private_reply_window",
            severity="block",
            start=0,
            end=0,
            message=_("Meta allows a private reply only within 7 days of the comment."),
            suggestion=_("Reply publicly under the comment instead."),
        )
    ]


def _meta_window(context: CheckContext) -> list[Violation]:
    if context.kind != "dm" or context.network not in META_MESSAGING_NETWORKS:
        return []
    if context.last_inbound_at is None:
        return []
    now = context.now or dt.datetime.now(dt.UTC)
    if now - context.last_inbound_at <= META_MESSAGING_WINDOW:
        return []
    return [
        Violation(
            rule="messaging_window",
            severity="block",
            start=0,
            end=0,
            message=_(
                "The person last wrote more than 24 hours ago: Meta allows replies to direct "
                "messages only within 24 hours of their last message."
            ),
            suggestion=_("Reply publicly, or wait until they write again."),
        )
    ]


# --- Phrases -----------------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    """One alternation for all phrases: a single scan whatever the number of rules. Longer
    phrases first so "free shipping" wins over "free"; whole words only."""
    if not phrases:
        return None
    parts = sorted({_phrase_regex(p) for p in phrases}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)


def find_phrase(text: str, phrases: list[str] | tuple[str, ...]) -> str | None:
    """The first of `phrases` that `text` contains as whole words, any case; else None.

    For keyword conditions everywhere (automation, approvals, escalation), so a keyword means
    the same thing in every rule a manager writes."""
    pattern = phrase_pattern(tuple(phrases))
    match = pattern.search(text) if pattern else None
    return match.group(0) if match else None


def _phrase_regex(phrase: str) -> str:
    return r"\s+".join(re.escape(word) for word in phrase.split())


def _phrase_key(text: str) -> str:
    return " ".join(text.casefold().split())


def _phrases(text: str, rules: RuleSet) -> list[Violation]:
    banned = {_phrase_key(b.phrase): b for b in rules.banned_phrases}
    approval = {_phrase_key(a.phrase): a for a in rules.approval_phrases}
    pattern = phrase_pattern(tuple(banned) + tuple(approval))
    if pattern is None:
        return []
    violations = []
    for match in pattern.finditer(text):
        key = _phrase_key(match.group())
        if key in banned:
            rule = banned[key]
            suggestion = (
                _("Use “%(replacement)s” instead.") % {"replacement": rule.replacement}
                if rule.replacement
                else _("Leave it out.")
            )
            violations.append(
                Violation(
                    "banned_phrase",
                    rule.severity,
                    match.start(),
                    match.end(),
                    _("“%(phrase)s” is not in this brand's vocabulary.")
                    % {"phrase": match.group()},
                    suggestion,
                )
            )
        elif key in approval:
            topic = approval[key].topic or match.group()
            violations.append(
                Violation(
                    "approval_phrase",
                    "warn",
                    match.start(),
                    match.end(),
                    _("Mentions %(topic)s: the client approves such replies before they go out.")
                    % {"topic": topic},
                )
            )
    return violations


# --- Formality ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _register_pattern(words: str, case_sensitive: bool) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w)(?:{words})(?!\w)", 0 if case_sensitive else re.IGNORECASE)


def _starts_sentence(text: str, index: int) -> bool:
    before = text[:index].rstrip()
    return not before or before[-1] in ".!?\n"


def _formality(text: str, language: str, formality: str | None) -> list[Violation]:
    if formality == "formal" and language in _INFORMAL:
        pattern = _register_pattern(_INFORMAL[language], False)
        message = _("Informal address; this brand speaks formally here.")
        suggestion = _FORMAL_SUGGESTION[language]
        matches = list(pattern.finditer(text))
    elif formality == "informal" and language in _FORMAL:
        words, case_sensitive = _FORMAL[language]
        pattern = _register_pattern(words, case_sensitive)
        message = _("Formal address; this brand speaks informally here.")
        suggestion = _INFORMAL_SUGGESTION[language]
        matches = [
            m
            for m in pattern.finditer(text)
            if not (case_sensitive and _starts_sentence(text, m.start()))
        ]
    else:
        return []
    return [
        Violation("formality", "warn", m.start(), m.end(), message, suggestion) for m in matches
    ]


# --- Greeting, sign-off, personalization -------------------------------------------------


def _requirement(
    text: str,
    requirement: PhraseRequirement,
    rule: str,
    context: CheckContext,
    *,
    at_start: bool,
) -> list[Violation]:
    if not requirement.required:
        return []
    stripped = text.strip()
    name = re.escape(context.contact_first_name) if context.contact_first_name else r"[\w-]+"
    for phrase in requirement.phrases:
        regex = re.escape(phrase).replace(re.escape("{first_name}"), name)
        regex = r"\s+".join(regex.split(r"\ "))
        anchored = rf"^{regex}" if at_start else rf"{regex}[\s.!]*$"
        if re.search(anchored, stripped, re.IGNORECASE):
            return []
    example = requirement.phrases[0].replace("{first_name}", context.contact_first_name or "…")
    if at_start:
        return [
            Violation(
                rule,
                "warn",
                0,
                0,
                _("Start with one of the brand's greetings."),
                _("For example: “%(example)s”") % {"example": example},
            )
        ]
    return [
        Violation(
            rule,
            "warn",
            len(text),
            len(text),
            _("End with the brand's sign-off."),
            _("For example: “%(example)s”") % {"example": example},
        )
    ]


def _personalization(text: str, rules: RuleSet, context: CheckContext) -> list[Violation]:
    name = context.contact_first_name.strip()
    if not rules.personalize or not name:
        return []
    if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE):
        return []
    return [
        Violation(
            "personalization",
            "warn",
            0,
            0,
            _("Address %(name)s by name.") % {"name": name},
            _("For example: “Hi %(name)s,”") % {"name": name},
        )
    ]


# A saved reply's prompt the agent must fill in before sending: [[order number]].
PLACEHOLDER = re.compile(r"\[\[([^\[\]\n]{1,80})\]\]")


def _placeholders(text: str) -> list[Violation]:
    return [
        Violation(
            "placeholder",
            "block",
            m.start(),
            m.end(),
            _("Fill in “%(prompt)s” before sending.") % {"prompt": m.group(1).strip()},
        )
        for m in PLACEHOLDER.finditer(text)
    ]


# --- Emoji and links ---------------------------------------------------------------------


def _emoji(text: str, rules: RuleSet) -> list[Violation]:
    policy = rules.emoji
    if policy.policy == "any":
        return []
    found = emoji.emoji_list(text)
    if policy.policy == "none":
        offending = found
        message = _("This brand does not use emoji.")
    elif policy.policy == "max":
        offending = found[policy.max :]
        message = _("At most %(max)d emoji per reply.") % {"max": policy.max}
    else:
        offending = [e for e in found if e["emoji"] not in policy.allowed]
        message = _("Only these emoji: %(allowed)s") % {"allowed": " ".join(policy.allowed)}
    return [
        Violation("emoji", "warn", e["match_start"], e["match_end"], message) for e in offending
    ]


def _links(text: str, rules: RuleSet) -> list[Violation]:
    allowed = rules.allowed_link_domains
    if allowed is None:
        return []
    violations = []
    for match in _URL.finditer(text):
        url = match.group().rstrip(_TRAILING_PUNCTUATION)
        host = re.sub(r"^(?:https?://)?", "", url, flags=re.IGNORECASE).split("/")[0]
        host = host.split("@")[-1].split(":")[0].lower().strip(".")
        if any(host == domain or host.endswith("." + domain) for domain in allowed):
            continue
        violations.append(
            Violation(
                "link",
                "block",
                match.start(),
                match.start() + len(url),
                _("Links to %(host)s are not allowed for this brand.") % {"host": host},
                _("Allowed: %(domains)s") % {"domains": ", ".join(allowed) or "—"},
            )
        )
    return violations


def highlight_segments(text: str, violations: tuple[Violation, ...]) -> list[tuple[str, str]]:
    """The text cut into (piece, severity or "") for display; overlapping spans keep the
    first. Callers escape the pieces (they are platform or agent text)."""
    segments: list[tuple[str, str]] = []
    position = 0
    for violation in sorted(violations, key=lambda v: (v.start, -v.end)):
        if violation.end <= violation.start or violation.start < position:
            continue
        segments.append((text[position : violation.start], ""))
        segments.append((text[violation.start : violation.end], violation.severity))
        position = violation.end
    segments.append((text[position:], ""))
    return [segment for segment in segments if segment[0]]
