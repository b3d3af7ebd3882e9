"""Pure-python text folding and small keyword entity extractors shared by the Rasa client and the fallback.

Nothing here needs Rasa or scikit-learn. ``fold`` keeps the length of the text (one output character per
input character) so offsets found in the folded text are offsets in the original message.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_DEVANAGARI = "\u0900-\u097f"
# A "word character" for boundaries: \w plus Devanagari vowel signs and viramas (which \w misses).
_B_BEFORE = rf"(?<![\w{_DEVANAGARI}])"
_B_AFTER = rf"(?![\w{_DEVANAGARI}])"


def _fold_char(ch: str) -> str:
    if ch.isascii():
        return ch.lower()
    if ch in "’‘`´ʼ":
        return " "
    decomposed = unicodedata.normalize("NFD", ch)
    base = decomposed[0]
    if base.isascii() and base.isalpha():
        return base.lower()  # é -> e, ñ -> n, ç -> c
    low = ch.lower()
    return low if len(low) == 1 else ch


class _FoldTable(dict):
    """``str.translate`` table: each character is folded once (``_fold_char``), then remembered."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        folded = " " if ch == "'" else _fold_char(ch)
        if len(self) < 20000:  # bounded: random unicode must not grow it forever
            self[code] = folded
        return folded


_FOLD_TABLE = _FoldTable()


@lru_cache(maxsize=16384)
def fold(text: str) -> str:
    """Lower-case, strip Latin accents and turn apostrophes into spaces; same length as ``text``.

    The client, the gazetteer, the keyword extractors and the bot fold every message, often the same
    strings again (keyword tables, place names): cached, with an ASCII fast path."""
    if text.isascii():
        return text.lower().replace("'", " ")
    return text.translate(_FOLD_TABLE)


_PUNCT = re.compile(rf"[^\w{_DEVANAGARI}]+")


@lru_cache(maxsize=16384)
def normalize(text: str) -> str:
    """Cache/lookup key: folded, punctuation removed, whitespace collapsed."""
    return " ".join(_PUNCT.sub(" ", fold(text)).split())


@dataclass(frozen=True)
class Span:
    type: str
    value: str  # canonical value (e.g. "tomorrow", "fire")
    text: str  # as written
    start: int
    end: int


# canonical -> words (folded). Multi-word phrases allowed.
DATE_WORDS: dict[str, list[str]] = {
    "today": ["today", "2day", "tday", "leo", "sa hii", "hoy", "aujourd hui", "aujourdhui", "auj", "ajd",
              "aaj", "आज", "this morning", "asubuhi", "esta manana", "ce matin", "tonight", "usiku wa leo"],
    "tomorrow": ["tomorrow", "tmrw", "tmr", "2moro", "2morrow", "tomoro", "kesho", "manana", "mnn", "mñn",
                 "demain", "dm", "2m1", "kal", "कल"],
    "day_after_tomorrow": ["day after tomorrow", "kesho kutwa", "pasado manana", "apres demain",
                           "apres-demain", "parso", "परसों"],
    "yesterday": ["yesterday", "jana", "ayer", "hier", "anoche", "last night"],
    "this_week": ["this week", "wiki hii", "esta semana", "cette semaine", "is hafte", "इस हफ्ते"],
    "weekend": ["weekend", "wikendi", "fin de semana", "finde", "week end", "weekend ko"],
    "monday": ["monday", "mon", "jumatatu", "lunes", "lundi", "somvar", "somwar", "सोमवार"],
    "tuesday": ["tuesday", "tue", "jumanne", "martes", "mardi", "mangalvar", "mangalwar", "मंगलवार"],
    "wednesday": ["wednesday", "wed", "jumatano", "miercoles", "mercredi", "budhvar", "budhwar", "बुधवार"],
    "thursday": ["thursday", "thu", "alhamisi", "jueves", "jeudi", "guruvar", "guruwar", "गुरुवार"],
    "friday": ["friday", "fri", "ijumaa", "viernes", "vendredi", "shukravar", "shukrawar", "शुक्रवार"],
    "saturday": ["saturday", "sat", "jumamosi", "sabado", "samedi", "shanivar", "shaniwar", "शनिवार"],
    "sunday": ["sunday", "sun", "jumapili", "domingo", "dimanche", "ravivar", "raviwar", "रविवार"],
    "holiday": ["holiday", "public holiday", "sikukuu", "feriado", "jour ferie", "chutti", "छुट्टी"],
}

