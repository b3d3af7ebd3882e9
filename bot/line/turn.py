"""A turn: one inbound message as the line's features see it (its organization, what we know of the
sender) and the outcome they fill in (replies, contact changes). The engine makes one per message;
the drainer makes one to finish a form saved while the database was away."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from bot.line.outcome import Outcome
from bot.line.replies import finish
from bot.line.store import ContactView
from bot.messages import Inbound


@dataclass
class Turn:
    """What `handle` may look at: the message, its organization and what we know of the sender."""

    inbound: Inbound
    org: object  # content.Organization
    contact: ContactView | None
    services: object
    outcome: Outcome = field(default_factory=Outcome)

    @property
    def lang(self) -> str:
        changed = self.outcome.contact_changes.get("language")
        return changed or (self.contact.language if self.contact else None) or self.org.default_language

    @property
    def channel(self) -> str:
        return self.inbound.channel

    def for_reader(self, lang: str, channel: str = "sms") -> "Turn":
        """This turn as seen by another reader: the same answers rendered in `lang` for `channel`
        (an organizer's change told to members in each of the organization's languages)."""
        return Turn(replace(self.inbound, channel=channel), self.org, None, self.services,
                    Outcome(contact_changes={"language": lang}))

    def text(self, key: str, lang: str | None = None, **vars) -> str:
        return self.services.catalog.text(self.org.slug, key, lang or self.lang, self.channel, **vars)

    def say(self, key: str, lang: str | None = None, **vars) -> None:
        self.outcome.replies.append(finish(self.text(key, lang, **vars), self.channel))

    def say_text(self, text: str) -> None:
        """An answer composed from several content texts (a status line, a numbered list)."""
        self.outcome.replies.append(finish(text, self.channel))

    def say_either(self, first: tuple[str, dict], then: tuple[str, dict]) -> None:
        """Both texts in one message when that still fits one SMS; otherwise only the first."""
        a, b = self.text(first[0], **first[1]), self.text(then[0], **then[1])
        both = finish(f"{a}\n{b}" if self.channel == "whatsapp" else f"{a} {b}", self.channel)
        self.outcome.replies.append(both if self.channel == "whatsapp" or both.segments == 1
                                    else finish(a, self.channel))
