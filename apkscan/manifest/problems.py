"""What the manifest readers tolerated, and the error for what Android would refuse.

A tolerated problem is rendered ``"CODE: message"`` into ``AppFacts.manifest_problems`` so that
the manifest_integrity analyzer can turn each into a finding with the code as evidence.
"""
from __future__ import annotations

from dataclasses import dataclass

# ManifestError codes
MANIFEST_MISSING = "MANIFEST_MISSING"  # no AndroidManifest.xml entry
MANIFEST_REJECTED = "MANIFEST_REJECTED"  # Android's parser would refuse it: the APK cannot be installed
LIMIT_EXCEEDED = "LIMIT_EXCEEDED"  # the archive refused to inflate it within the scan limits


class ManifestError(Exception):
    """No usable manifest. ``code`` is one of the constants above; ``message`` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class BinaryXmlRejected(ValueError):
    """Android's ResXMLTree / XmlBlock would refuse this binary XML."""


@dataclass(frozen=True)
class Problem:
    code: str  # AXML_* (binary XML), ARSC_* (resource table), MANIFEST_* (manifest semantics)
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def split_problem(text: str) -> tuple[str, str]:
    """Inverse of ``str(Problem)``: ``("AXML_UNKNOWN_CHUNK", "chunk type ...")``."""
    code, sep, message = text.partition(": ")
    if not sep or not code.replace("_", "").isalnum() or not code.isupper():
        return "MANIFEST_PROBLEM", text
    return code, message


class ProblemLog:
    """Collects problems, at most ``limit`` of each code (hostile files repeat the same trick)."""

    def __init__(self, limit: int = 20) -> None:
        self.limit = limit
        self.items: list[Problem] = []
        self._counts: dict[str, int] = {}

    def full(self, code: str) -> bool:
        """True once ``code`` needs no more messages (lets hot loops skip formatting them)."""
        return self._counts.get(code, 0) > self.limit

    def add(self, code: str, message: str) -> None:
        n = self._counts.get(code, 0) + 1
        self._counts[code] = n
        if n <= self.limit:
            self.items.append(Problem(code, message))
        elif n == self.limit + 1:
            self.items.append(Problem(code, f"more {code} problems not listed"))

    def extend(self, other: ProblemLog) -> None:
        for p in other.items:
            self.add(p.code, p.message)

    def rendered(self) -> tuple[str, ...]:
        return tuple(str(p) for p in self.items)
