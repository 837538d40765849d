"""Ranks among peers (排名): the one rule of the appraisals and the unit assessment."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

T = TypeVar("T")


def competition_ranks(ordered: Iterable[T], key: Callable[[T], Hashable]) -> list[int]:
    """The rank of each item of a list already sorted best first: items with equal keys share
    a rank and the next rank counts them (standard competition ranking, 1, 2, 2, 4): two
    stations at 77.78 are both 13th, the next is 15th."""
    ranks: list[int] = []
    previous: object = object()
    rank = 0
    for position, item in enumerate(ordered, 1):
        value = key(item)
        if value != previous:
            rank, previous = position, value
        ranks.append(rank)
    return ranks
