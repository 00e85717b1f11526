"""The request text as the offline planner reads it: phrases are claimed, what is left is reported.

Every extractor claims the characters its phrase covers. Claimed characters are masked out of the
text the next extractor searches, so one phrase is never read twice ("daily" in "daily total amount"
is not also a schedule) and whatever no extractor claimed can be reported as not understood.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_MASK = "\x00"
_WORD = re.compile(r"[A-Za-z0-9_@.%'\"+:-]+")
#: What separates two leftover words into two phrases: a claimed span or punctuation between them.
_BREAK = re.compile(r"[\x00,;!?()]")


def word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of `text` (keeps long word lists readable)."""
    return frozenset(text.split())


#: Words that carry no intent of their own; they are not reported as "not understood".
FILLER = word_set(
    """
    a an the this that these those it its them they their there here
    i me my we us our you your please can could would should will shall want need like let lets
    to into from in of for on at with and then also as so be is are was were been being do does
    all any each every some just table tables data row rows record records
    fresh load loads loading copy copies copying move moving transfer transferring replicate replicating
    send push pull put get take bring export import ingest land write store save keep
    compute calculate aggregate summarise summarize build create make set up run runs job pipeline dag
    database db schema connection
    """
)
#: Leftover words that restrict what is loaded: a plan that ignored them would load something else
#: than what was asked, so planning stops instead.
RESTRICTING = word_set("where only except excluding unless without filter filtered whose join joined joining")
#: Leftover words of a quality rule: a plan without the rule would check less than was asked.
CHECKING = word_set(
    "unique uniqueness duplicate duplicates duplicated null nulls blank freshness stale "
    "fail fails alert check checks verify ensure validate"
)
#: Leftover words asking for destruction, which the offline planner never plans.
DESTRUCTIVE = word_set("drop delete truncate remove purge alter")


class RequestText:
    """The request, with the spans extractors have claimed."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._masked = text

    @property
    def masked(self) -> str:
        """The text with claimed characters masked out (same length and positions as `text`)."""
        return self._masked

    def finditer(self, pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
        """Matches of `pattern` in the text not yet claimed (claimed spans are masked out)."""
        return pattern.finditer(self._masked)

    def claim(self, start: int, end: int) -> None:
        self._masked = self._masked[:start] + _MASK * (end - start) + self._masked[end:]

    def claim_all(self, pattern: re.Pattern[str]) -> list[re.Match[str]]:
        """Claim every unclaimed match of `pattern`; the matches, in order."""
        matches = list(self.finditer(pattern))
        for match in matches:
            self.claim(*match.span())
        return matches

    def leftover_phrases(self) -> list[str]:
        """Unclaimed non-filler words, adjacent ones joined into phrases, in request order."""
        phrases: list[str] = []
        current: list[str] = []
        last_end = 0
        for match in _WORD.finditer(self._masked):
            word = match.group().strip(".,:;'\"-")
            gap = self._masked[last_end : match.start()]
            if current and (_BREAK.search(gap) or not word or word.lower() in FILLER):
                phrases.append(" ".join(current))
                current = []
            last_end = match.end()
            if word and word.lower() not in FILLER:
                current.append(word)
        if current:
            phrases.append(" ".join(current))
        return phrases