INCIDENT_WORDS: dict[str, list[str]] = {
    "eviction": ["evicted", "eviction", "evict", "chased away", "kicked out", "wamefukuzwa", "tumefukuzwa",
                 "kufukuzwa", "ametufukuza", "wanafukuza", "desalojo", "desalojaron", "desalojar", "nos echaron",
                 "nos corrieron", "deguerpis", "deguerpissement", "deguerpir", "chasses", "bhaga diya",
                 "bhaga dete", "भगा दिया", "nikal diya", "निकाल दिया"],
    "confiscation": ["confiscated", "confiscation", "took my goods", "took my stock", "took my cart",
                     "wamechukua", "wamenyang anya", "wamebeba", "decomisaron", "decomiso", "me sacaron",
                     "se llevaron", "saisi", "confisque", "confisquee", "ont pris", "jabt", "जब्त", "utha li",
                     "उठा ली", "le liya", "ले लिया", "le gaye", "ले गए"],
    "harassment": ["harassed", "harassment", "beat me", "slapped", "insulted", "kunisumbua", "wamenipiga",
                   "amenitusi", "me pego", "me insulto", "frappe", "insulte", "bouscule", "mujhe mara",
                   "मुझे मारा", "gaali", "गाली", "dhakka", "धक्का"],
    "bribe": ["bribe", "hongo", "kitu kidogo", "coima", "pot de vin", "pots de vin", "rishwat", "रिश्वत"],
    "fire": ["fire", "burnt", "burned", "moto", "imeungua", "kimechomwa", "incendio", "fuego", "se quemo",
             "incendie", "feu", "brule", "aag", "आग", "jal gaya", "जल गया"],
    "flood": ["flood", "floods", "flooded", "mafuriko", "imefurika", "inundacion", "se inundo", "inonde",
              "inondation", "baadh", "बाढ़", "doob gaya", "डूब गया"],
    "demolition": ["demolished", "demolition", "bulldozer", "bulldozers", "wamebomoa", "imebomolewa",
                   "ubomoaji", "tinga tinga", "tiraron abajo", "demolieron", "casse", "detruit", "tod di",
                   "tod diye", "तोड़ दीं", "तोड़ दिए", "बुलडोजर"],
    "waste_not_collected": ["not collected", "garbage not", "haijaokotwa", "haijachukuliwa",
                            "no recogen", "no pasa el camion", "pas ramassees", "pas de collecte",
                            "kachra nahi uthaya", "कचरा नहीं उठाया", "kachra gadi nahi"],
    "dumpsite_blocked": ["gate is locked", "blocked us", "wametuzuia", "limefungwa", "no nos dejan entrar",
                         "no nos dejan pasar", "bloquent", "ferme le portail", "gate band", "गेट बंद"],
    "unpaid_recyclables": ["did not pay", "didnt pay", "refused to pay", "hakunilipa", "hawajanilipa",
                           "no me pago", "no me pagaron", "pas paye", "paise nahi diye", "पैसे नहीं दिए",
                           "paisa nahi diya"],
    "injury": ["injured", "injury", "hurt", "cut my hand", "nimeumia", "nimejikata", "me lastime",
               "me corte", "blesse", "coupe", "chot", "चोट", "haath kat", "हाथ कट", "atropello", "renverse",
               "hit a picker", "takkar"],
    "theft": ["stolen", "stole", "zimeibiwa", "ameiba", "wameiba", "me robaron", "robaron", "vole",
              "voleurs", "chori", "चोरी"],
    "arrest": ["arrested", "wamemkamata", "amekamatwa", "detuvieron", "arrete", "pakad liya", "पकड़ लिया"],
}

TRADE_WORDS: dict[str, list[str]] = {
    "vegetables": ["vegetables", "veg", "sukuma", "mboga", "verduras", "verdura", "legumes", "sabzi", "sabji",
                   "सब्जी"],
    "fruit": ["fruit", "fruits", "matunda", "frutas", "fruta", "phal", "फल"],
    "fish": ["fish", "samaki", "pescado", "poisson", "machhi", "मछली"],
    "clothes": ["clothes", "mitumba", "ropa", "friperie", "tissu", "habits", "kapde", "कपड़े"],
    "food": ["chapati", "food kiosk", "mandazi", "tortas fritas", "fataya", "vada pav", "chai"],
    "recyclables": ["recycler", "recyclables", "plastic", "plastique", "plastico", "carton", "scrap", "chuma",
                    "ferraille", "bhangar", "kabadi", "kabadiwala", "raddi", "भंगार"],
}


@lru_cache(maxsize=None)
def _pattern(table_key: str) -> tuple[re.Pattern[str], dict[str, str]]:
    table = {"date": DATE_WORDS, "incident_type": INCIDENT_WORDS, "trade": TRADE_WORDS}[table_key]
    canon: dict[str, str] = {}
    for value, words in table.items():
        for w in words:
            canon.setdefault(fold(w), value)
    alternatives = sorted(canon, key=len, reverse=True)  # longest first
    body = "|".join(re.escape(a).replace(r"\ ", r"\s+") for a in alternatives)
    return re.compile(f"{_B_BEFORE}(?:{body}){_B_AFTER}"), canon


_PAST_HINTS = re.compile(
    rf"{_B_BEFORE}(?:tha|thi|the|gaya|gayi|gaye|liya|li|diya|di|diye|hua|hui|था|थी|थे|गया|गई|गए|लिया|दिया|हुआ)"
    rf"{_B_AFTER}")


def extract(text: str, kinds: tuple[str, ...] = ("date", "incident_type", "trade")) -> list[Span]:
    """Keyword entities (dates, incident types, trades) with offsets into ``text``."""
    folded = fold(text)
    spans: list[Span] = []
    for kind in kinds:
        pattern, canon = _pattern(kind)
        for m in pattern.finditer(folded):
            key = " ".join(m.group(0).split())
            value = canon.get(key, key)
            if kind == "date" and key in ("kal", "कल") and _PAST_HINTS.search(folded):
                value = "yesterday"  # Hindi "kal" is both; past tense means yesterday
            spans.append(Span(kind, value, text[m.start():m.end()], m.start(), m.end()))
    return spans


def extract_dates(text: str) -> list[Span]:
    return extract(text, ("date",))


def canonical(kind: str, value: str) -> str | None:
    """Canonical value for a word Rasa extracted (e.g. incident_type "moto" -> "fire"); None if unknown."""
    if kind not in ("date", "incident_type", "trade"):
        return None
    _, canon = _pattern(kind)
    key = " ".join(fold(value).split())
    if key in canon:
        return canon[key]
    found = extract(value, (kind,))
    return found[0].value if found else None


def lookup_words(kind: str) -> dict[str, list[str]]:
    return {"date": DATE_WORDS, "incident_type": INCIDENT_WORDS, "trade": TRADE_WORDS}[kind]
