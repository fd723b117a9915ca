"""The default analyzer: hand-made lexicons for en, de, pl and ru, and a few rules.

Words are matched whole, or as stems where marked with "*" (a token starting with the stem
matches), which copes with Polish and Russian inflection. Sentiment sums word and emoji
polarities, flips them after a negation, weighs intensifiers, and counts sarcasm markers
("oh great", "na toll", "dzięki za nic", "ну спасибо") as negative. Measured on
bench/data/analysis_eval.jsonl by bench/analysis.py; improve it there, with numbers.
"""

from __future__ import annotations

import math
import re

import emoji

from inbox.analysis import Analysis
from inbox.analysis.language import detect_language

POSITIVE = {
    "en": "love loved loves lovely great amazing awesome excellent perfect thank thanks thx "
    "happy best fantastic wonderful nice good beautiful recommend* delicious friendly helpful "
    "fast quick gorgeous brilliant glad pleased enjoy* cool super outstanding impressed "
    "favourite favorite",
    "de": "liebe lieben toll tolle toller tolles super klasse großartig* grossartig* perfekt* "
    "danke dank zufrieden schön schöne schöner schoen lecker freundlich* hilfreich schnell* "
    "empfehle* genial* prima top wunderbar* begeistert gut gute guter gutes spitze beste besten",
    "pl": "super świetn* dziękuj* dzięki polecam zadowolon* wspaniał* doskonał* miły miła miłe "
    "pyszn* szybko szybka fajn* kocham ekstra najlepsz* profesjonal* idealn* piękn* dobry dobra "
    "dobre rewelac*",
    "ru": "спасибо благодар* отличн* супер класс* люблю прекрасн* замечательн* рекоменд* "
    "доволен довольна вкусн* быстро вежлив* лучш* хорош* восторг* идеальн* приятн*",
}
NEGATIVE = {
    "en": "bad terrible awful worst horrible disappoint* broken late scam rude slow angry hate "
    "poor useless waste wrong missing damaged problem* issue* complaint* unacceptable "
    "ridiculous cancel* disgusting fake lost dirty cold refund never expensive annoy* nobody",
    "de": "schlecht* schrecklich* enttäusch* kaputt beschädigt* falsch* fehlt verspätet* "
    "ärgerlich* unverschämt* frech* langsam betrug* abzocke unzufrieden* katastrophe* mies* "
    "furchtbar* problem* reklamation* unmöglich* teuer zurück storniert nie niemand leider",
    "pl": "fataln* okropn* rozczarow* zepsut* uszkodz* spóźn* oszust* skandal* tragedi* "
    "tragiczn* niezadowolon* beznadziejn* problem* reklamacj* wolno żenując* brak zgubion* "
    "drogo nigdy źle niestety zwrot*",
    "ru": "плох* ужасн* разочаров* сломан* поврежд* опозда* обман* мошенн* груб* медленн* "
    "никогда проблем* жалоб* недовол* отвратительн* кошмар* безобраз* дорог* возврат* "
    "потерял* нет",
}
# Phrases read as a whole: complaints, and the sarcasm that praise words would otherwise hide.
NEGATIVE_PHRASES = {
    "en": [
        "still waiting",
        "charged twice",
        "where is my",
        "hasn't arrived",
        "has not arrived",
        "didn't arrive",
        "never arrived",
        "never came",
        "never received",
        "not received",
        "oh great",
        "just great",
        "yeah right",
        "thanks for nothing",
        "thanks a lot for",
        "love waiting",
        "what a joke",
        "never again",
    ],
    "de": [
        "warte immer noch",
        "noch nicht angekommen",
        "wo bleibt",
        "wo ist meine",
        "na toll",
        "na super",
        "danke für nichts",
        "schon wieder",
        "nie wieder",
        "doppelt abgebucht",
    ],
    "pl": [
        "nie dotarł",
        "nie doszł",
        "wciąż czekam",
        "nadal czekam",
        "gdzie jest moje",
        "dzięki za nic",
        "no super",
        "no pięknie",
        "nigdy więcej",
        "dwa razy pobral",
    ],
    "ru": [
        "не пришёл",
        "не пришел",
        "не пришла",
        "до сих пор жду",
        "всё ещё жду",
        "где мой",
        "где моя",
        "спасибо за ничего",
        "ну спасибо",
        "ну отлично",
        "больше никогда",
        "списали дважды",
    ],
}
NEGATIONS = {
    "en": {
        "not",
        "no",
        "never",
        "don't",
        "dont",
        "isn't",
        "wasn't",
        "didn't",
        "doesn't",
        "nothing",
        "hardly",
        "won't",
        "can't",
        "cannot",
    },
    "de": {"nicht", "kein", "keine", "keinen", "keiner", "nie", "niemals", "nichts"},
    "pl": {"nie", "żaden", "żadna", "żadne", "nigdy"},
    "ru": {"не", "нет", "ни", "никогда"},
}
INTENSIFIERS = {
    "very",
    "really",
    "so",
    "extremely",
    "totally",
    "sehr",
    "total",
    "echt",
    "wirklich",
    "bardzo",
    "naprawdę",
    "strasznie",
    "очень",
    "совсем",
    "реально",
}
QUESTION_WORDS = {
    "en": {
        "what",
        "where",
        "when",
        "why",
        "how",
        "can",
        "could",
        "do",
        "does",
        "is",
        "are",
        "will",
        "would",
        "which",
        "who",
        "any",
    },
    "de": {
        "wo",
        "wann",
        "warum",
        "wieso",
        "wie",
        "was",
        "wer",
        "kann",
        "können",
        "gibt",
        "habt",
        "haben",
        "ist",
        "sind",
        "welche",
        "welcher",
    },
    "pl": {"czy", "gdzie", "kiedy", "dlaczego", "jak", "co", "ile", "kto", "jaki", "jaka"},
    "ru": {
        "где",
        "когда",
        "почему",
        "как",
        "что",
        "сколько",
        "можно",
        "ли",
        "кто",
        "какой",
        "какая",
        "есть",
    },
}
REQUEST_WORDS = {
    "please",
    "pls",
    "help",
    "contact",
    "dm",
    "bitte",
    "hilfe",
    "kontakt",
    "proszę",
    "prosze",
    "pomocy",
    "pomóżcie",
    "пожалуйста",
    "помогите",
    "свяжитесь",
}
SPAM_CUES = [
    "free followers",
    "followers",
    "crypto",
    "bitcoin",
    "giveaway",
    "earn $",
    "earn money",
    "check my profile",
    "check out my",
    "dm me",
    "click here",
    "promo code",
    "investment",
    "make money",
    "work from home",
    "onlyfans",
    "kostenlose follower",
    "verdienen sie",
    "zarabiaj",
    "darmowe",
    "заработок",
    "заработай",
    "крипто",
    "подписчиков",
]
ABUSE_WORDS = {
    "fuck",
    "fucking",
    "shit",
    "idiot",
    "idiots",
    "stupid",
    "morons",
    "scheiß",
    "scheiss",
    "scheisse",
    "arschloch",
    "idioten",
    "kurwa",
    "chuj",
    "debil",
    "debile",
    "idiota",
    "idioci",
    "сука",
    "блять",
    "блядь",
    "идиот",
    "идиоты",
    "дурак",
    "дебил",
}
POSITIVE_EMOJI = set("😍🥰😊🙂😀😃😄😁😆❤♥💕💖💗👍🙏🎉👌💯😋🤩✨🙌👏☺😘🤗")
NEGATIVE_EMOJI = set("😡😠🤬😤😞😢😭💔👎🙄😒😩😫🤮😖😣😕☹🙁")
_SCORED_EMOJI = re.compile(
    "[" + "".join(re.escape(symbol) for symbol in sorted(POSITIVE_EMOJI | NEGATIVE_EMOJI)) + "]"
)

