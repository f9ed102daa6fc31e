"""The report reader gives the csv module's rows, with each row's first line, however quoted."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tipwire.providers.shadowserver.reader import ReportReader

HEADER = ["timestamp", "src_ip", "http_agent", "http_url"]
ROWS = [
    ["2024-05-01 00:00:01", "198.51.100.1", "Mozilla/5.0 (KHTML, like Gecko)", "/a"],
    ["2024-05-01 00:00:02", "198.51.100.2", 'say "hi"', "GET /b HTTP/1.1"],
    ["2024-05-01 00:00:03", "198.51.100.3", "two\nlines", ""],
    ["2024-05-01 00:00:04", "198.51.100.4", "plain", "/d"],
    ["2024-05-01 00:00:05", "198.51.100.5", "", "0"],
]


def expected(text: str) -> list[tuple[int, list[str]]]:
    """What the csv module reads, each row with the line it starts on."""
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader)
    found = []
    line = reader.line_num + 1
    for row in reader:
        if row:
            found.append((line, row))
        line = reader.line_num + 1
    return found


@pytest.mark.parametrize("quoting", [csv.QUOTE_ALL, csv.QUOTE_MINIMAL])
@pytest.mark.parametrize("terminator", ["\n", "\r\n"])
@pytest.mark.parametrize("chunk", [1, 2, 3, 50])
def test_rows_and_lines_match_the_csv_module(
    tmp_path: Path, quoting: int, terminator: str, chunk: int
) -> None:
    out = io.StringIO(newline="")
    writer = csv.writer(out, quoting=quoting, lineterminator=terminator)
    writer.writerow(HEADER)
    writer.writerows(ROWS[:3])
    out.write(terminator)  # a blank line is no row
    writer.writerows(ROWS[3:])
    text = out.getvalue()
    path = tmp_path / "report.csv"
    path.write_bytes(("\ufeff" + text).encode())  # with a byte-order mark, as Excel saves
    with ReportReader(path) as reader:
        assert reader.header == HEADER
        got = []
        for part in reader.chunks(chunk):
            assert not part.malformed
            ips = part.column(1)
            agents = part.column(2)
            urls = part.column(3)
            for position in range(len(part)):
                row = part.row(position)
                assert [ips[position], agents[position], urls[position]] == row[1:]
                got.append((part.lines[position], row))
    assert got == expected(text)


def test_rows_of_the_wrong_width_are_listed_by_line(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    path.write_text('"a","b","c"\n"1","2","3"\n"1","2"\n1,2,3,4\n"x","y","z"\n')
    with ReportReader(path) as reader:
        (part,) = reader.chunks()
    assert part.lines == [2, 5]
    assert part.malformed == [
        (3, "has 2 fields, the header has 3"),
        (4, "has 4 fields, the header has 3"),
    ]
