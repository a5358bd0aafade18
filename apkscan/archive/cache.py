"""Bounded LRU of inflated small entries (manifest, resources.arsc...), so each is inflated once."""
from __future__ import annotations

from collections import OrderedDict


class EntryCache:
    def __init__(self, entry_max: int, total_max: int) -> None:
        self.entry_max = entry_max
        self.total_max = total_max
        self._items: OrderedDict[int, bytes] = OrderedDict()
        self._bytes = 0

    def get(self, key: int) -> bytes | None:
        data = self._items.get(key)
        if data is not None:
            self._items.move_to_end(key)
        return data

    def put(self, key: int, data: bytes) -> None:
        if len(data) > self.entry_max or len(data) > self.total_max or key in self._items:
            return
        self._items[key] = data
        self._bytes += len(data)
        while self._bytes > self.total_max:
            _, old = self._items.popitem(last=False)
            self._bytes -= len(old)

    def __len__(self) -> int:
        return len(self._items)

    @property
    def nbytes(self) -> int:
        return self._bytes

    def clear(self) -> None:
        self._items.clear()
        self._bytes = 0
