"""The one reader of tabular files (apm/tabular.py): encodings named, delimiters sniffed, rows with their lines."""

from __future__ import annotations

import codecs

import pytest

from apm import tabular


def _write(tmp_path, data: bytes, name: str = "table.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("a;b\nÉté;1\n".encode(), "utf-8"),
        ("a;b\nÉté;1\n".encode("utf-8-sig"), "UTF-8 with BOM"),
        ("a;b\nÉté;1\n".encode("utf-16-le"), "utf_16"),  # no mark: charset-normalizer tells it from the bytes
        (codecs.BOM_UTF16_LE + "a;b\nÉté;1\n".encode("utf-16-le"), "UTF-16 with BOM"),
        (codecs.BOM_UTF16_BE + "a;b\nÉté;1\n".encode("utf-16-be"), "UTF-16 with BOM"),
        ("a;b\nÉté;1\n".encode("utf-32"), "UTF-32 with BOM"),
    ],
)
def test_it_names_the_encoding_a_byte_order_mark_or_the_bytes_give(tmp_path, data, encoding):
    table = tabular.read_table(_write(tmp_path, data))
    assert table.encoding.startswith(encoding)
    assert (table.header, table.rows[0].cells) == (["a", "b"], ["Été", "1"])


def test_it_takes_cp1252_only_when_the_bytes_say_so(tmp_path):
    text = "name;city;amount\nSociété Générale;Besançon;£12\nCafé Ñoño;Zürich;€5\n"
    table = tabular.read_table(_write(tmp_path, text.encode("cp1252")))
    assert table.encoding == "cp1252"
    assert table.rows[1].cells == ["Café Ñoño", "Zürich", "€5"]


def test_a_fallback_replaces_the_bytes_its_encoding_lacks(tmp_path):
    table = tabular.read_table(_write(tmp_path, b"a,b\n\xa3 and \x81,x\n"), fallback="cp1252")
    assert (table.encoding, table.rows[0].cells) == ("cp1252", ["£ and \ufffd", "x"])


def test_a_byte_order_mark_wins_over_the_encoding_given(tmp_path):
    table = tabular.read_table(_write(tmp_path, "a\nÉté\n".encode("utf-8-sig")), encoding="cp1252")
    assert (table.encoding, table.rows[0].cells) == ("UTF-8 with BOM", ["Été"])


def test_it_names_the_file_line_and_encoding_of_bytes_not_in_it(tmp_path):
    path = _write(tmp_path, b"a,b\nok,1\ncaf\xe9,2\n")
    with pytest.raises(tabular.TableError, match=rf"^{path}, line 3: not utf-8 \(invalid continuation byte"):
        tabular.read_table(path, encoding="utf-8")


def test_it_refuses_bytes_it_cannot_tell_the_encoding_of_and_unknown_encodings(tmp_path):
    path = _write(tmp_path, bytes(range(128, 256)) * 3)
    with pytest.raises(tabular.TableError, match="cannot tell the file's encoding; give one"):
        tabular.read_table(path)
    with pytest.raises(tabular.TableError, match="unknown encoding 'klingon'"):
        tabular.read_table(path, encoding="klingon")


@pytest.mark.parametrize(("line", "delimiter"), [("a,b,c", ","), ("a;b;c", ";"), ("a\tb\tc", "\t"), ("a|b|c", "|")])
def test_it_sniffs_the_delimiter_from_the_header_line(tmp_path, line, delimiter):
    table = tabular.read_table(_write(tmp_path, f"{line}\n1{delimiter}2{delimiter}3\n".encode()))
    assert (table.delimiter, table.rows[0].cells) == (delimiter, ["1", "2", "3"])


def test_it_gives_each_row_its_file_and_starting_physical_line(tmp_path):
    path = _write(tmp_path, b'h,i\r\n1,"two\r\nlines"\r\n\r\n2,"say ""hi"""\r\n3,a"b\r\n')
    table = tabular.read_table(path)
    assert [(row.path, row.line, row.cells) for row in table.rows] == [
        (str(path), 2, ["1", "two\r\nlines"]),
        (str(path), 5, ["2", 'say "hi"']),
        (str(path), 6, ["3", 'a"b']),
    ]


