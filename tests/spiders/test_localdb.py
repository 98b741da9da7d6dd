import pytest

from spiders.localdb import open_local_db, write_transaction


def test_a_transaction_keeps_all_its_writes_or_none(tmp_path):
    db = open_local_db(tmp_path / "deep" / "x.sqlite")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.execute("CREATE TABLE t (n INTEGER)")
    with pytest.raises(RuntimeError), write_transaction(db):
        db.execute("INSERT INTO t VALUES (1)")
        raise RuntimeError("half-way")
    with write_transaction(db):
        db.execute("INSERT INTO t VALUES (2)")
        with write_transaction(db):  # inside another: part of it
            db.execute("INSERT INTO t VALUES (3)")
        assert db.in_transaction
    other = open_local_db(tmp_path / "deep" / "x.sqlite")
    assert [n for (n,) in other.execute("SELECT n FROM t ORDER BY n")] == [2, 3]
