from html.parser import HTMLParser

from memory.access import Actor
from memory.store import create_memory

HOSTILE = (
    "# Notes\n\n"
    "<script>alert('xss')</script>\n\n"
    '<img src=x onerror="alert(2)">\n\n'
    "[click me](javascript:alert(3))\n\n"
    "[ok](https://example.com)\n"
)


class _Elements(HTMLParser):
    """Every element the browser would build, with its attributes (text stays text)."""

    def __init__(self, html):
        super().__init__()
        self.elements = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def assert_nothing_runs(html):
    for tag, attrs in _Elements(html).elements:
        if tag == "script":  # only the page's own vendored scripts
            assert attrs.get("src", "").startswith("/static/"), attrs
        assert tag not in ("iframe", "object", "embed", "img"), tag
        for name, value in attrs.items():
            assert not name.startswith("on") or tag in ("form",) and value.startswith("return confirm("), (tag, name)
            if name in ("href", "src", "action"):
                assert not (value or "").strip().lower().startswith(("javascript:", "data:", "vbscript:")), value


def test_it_shows_rendered_and_raw(vic_viewer, workspace, store, note):
    r = vic_viewer.get(f"/w/{workspace.id}/stores/{store.id}/memories/{note.id}")
    assert r.status_code == 200
    assert b"<h1>DB</h1>" in r.content
    assert b"# DB" in r.content
    assert b"Edit</a>" not in r.content  # viewers get no write controls


def test_it_sanitizes_hostile_markdown_and_escapes_raw(vic_viewer, workspace, store):
    memory = create_memory(store=store, path="/hostile.md", content=HOSTILE, actor=Actor(user_id="user_fixture"))
    r = vic_viewer.get(f"/w/{workspace.id}/stores/{store.id}/memories/{memory.id}")
    assert r.status_code == 200
    body = r.content.decode()
    assert_nothing_runs(body)
    assert "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;" in body  # raw view, escaped
    assert 'href="https://example.com"' in body
    assert 'rel="noopener noreferrer nofollow"' in body


def test_it_renders_markdown_without_unsafe_output():
    from console.markdown import render_markdown

    html = render_markdown(HOSTILE + '\n<a href="javascript:x" onclick="y">a</a>\n![i](javascript:z)\n')
    assert_nothing_runs(html)
    assert "&lt;script&gt;" in html  # the payload survives only as visible text


def test_it_404s_a_memory_of_another_store(vic_viewer, workspace, store, foreign_store):
    memory = create_memory(store=foreign_store, path="/x.md", content="secret", actor=Actor(user_id="u"))
    assert vic_viewer.get(f"/w/{workspace.id}/stores/{store.id}/memories/{memory.id}").status_code == 404
    assert vic_viewer.get(f"/w/{workspace.id}/stores/{foreign_store.id}/memories/{memory.id}").status_code == 404


def test_it_404s_a_missing_memory(vic_viewer, workspace, store):
    assert vic_viewer.get(f"/w/{workspace.id}/stores/{store.id}/memories/mem_nope").status_code == 404