def test_it_names_the_line_where_an_unterminated_quote_opened(tmp_path):
    path = _write(tmp_path, b'h,i,j\n1,"two\nlines","open\nswallowed,row\nand,another\n')
    with pytest.raises(tabular.TableError, match=rf"^{path}, line 3: unterminated quote"):
        tabular.read_table(path)


def test_quotes_are_text_without_quoting_and_a_lone_carriage_return_ends_a_line(tmp_path):
    table = tabular.read_table(_write(tmp_path, b'a\tb\r\n"x\ty\rz\t1\r\n'), delimiter="\t", quoting=False)
    assert [(row.line, row.cells) for row in table.rows] == [(2, ['"x', "y"]), (3, ["z", "1"])]


def test_it_refuses_an_empty_file_and_a_missing_one(tmp_path):
    with pytest.raises(tabular.TableError, match="the file is empty or has no header line"):
        tabular.read_table(_write(tmp_path, b"\n\n"))
    with pytest.raises(tabular.TableError, match="cannot read the file"):
        tabular.read_table(tmp_path / "nope.csv")


@pytest.mark.parametrize("fallback", ["cp1252", None])
def test_it_refuses_a_utf8_file_with_a_stray_byte_rather_than_garble_it(tmp_path, fallback):
    path = _write(tmp_path, "name\nSociété Générale\nd'Artagnan\n".encode().replace(b"'", b"\x92") + "Zoë\n".encode())
    with pytest.raises(
        tabular.TableError,
        match=rf"^{path}, line 3: byte 0x92 is not UTF-8 .*fix the byte or give an encoding \(--encoding\)",
    ):
        tabular.read_table(path, fallback=fallback)


@pytest.mark.parametrize(
    "data",
    [
        "name\nSociété \u2019Générale\u2019\n".encode("cp1252"),
        b"name\n\xe9\x80x\n",  # a lead byte and a continuation byte, not a well-formed sequence
        b"name\n\xc0\x80 \xe0\x80\x80 \xed\xa0\x80 \xf4\x90\x80\x80 \xe9\n",  # overlong, surrogate, beyond U+10FFFF
    ],
)
def test_a_file_without_well_formed_utf8_sequences_still_falls_back(tmp_path, data):
    table = tabular.read_table(_write(tmp_path, data), fallback="cp1252")
    assert table.encoding == "cp1252"
    assert table.rows[0].cells == [data.split(b"\n")[1].decode("cp1252", errors="replace")]


def test_it_refuses_a_stray_quote_that_a_later_quote_closes_over_rows(tmp_path):
    path = _write(tmp_path, b'a,b,c\nA,X,ok\nB,X,"stray\nC,X,fine\nD,X,"quoted" more\nE,X,last\n')
    with pytest.raises(
        tabular.TableError,
        match=rf"^{path}, line 3: unterminated quote\? the quoted cell opened here runs over what look like "
        r"rows 4\.\.5$",
    ):
        tabular.read_table(path)


def test_it_refuses_a_stray_quote_closed_cleanly_over_rows(tmp_path):
    path = _write(tmp_path, b'a,b,c\nB,X,"stray\nC,X,fine\nD,X,"\nE,X,last\n')
    with pytest.raises(tabular.TableError, match=rf"^{path}, line 2: unterminated quote\? .* rows 3\.\.4"):
        tabular.read_table(path)


def test_it_refuses_text_after_a_closing_quote(tmp_path):
    path = _write(tmp_path, b'a,b,c\nA,X,"quoted" more\nE,X,last\n')
    with pytest.raises(tabular.TableError, match=rf"^{path}, line 2: cannot parse the file read as utf-8"):
        tabular.read_table(path)


def test_quoted_cells_over_lines_that_do_not_look_like_rows_stay_valid(tmp_path):
    path = _write(tmp_path, b'a,b,c\nA,X,"commentary, with\nnew lines, two\n\nand ""quotes"""\nE,X,last\n')
    table = tabular.read_table(path)
    assert [(row.line, row.cells) for row in table.rows] == [
        (2, ["A", "X", 'commentary, with\nnew lines, two\n\nand "quotes"']),
        (6, ["E", "X", "last"]),
    ]
