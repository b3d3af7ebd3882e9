"""The one typed result both NLU backends return."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

INTENTS = (
    "greet", "thanks", "help", "ask_relief", "ask_market_status", "ask_registration", "report_incident",
    "opt_out", "opt_in", "change_language", "affirm", "deny", "out_of_scope",
    # join: asks to become a member (starts the join form); report_request: asks to report without saying
    # what happened (starts the report form, the text is not a description). Issue 11.
    "join", "report_request",
)
ENTITY_TYPES = ("market", "place", "date", "incident_type", "trade")


@dataclass(frozen=True)
class Entity:
    type: str  # market | place | date | incident_type | trade
    value: str  # canonical: place id for market/place, "tomorrow", "fire", "vegetables" ...
    place_id: str | None
    start: int
    end: int
    text: str = ""  # as written in the message

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class NluResult:
    intent: str
    confidence: float
    ranking: list[tuple[str, float]] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    source: str = "none"  # rasa | fallback | none

    def to_dict(self) -> dict:
        return {
            "intent": self.intent,
            "confidence": self.confidence,
            "ranking": [[n, c] for n, c in self.ranking],
            "entities": [e.to_dict() for e in self.entities],
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "NluResult":
        return cls(
            intent=d["intent"],
            confidence=float(d["confidence"]),
            ranking=[(str(n), float(c)) for n, c in d.get("ranking", [])],
            entities=[Entity(**e) for e in d.get("entities", [])],
            source=d.get("source", "none"),
        )

    def entity(self, type_: str) -> Entity | None:
        return next((e for e in self.entities if e.type == type_), None)


NONE = NluResult("out_of_scope", 0.0, [], [], "none")