_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)
_URL = re.compile(r"https?://|www\.", re.IGNORECASE)
_MENTION = re.compile(r"@[\w.]+")


def _stems(words: str) -> tuple[set[str], tuple[str, ...]]:
    """Whole words, and stems (marked with a trailing *) that also match longer forms."""
    items = words.split()
    return {w for w in items if not w.endswith("*")}, tuple(
        w[:-1] for w in items if w.endswith("*")
    )


_POSITIVE = {language: _stems(words) for language, words in POSITIVE.items()}
_NEGATIVE = {language: _stems(words) for language, words in NEGATIVE.items()}


def _matches(token: str, lexicon: tuple[set[str], tuple[str, ...]]) -> bool:
    words, stems = lexicon
    return token in words or token.startswith(stems)


class LexiconAnalyzer:
    def analyze(self, text: str, *, fallback_language: str) -> Analysis:
        language = detect_language(text, fallback_language=fallback_language)
        lexicon_language = language if language in POSITIVE else "en"
        lowered = " ".join(text.casefold().split())
        tokens = _TOKEN.findall(lowered)
        score = self._sentiment(lowered, tokens, text, lexicon_language)
        normalized = score / math.sqrt(score * score + 4) if score else 0.0
        sentiment = (
            "positive" if normalized >= 0.3 else "negative" if normalized <= -0.3 else "neutral"
        )
        is_spam = self._is_spam(lowered)
        return Analysis(
            language=language,
            sentiment=sentiment,
            sentiment_score=round(normalized, 3),
            needs_reply=self._needs_reply(
                lowered, tokens, text, lexicon_language, sentiment, is_spam
            ),
            is_spam=is_spam,
            is_abusive=any(token in ABUSE_WORDS for token in tokens),
        )

    def _sentiment(self, lowered: str, tokens: list[str], text: str, language: str) -> float:
        score = _phrase_score(lowered, language) + _word_score(tokens, language)
        score += _emoji_score(text)
        if score and text.count("!") >= 2:
            score *= 1.2
        return score

    def _needs_reply(
        self,
        lowered: str,
        tokens: list[str],
        text: str,
        language: str,
        sentiment: str,
        is_spam: bool,
    ) -> bool:
        words = [t for t in tokens if not t.isdigit()]
        without_mentions = _MENTION.sub("", lowered).strip()
        tags_friends = (
            bool(_MENTION.search(lowered))
            and len(_TOKEN.findall(without_mentions)) <= 3
            and "?" not in text
        )
        if is_spam or not words or tags_friends:
            return False  # spam, emoji only, or friends tagging friends
        asks = "?" in text or (words[0] in QUESTION_WORDS[language] and len(words) > 2)
        requests = any(token in REQUEST_WORDS for token in tokens)
        return asks or requests or sentiment == "negative"

    def _is_spam(self, lowered: str) -> bool:
        cues = sum(cue in lowered for cue in SPAM_CUES)
        links = len(_URL.findall(lowered))
        return cues >= 2 or (cues >= 1 and links >= 1) or links >= 3


