"""Bad-CSV catalogs: an unclosed quote is reported on its own line and never swallows the
rows after it; the rows of a file always add up to the items kept plus the rows skipped."""

from __future__ import annotations

from pathlib import Path

from tools.ingest import read_catalog

HEADER = "vertical,id,title,price,colors\n"


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "catalog.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_unclosed_quote_skips_only_its_own_row(tmp_path: Path) -> None:
    rows = [
        "shopping,c0,Oak desk,120,brown\n",
        "shopping,c1,Pine shelf,80,natural\n",
        'shopping,c2,"Broken lamp,40,white\n',
        "shopping,c3,Steel chair,60,black\n",
        "shopping,c4,Glass vase,25,clear\n",
        "shopping,c5,Wool rug,150,red\n",
    ]
    result = read_catalog(write(tmp_path, "".join(rows)))
    assert [i.id for i in result.items] == ["c0", "c1", "c3", "c4", "c5"]
    assert result.rows_read == 6 == len(result.items) + len(result.skipped)
    [skipped] = result.skipped
    assert skipped.line == 4
    assert "never closed" in skipped.reason and "line 5" in skipped.reason
    assert all("\n" not in i.title for i in result.items)


def test_unclosed_quote_on_the_last_row_is_reported(tmp_path: Path) -> None:
    result = read_catalog(write(tmp_path, 'shopping,a,Desk,10,red\nshopping,b,"Lamp,5,blue\n'))
    assert [i.id for i in result.items] == ["a"]
    assert [(s.line, "end of the file" in s.reason) for s in result.skipped] == [(3, True)]
    assert result.rows_read == 2


def test_a_quoted_cell_may_span_lines(tmp_path: Path) -> None:
    body = 'shopping,a,"Desk\nwith drawers",10,red\nshopping,b,"5"" lamp",5,blue\n'
    result = read_catalog(write(tmp_path, body))
    assert [i.title for i in result.items] == ["Desk\nwith drawers", '5" lamp']
    assert result.skipped == [] and result.rows_read == 2


def test_several_bad_quotes_and_bad_rows_still_add_up(tmp_path: Path) -> None:
    body = (
        'shopping,a,"Open,1,red\n'
        "shopping,b,Fine,2,red\n"
        'shopping,c,"Open again,3,red\n'
        "shopping,d,Fine too,4,red\n"
        "shopping,e,Bad price,cheap,red\n"
        "nonsense,f,Unknown vertical,1,red\n"
    )
    result = read_catalog(write(tmp_path, body))
    assert [i.id for i in result.items] == ["b", "d"]
    assert [s.line for s in result.skipped] == [2, 4, 6, 7]
    assert result.rows_read == 6 == len(result.items) + len(result.skipped)


def test_a_spanning_cell_followed_by_an_unclosed_one(tmp_path: Path) -> None:
    body = (
        'shopping,a,"Desk\nwith\ndrawers",10,red\n'
        'shopping,b,"Lamp that never\ncloses,5,blue\n'
        "shopping,c,Chair,7,black\n"
    )
    result = read_catalog(write(tmp_path, body))
    assert [i.id for i in result.items] == ["a", "c"]
    assert [s.line for s in result.skipped] == [5, 6]
    assert "never closed" in result.skipped[0].reason
    assert result.rows_read == 4 == len(result.items) + len(result.skipped)
