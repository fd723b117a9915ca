"""A guideline version's rules: plain data, parsed and validated from the version's JSON.

Shape (every key optional; `languages` and `networks` override `defaults` key by key):

    {
      "voice_summary": "Warm, brief, never salesy.",
      "example_replies": ["Hi Anna, thanks for asking! ..."],
      "defaults": {<rule set>},
      "languages": {"de": {<rule set>}, "pl": {...}},
      "networks": {"x": {<rule set>}, "instagram": {...}}
    }

A rule set:

    {
      "formality": "formal" | "informal" | null,
      "banned_phrases": [{"phrase": "cheap", "replacement": "affordable", "severity": "block"}],
      "approval_phrases": [{"phrase": "refund", "topic": "refunds"}],
      "greeting": {"required": true, "phrases": ["Hi {first_name}", "Hello"]},
      "sign_off": {"required": true, "phrases": ["— Team Northwind"]},
      "emoji": {"policy": "any" | "none" | "max" | "allowed", "max": 2, "allowed": ["🙂"]},
      "links": {"allowed_domains": ["northwind.example"]},
      "personalize": true,
      "max_length": 1000
    }
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

Severity = Literal["block", "warn"]
SEVERITIES = ("block", "warn")
EMOJI_POLICIES = ("any", "none", "max", "allowed")
FORMALITIES = ("formal", "informal")
RULE_SET_KEYS = {
    "formality",
    "banned_phrases",
    "approval_phrases",
    "greeting",
    "sign_off",
    "emoji",
    "links",
    "personalize",
    "max_length",
}


class GuidelineInvalid(ValueError):
    """The rules cannot be used; `field` says where (e.g. "languages.de.emoji.max")."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclasses.dataclass(frozen=True)
class BannedPhrase:
    phrase: str
    replacement: str = ""
    severity: Severity = "block"


@dataclasses.dataclass(frozen=True)
class ApprovalPhrase:
    phrase: str
    topic: str = ""


@dataclasses.dataclass(frozen=True)
class PhraseRequirement:
    required: bool = False
    phrases: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class EmojiPolicy:
    policy: str = "any"
    max: int = 0
    allowed: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class RuleSet:
    """The rules in force for one language on one network, after overrides are applied."""

    formality: str | None = None
    banned_phrases: tuple[BannedPhrase, ...] = ()
    approval_phrases: tuple[ApprovalPhrase, ...] = ()
    greeting: PhraseRequirement = PhraseRequirement()
    sign_off: PhraseRequirement = PhraseRequirement()
    emoji: EmojiPolicy = EmojiPolicy()
    allowed_link_domains: tuple[str, ...] | None = None  # None: any link is fine
    personalize: bool = False
    max_length: int | None = None


@dataclasses.dataclass(frozen=True)
class Guideline:
    voice_summary: str
    example_replies: tuple[str, ...]
    defaults: dict[str, Any]
    languages: dict[str, dict[str, Any]]
    networks: dict[str, dict[str, Any]]

    def rules_for(self, *, language: str, network: str) -> RuleSet:
        """Defaults, then the language's overrides, then the network's (the most specific)."""
        merged = {**self.defaults, **self.languages.get(language, {})}
        merged.update(self.networks.get(network, {}))
        return _rule_set(merged, "effective")


EMPTY_GUIDELINE = Guideline("", (), {}, {}, {})


def parse_guideline(data: Any) -> Guideline:
    """Validate raw JSON; raises GuidelineInvalid naming the first field at fault."""
    if not isinstance(data, dict):
        raise GuidelineInvalid("rules", "must be an object")
    defaults = _rule_set_dict(data.get("defaults", {}), "defaults")
    languages = _named_rule_sets(data.get("languages", {}), "languages")
    networks = _named_rule_sets(data.get("networks", {}), "networks")
    # Parse every combination once, so a bad value fails when saved, not when a reply is checked.
    _rule_set(defaults, "defaults")
    for name, rules in [*languages.items(), *networks.items()]:
        _rule_set({**defaults, **rules}, name)
    examples = data.get("example_replies", [])
    if not isinstance(examples, list) or not all(isinstance(e, str) for e in examples):
        raise GuidelineInvalid("example_replies", "must be a list of texts")
    voice = data.get("voice_summary", "")
    if not isinstance(voice, str):
        raise GuidelineInvalid("voice_summary", "must be text")
    return Guideline(voice, tuple(examples), defaults, languages, networks)


