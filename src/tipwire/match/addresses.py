"""Parse a page of IP address strings into integers, dotted quads vectorised with numpy.

An address is valid when ``ipaddress.ip_address(text.strip())`` accepts it. IPv4-mapped
IPv6 addresses (``::ffff:203.0.113.7``) come back as the IPv4 address they carry.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from itertools import product

import numpy as np
import numpy.typing as npt

# Pages are cut into chunks that keep numpy's temporaries inside the CPU cache.
CHUNK_SIZE = 16384
_PTON6_CHUNK_SIZE = 256

_NEWLINE, _DOT, _ZERO = 10, 46, 48
_LEAD = b"\0\0\0"  # lets every field reach three bytes back without a bounds check
_TAIL = b"\0" * 32  # lets every 16-bit window read whole bytes past the end
_MAPPED_HIGH_BITS = np.uint64(0xFFFF)
_LOW_32 = np.uint64(0xFFFFFFFF)
_pton6 = partial(socket.inet_pton, socket.AF_INET6)


@dataclass(frozen=True, slots=True)
class _Forms:
    """Tables for the 81 forms of a dotted quad (each of its four fields is 1-3 digits long).

    The form fixes where the dots are and where each field ends, so two table look-ups
    per address replace character-by-character parsing.
    """

    layout_of_dots: npt.NDArray[np.uint8]  # 16-bit dot pattern -> dots of a quad (0: none)
    form_of: npt.NDArray[np.uint8]  # dot layout * 17 + length -> form (0: not a quad)
    hundreds_columns: npt.NDArray[np.void]  # form -> 4 intp: end of each field minus 3
    tens: npt.NDArray[np.uint64]  # form -> 4 uint16: weight of each field's tens digit
    hundreds: npt.NDArray[np.uint64]  # form -> 4 uint16: weight of each field's hundreds digit
    minimums: npt.NDArray[np.uint64]  # form -> 4 uint16: below this a field has a leading zero


def _tabulate_forms() -> _Forms:
    """Enumerate every form of a dotted quad."""
    layout_of_dots = np.zeros(1 << 16, dtype=np.uint8)
    form_of = np.zeros((28, 17), dtype=np.uint8)
    ends, tens, hundreds, minimums = [[0] * 4], [[0] * 4], [[0] * 4], [[0] * 4]
    for layout, (first, second, third) in enumerate(product(range(1, 4), repeat=3), start=1):
        dots = [first, first + 1 + second, first + 2 + second + third]
        layout_of_dots[sum(1 << column for column in dots)] = layout
        for fourth in range(1, 4):
            length = dots[2] + 1 + fourth
            form_of[layout, length] = len(ends)
            digits = (first, second, third, fourth)
            ends.append([*dots, length])
            tens.append([10 if count >= 2 else 0 for count in digits])
            hundreds.append([100 if count >= 3 else 0 for count in digits])
            minimums.append([(0, 10, 100)[count - 1] for count in digits])
    # Four values per form are stored as one wide item so that a plain 1-D gather fetches them.
    return _Forms(
        layout_of_dots=layout_of_dots,
        form_of=form_of.ravel(),
        hundreds_columns=_rows_as_items(np.array(ends, dtype=np.intp) - 3),
        tens=np.array(tens, dtype=np.uint16).view(np.uint64).ravel(),
        hundreds=np.array(hundreds, dtype=np.uint16).view(np.uint64).ravel(),
        minimums=np.array(minimums, dtype=np.uint16).view(np.uint64).ravel(),
    )


def _rows_as_items(table: npt.NDArray[np.intp]) -> npt.NDArray[np.void]:
    """View each row of a 2-D table as one opaque item."""
    return table.view(np.dtype((np.void, table.shape[1] * table.itemsize))).ravel()


_FORMS = _tabulate_forms()
_ALL_FIELDS_FIT = np.frombuffer(b"\1\1\1\1", dtype=np.uint32)[0]
_WINDOW_MASKS = ((1 << np.arange(17)) - 1).astype(np.uint32)


@dataclass(frozen=True, slots=True)
class ParsedAddresses:
    """A page of addresses as integers, split by family, with the positions they came from.

    ``invalid`` lists, in ascending order, the positions of items that are not addresses.
    """

    v4_positions: npt.NDArray[np.intp]
    v4_values: npt.NDArray[np.uint32]
    v6_positions: npt.NDArray[np.intp]
    v6_high: npt.NDArray[np.uint64]
    v6_low: npt.NDArray[np.uint64]
    invalid: npt.NDArray[np.intp]


def parse_addresses(addresses: Sequence[object]) -> ParsedAddresses:
    """Parse every address of a page; items that are not valid addresses are listed as invalid."""
    items = addresses if isinstance(addresses, list) else list(addresses)
    quad_values, is_quad = _dotted_quads(items)
    others = np.flatnonzero(~is_quad)
    family, high, low = _parse_others([items[position] for position in others.tolist()])
    mapped = (family == 6) & (high == 0) & ((low >> np.uint64(32)) == _MAPPED_HIGH_BITS)
    family[mapped] = 4
    is_v4 = family == 4
    is_v6 = family == 6
    return ParsedAddresses(
        v4_positions=np.concatenate([np.flatnonzero(is_quad), others[is_v4]]),
        v4_values=np.concatenate([quad_values[is_quad], (low[is_v4] & _LOW_32).astype(np.uint32)]),
        v6_positions=others[is_v6],
        v6_high=high[is_v6],
        v6_low=low[is_v6],
        invalid=others[family == 0],
    )


def _dotted_quads(
    items: list[object],
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.bool_]]:
    """Parse the items that are plain dotted quads: each item's value, and whether it was one."""
    values = np.zeros(len(items), dtype=np.uint32)
    is_quad = np.zeros(len(items), dtype=np.bool_)
    for first in range(0, len(items), CHUNK_SIZE):
        rows = slice(first, first + CHUNK_SIZE)
        values[rows], is_quad[rows] = _dotted_quad_chunk(_joined(items[rows]))
    return values, is_quad