def _phrase_score(lowered: str, language: str) -> float:
    phrases = NEGATIVE_PHRASES[language] + (NEGATIVE_PHRASES["en"] if language != "en" else [])
    return -1.5 * sum(phrase in lowered for phrase in phrases)


def _emoji_score(text: str) -> float:
    # The emoji tokenizer walks the text a character at a time in Python, which for German,
    # Polish and Russian (never ASCII) was a third of the analysis; a text with none of the
    # symbols that score cannot score.
    if not _SCORED_EMOJI.search(text):
        return 0.0
    score = 0.0
    for found in emoji.emoji_list(text):
        symbol = found["emoji"][0]
        if symbol in POSITIVE_EMOJI:
            score += 0.8
        elif symbol in NEGATIVE_EMOJI:
            score -= 0.8
    return score


def _word_score(tokens: list[str], language: str) -> float:
    """Word polarities; a negation flips the next three words, an intensifier weighs the
    next one more."""
    score = 0.0
    negate_for = 0
    boost = 1.0
    for token in tokens:
        if token in NEGATIONS[language] or token in NEGATIONS["en"]:
            negate_for = 3
            continue
        polarity = 0.0
        if _matches(token, _POSITIVE[language]):
            polarity = 1.0
        elif _matches(token, _NEGATIVE[language]):
            polarity = -1.0
        if token in INTENSIFIERS:
            boost = 1.5
            continue
        if polarity:
            if negate_for:
                polarity = -polarity * 0.8
            score += polarity * boost
            boost = 1.0
        negate_for = max(0, negate_for - 1)
    return score
