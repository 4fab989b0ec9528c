from memory.diff import Chunk, diff_texts


def _text(chunks):
    return "".join(c.text for c in chunks)


def test_it_reports_identical_texts():
    diff = diff_texts("a\nb\n", "a\nb\n")
    assert diff.identical
    assert [r.kind for r in diff.rows] == ["skip"]


def test_it_highlights_changed_words_only():
    diff = diff_texts("restart the db with care\n", "restart the db with great care\n")
    (row,) = diff.rows
    assert row.kind == "replace"
    assert _text(row.old) == "restart the db with care"
    assert _text(row.new) == "restart the db with great care"
    assert [c.text for c in row.new if c.changed] == ["great "]
    assert not any(c.changed for c in row.old)


def test_it_counts_inserted_and_deleted_lines():
    diff = diff_texts("one\ntwo\nthree\n", "one\nthree\nfour\nfive\n")
    kinds = [r.kind for r in diff.rows]
    assert kinds.count("delete") == 1 and kinds.count("insert") == 2
    assert (diff.added, diff.removed) == (2, 1)


def test_it_folds_long_unchanged_runs():
    old = "\n".join(f"line {i}" for i in range(50))
    new = old.replace("line 25", "line twenty-five")
    diff = diff_texts(old, new, context=2)
    kinds = [r.kind for r in diff.rows]
    assert kinds == ["skip", "equal", "equal", "replace", "equal", "equal", "skip"]
    assert diff.rows[0].skipped == 23 and diff.rows[-1].skipped == 22
    assert len(diff_texts(old, new, context=None).rows) == 50


def test_it_keeps_markup_as_plain_text_for_templates_to_escape():
    diff = diff_texts("", "<script>alert(1)</script>")
    assert diff.rows[0].new == (Chunk("<script>alert(1)</script>", changed=True),)