def _joined(
    chunk: list[object],
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Join a chunk into bytes, one item a line: the bytes, and each item's start and length."""
    try:
        text = "\n".join(chunk)  # type: ignore[arg-type]  # a non-string raises: handled below
    except TypeError:
        return _joined(_blank_unjoinable(chunk))
    # "replace" keeps one byte per character, so offsets in the bytes are offsets in the text.
    raw = np.frombuffer(_LEAD + text.encode("ascii", "replace") + _TAIL, dtype=np.uint8)
    text_end = len(raw) - len(_TAIL)
    newlines = np.flatnonzero(raw[:text_end] == _NEWLINE)
    if len(newlines) != len(chunk) - 1:  # an item holds a newline itself
        return _joined(_blank_unjoinable(chunk))
    starts = np.empty(len(chunk), dtype=np.intp)
    starts[0] = len(_LEAD)
    starts[1:] = newlines + 1
    lengths = np.empty(len(chunk), dtype=np.intp)
    lengths[:-1] = newlines
    lengths[-1] = text_end
    lengths -= starts
    return raw, starts, lengths


def _dotted_quad_chunk(
    joined: tuple[npt.NDArray[np.uint8], npt.NDArray[np.intp], npt.NDArray[np.intp]],
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.bool_]]:
    """Parse each item of a joined chunk as a dotted quad: value, and whether it was one."""
    raw, starts, lengths = joined
    capped = np.minimum(lengths, 16)
    dots = _windows(np.packbits(raw == _DOT, bitorder="little"), starts) & _WINDOW_MASKS[capped]
    layout = _FORMS.layout_of_dots[dots].astype(np.intp)
    form = _FORMS.form_of[layout * 17 + capped]

    shape = (len(starts), 4)
    # Where each field's hundreds digit would be: its tens and units digits follow.
    at = _FORMS.hundreds_columns[form].view(np.intp).reshape(shape) + starts[:, None]
    digits = _digits(raw)
    number = digits[2:][at]
    number += digits[1:-1][at] * _FORMS.tens[form].view(np.uint16).reshape(shape)
    number += digits[:-2][at] * _FORMS.hundreds[form].view(np.uint16).reshape(shape)
    minimum = _FORMS.minimums[form].view(np.uint16).reshape(shape)
    fits = (number >= minimum) & (number <= 255)
    is_quad = (form != 0) & (fits.view(np.uint32).ravel() == _ALL_FIELDS_FIT)
    # Four fields of one byte each, most significant first: a big-endian 32-bit value.
    value = number.astype(np.uint8).view(">u4").ravel().astype(np.uint32)
    return value, is_quad


def _blank_unjoinable(items: list[object]) -> list[object]:
    """Blank out non-strings and strings holding a newline; they are parsed one by one later."""
    return [item if isinstance(item, str) and "\n" not in item else "" for item in items]


def _windows(bits: npt.NDArray[np.uint8], starts: npt.NDArray[np.intp]) -> npt.NDArray[np.uint32]:
    """Read the (at least) 16 bits that follow each bit offset in a little-endian bit string."""
    byte = starts >> 3
    word = (
        bits[byte].astype(np.uint32)
        | (bits[byte + 1].astype(np.uint32) << np.uint32(8))
        | (bits[byte + 2].astype(np.uint32) << np.uint32(16))
    )
    window: npt.NDArray[np.uint32] = word >> (starts & 7).astype(np.uint32)
    return window


def _digits(raw: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint16]:
    """Each byte's digit value, or 256 or more for a byte that is not a digit.

    A field holding a non-digit then adds up past 255 and is rejected with the rest.
    """
    offset = raw - np.uint8(_ZERO)
    not_digit = (offset > 9).view(np.uint8).astype(np.uint16)
    return offset.astype(np.uint16) | (not_digit << np.uint16(8))


def _parse_others(
    texts: list[object],
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """Parse what is not a plain dotted quad: family (0 = invalid, 4, 6) and value halves."""
    family = np.zeros(len(texts), dtype=np.uint8)
    halves = np.zeros((len(texts), 2), dtype=np.uint64)
    for start in range(0, len(texts), _PTON6_CHUNK_SIZE):
        part = texts[start : start + _PTON6_CHUNK_SIZE]
        stop = start + len(part)
        try:
            packed = b"".join(map(_pton6, part))  # a non-string raises TypeError: caught
        except (OSError, TypeError, ValueError):
            for position, text in enumerate(part, start):
                family[position], halves[position] = _parse_one(text)
        else:
            family[start:stop] = 6
            halves[start:stop] = np.frombuffer(packed, dtype=">u8").reshape(-1, 2)
    return family, halves[:, 0], halves[:, 1]


def _parse_one(text: object) -> tuple[int, tuple[int, int]]:
    """Parse one address the lenient, slow way: family (0 if invalid) and value halves."""
    if not isinstance(text, str):
        return 0, (0, 0)
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return 0, (0, 0)
    value = int(address)
    return address.version, (value >> 64, value & 0xFFFFFFFFFFFFFFFF)
