"""One SMS to an applicant, as plain data: what notify.py builds, runner.py delivers and
providers.py sends (its own module, so that none of those three imports another in a circle)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal, cast, get_args

Kind = Literal["ahead", "called", "case_ready", "appointment_reminder"]
KINDS: frozenset[str] = frozenset(get_args(Kind))
KEY_MAX = 200
TEXT_MAX = 500


@dataclass(frozen=True)
class Notification:
    """One SMS. ``key`` names the message itself (``called:<ticket id>``): a key is sent at most once."""

    kind: Kind
    hall: str
    to_phone: str
    text: str
    key: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {sorted(KINDS)}, not {self.kind!r}")
        if not self.key or len(self.key) > KEY_MAX:
            raise ValueError(f"key must be 1 to {KEY_MAX} characters")
        if not self.text or len(self.text) > TEXT_MAX:
            raise ValueError(f"text must be 1 to {TEXT_MAX} characters")
        if not self.hall or not self.to_phone.strip():
            raise ValueError("hall and to_phone are required")

    def to_dict(self) -> dict[str, str]:
        """Plain data for the job queue (rq pickles the job's arguments)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Notification:
        return cls(cast(Kind, str(data["kind"])), str(data["hall"]), str(data["to_phone"]), str(data["text"]),
                   str(data["key"]))
