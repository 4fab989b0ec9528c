"""Search a store by path and content, a page of matches at a time (memory/search.py)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from console.permissions import store_for, workspace_for
from console.views.common import breadcrumbs, store_context
from memory.errors import InvalidRequest
from memory.search import search_memories

PAGE_SIZE = 50


@login_required
def store_search(request, workspace_id, store_id):
    ws = workspace_for(request, workspace_id)
    store = store_for(request, ws, store_id)
    query = request.GET.get("q", "")
    prefix = request.GET.get("prefix", "").strip() or "/"
    # A checkbox sends nothing when unticked: content search is on until a search form says otherwise.
    in_content = "content" in request.GET if "q" in request.GET else True
    page = request.GET.get("page") or None
    hits, next_page, error, status = [], None, None, 200
    searched = bool(query.strip())
    if searched or page:
        try:
            hits, next_page = search_memories(store=store, query=query, in_content=in_content, limit=PAGE_SIZE,
                                              page=page, prefix=prefix)
        except InvalidRequest as exc:
            error, status = exc.message, 400
    context = store_context(request, ws, store, store_section="search", query=query, prefix=prefix,
                            in_content=in_content, hits=hits, next_page=next_page, page=page, error=error,
                            searched=searched, crumbs=breadcrumbs("/"))
    template = "console/search.html#results" if request.htmx else "console/search.html"
    return render(request, template, context, status=status)
