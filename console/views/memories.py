"""The store browser and the memory pages: read (viewer), create, edit, delete (operator).

Every read and write goes through memory/listing.py and memory/store.py, the same
functions the API calls. Edits carry the content sha256 they started from, so a
write that someone else overtook becomes a conflict page, never an overwrite.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from console.markdown import render_markdown
from console.permissions import actor_for, store_for, workspace_for
from console.views.common import breadcrumbs, folder_of, store_context, text_field
from memory.blobs import read_blob
from memory.diff import diff_texts
from memory.errors import InvalidRequest, NotFound, PreconditionFailed, ReverieError
from memory.listing import MemoryPrefix, list_memories
from memory.models import Role
from memory.store import create_memory, delete_memory, get_memory, update_memory

PAGE_SIZE = 50


def _memory(store, memory_id):
    try:
        return get_memory(store=store, memory_id=memory_id, with_content=True)
    except NotFound:
        raise Http404("No such memory.") from None


@login_required
def browse(request, workspace_id, store_id):
    """One folder of a store: sub-folders roll up (depth=1), paged by cursor."""
    ws = workspace_for(request, workspace_id)
    store = store_for(request, ws, store_id)
    prefix = request.GET.get("prefix") or "/"
    page = request.GET.get("page") or None
    status = 200
    try:
        items, next_page = list_memories(store=store, prefix=prefix, depth=1, limit=PAGE_SIZE, page=page)
        error = None
    except InvalidRequest as exc:
        items, next_page, error, status = [], None, exc.message, 400
    rows = [
        {"folder": isinstance(item, MemoryPrefix), "path": item.path,
         "name": item.path[len(prefix):], "memory": None if isinstance(item, MemoryPrefix) else item}
        for item in items
    ]
    context = store_context(request, ws, store, prefix=prefix, rows=rows, next_page=next_page, error=error,
                       crumbs=breadcrumbs(prefix) if error is None else breadcrumbs("/"), page=page)
    template = "console/store.html#listing" if request.htmx else "console/store.html"
    return render(request, template, context, status=status)


@login_required
def memory_detail(request, workspace_id, store_id, memory_id):
    ws = workspace_for(request, workspace_id)
    store = store_for(request, ws, store_id)
    memory = _memory(store, memory_id)
    content = read_blob(memory.blob)
    return render(request, "console/memory.html", store_context(
        request, ws, store, memory=memory, content=content, rendered=render_markdown(content),
        crumbs=breadcrumbs(folder_of(memory.path)),
    ))


@login_required
def memory_new(request, workspace_id, store_id):
    ws = workspace_for(request, workspace_id, role=Role.OPERATOR)
    store = store_for(request, ws, store_id)
    prefix = request.GET.get("prefix") or "/"
    form = {"path": prefix if prefix != "/" else "/", "content": ""}
    error, status = None, 200
    if request.method == "POST":
        form = {"path": request.POST.get("path", "").strip(), "content": text_field(request.POST, "content")}
        try:
            memory = create_memory(store=store, path=form["path"], content=form["content"], actor=actor_for(request))
        except ReverieError as exc:
            error, status = exc.message, exc.status
        else:
            messages.success(request, f"Created {memory.path}.")
            return redirect("console:memory", workspace_id=ws.id, store_id=store.id, memory_id=memory.id)
    return render(request, "console/memory_form.html", store_context(
        request, ws, store, form=form, error=error, memory=None, crumbs=breadcrumbs(prefix),
    ), status=status)


@login_required
def memory_edit(request, workspace_id, store_id, memory_id):
    """Edit content and path. The form carries the sha256 it started from (expected_sha256)."""
    ws = workspace_for(request, workspace_id, role=Role.OPERATOR)
    store = store_for(request, ws, store_id)
    memory = _memory(store, memory_id)
    form = {"path": memory.path, "content": read_blob(memory.blob), "expected_sha256": memory.blob_id}
    error, status = None, 200
    if request.method == "POST":
        form = {
            "path": request.POST.get("path", "").strip() or memory.path,
            "content": text_field(request.POST, "content"),
            "expected_sha256": request.POST.get("expected_sha256", ""),
        }
        try:
            updated = update_memory(
                store=store, memory_id=memory.id, actor=actor_for(request), content=form["content"],
                path=form["path"], expected_sha256=form["expected_sha256"] or None,
            )
        except PreconditionFailed:
            return _conflict(request, ws, store, memory, form)
        except ReverieError as exc:
            error, status = exc.message, exc.status
        else:
            messages.success(request, f"Saved {updated.path}.")
            return redirect("console:memory", workspace_id=ws.id, store_id=store.id, memory_id=memory.id)
    return render(request, "console/memory_form.html", store_context(
        request, ws, store, form=form, error=error, memory=memory, crumbs=breadcrumbs(folder_of(memory.path)),
    ), status=status)


def _conflict(request, ws, store, memory, form):
    """Someone wrote in between: show both versions and a diff; the operator chooses."""
    current = read_blob(memory.blob)  # `memory` was read after the other write landed
    diff = diff_texts(current, form["content"], context=None)
    return render(request, "console/conflict.html", store_context(
        request, ws, store, memory=memory, current=current, form=form, diff=diff,
        crumbs=breadcrumbs(folder_of(memory.path)),
    ), status=409)


@login_required
@require_POST
def memory_delete(request, workspace_id, store_id, memory_id):
    ws = workspace_for(request, workspace_id, role=Role.OPERATOR)
    store = store_for(request, ws, store_id)
    memory = _memory(store, memory_id)
    memory_url = reverse("console:memory", args=[ws.id, store.id, memory.id])
    try:
        delete_memory(store=store, memory_id=memory.id, actor=actor_for(request),
                      expected_sha256=request.POST.get("expected_sha256") or None)
    except PreconditionFailed:
        messages.error(request, "This memory changed since you opened it; nothing was deleted. Review it and try again.")
        return redirect(memory_url)
    messages.success(request, f"Deleted {memory.path}.")
    return redirect(reverse("console:store", args=[ws.id, store.id]) + "?" + urlencode({"prefix": folder_of(memory.path)}))
