"""Placeholder for pages under construction (removed once every route has its view)."""

from django.http import HttpResponse


def pending(request, *args, **kwargs):
    return HttpResponse("Not built yet.", status=501, content_type="text/plain")