def _named_rule_sets(value: Any, field: str) -> dict[str, dict[str, Any]]:
    if not isinstance(value, dict):
        raise GuidelineInvalid(field, "must be an object keyed by name")
    return {str(name): _rule_set_dict(rules, f"{field}.{name}") for name, rules in value.items()}


def _rule_set_dict(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise GuidelineInvalid(field, "must be an object")
    unknown = set(value) - RULE_SET_KEYS
    if unknown:
        raise GuidelineInvalid(f"{field}.{sorted(unknown)[0]}", "is not a rule Parley knows")
    return value


def _rule_set(data: dict[str, Any], field: str) -> RuleSet:
    formality = data.get("formality")
    if formality not in (None, *FORMALITIES):
        raise GuidelineInvalid(f"{field}.formality", "must be formal, informal or empty")
    links = data.get("links")
    allowed_domains = None
    if links is not None:
        domains = _object(links, f"{field}.links").get("allowed_domains", [])
        allowed_domains = tuple(d.lower().strip(".") for d in _texts(domains, f"{field}.links"))
    max_length = data.get("max_length")
    if max_length is not None and (not isinstance(max_length, int) or max_length < 1):
        raise GuidelineInvalid(f"{field}.max_length", "must be a positive whole number")
    personalize = data.get("personalize", False)
    if not isinstance(personalize, bool):
        raise GuidelineInvalid(f"{field}.personalize", "must be true or false")
    return RuleSet(
        formality=formality,
        banned_phrases=tuple(
            _banned(item, f"{field}.banned_phrases[{i}]")
            for i, item in enumerate(_list(data.get("banned_phrases", []), field))
        ),
        approval_phrases=tuple(
            _approval(item, f"{field}.approval_phrases[{i}]")
            for i, item in enumerate(_list(data.get("approval_phrases", []), field))
        ),
        greeting=_requirement(data.get("greeting"), f"{field}.greeting"),
        sign_off=_requirement(data.get("sign_off"), f"{field}.sign_off"),
        emoji=_emoji(data.get("emoji"), f"{field}.emoji"),
        allowed_link_domains=allowed_domains,
        personalize=personalize,
        max_length=max_length,
    )


def _object(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise GuidelineInvalid(field, "must be an object")
    return value


def _list(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise GuidelineInvalid(field, "must be a list")
    return value


def _texts(value: Any, field: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise GuidelineInvalid(field, "must be a list of non-empty texts")
    return value


def _phrase(item: dict[str, Any], field: str) -> str:
    phrase = item.get("phrase")
    if not isinstance(phrase, str) or not phrase.strip():
        raise GuidelineInvalid(f"{field}.phrase", "must be non-empty text")
    return phrase.strip()


def _banned(item: Any, field: str) -> BannedPhrase:
    item = _object(item, field)
    severity = item.get("severity", "block")
    if severity not in SEVERITIES:
        raise GuidelineInvalid(f"{field}.severity", "must be block or warn")
    replacement = item.get("replacement", "")
    if not isinstance(replacement, str):
        raise GuidelineInvalid(f"{field}.replacement", "must be text")
    return BannedPhrase(_phrase(item, field), replacement.strip(), severity)


def _approval(item: Any, field: str) -> ApprovalPhrase:
    item = _object(item, field)
    topic = item.get("topic", "")
    if not isinstance(topic, str):
        raise GuidelineInvalid(f"{field}.topic", "must be text")
    return ApprovalPhrase(_phrase(item, field), topic.strip())


def _requirement(value: Any, field: str) -> PhraseRequirement:
    if value is None:
        return PhraseRequirement()
    value = _object(value, field)
    required = value.get("required", False)
    if not isinstance(required, bool):
        raise GuidelineInvalid(f"{field}.required", "must be true or false")
    phrases = tuple(_texts(value.get("phrases", []), f"{field}.phrases"))
    if required and not phrases:
        raise GuidelineInvalid(f"{field}.phrases", "a required greeting or sign-off needs phrases")
    return PhraseRequirement(required, phrases)


def _emoji(value: Any, field: str) -> EmojiPolicy:
    if value is None:
        return EmojiPolicy()
    value = _object(value, field)
    policy = value.get("policy", "any")
    if policy not in EMOJI_POLICIES:
        raise GuidelineInvalid(f"{field}.policy", "must be any, none, max or allowed")
    maximum = value.get("max", 0)
    if not isinstance(maximum, int) or maximum < 0:
        raise GuidelineInvalid(f"{field}.max", "must be a whole number, 0 or more")
    allowed = (
        tuple(_texts(value.get("allowed", []), f"{field}.allowed")) if "allowed" in value else ()
    )
    return EmojiPolicy(policy, maximum, allowed)
