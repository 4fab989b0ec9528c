"""Sessions pulled from an API that speaks `client.beta.sessions` (another Reverie, or the hosted API).

The SDK makes the requests (`sessions.list`, `sessions.events.list`), and the pages
are read as the raw JSON the server sent, so sessions and events are kept exactly
as they were there (the SDK's models would re-format timestamps), extension fields
such as `outcome` included.
"""

from typing import Iterator

import anthropic

from dreams.importers import ImportFailed, SessionImport, loads

PAGE_SIZE = 100


def fetch_sessions(*, base_url: str, api_key: str, agent_name: str | None = None,
                   client: anthropic.Anthropic | None = None) -> Iterator[SessionImport]:
    """Every session the key can see, archived ones included, each with its whole transcript.

    Failing to list sessions raises ImportFailed; failing to read one transcript fails that session only.
    """
    client = client or anthropic.Anthropic(base_url=base_url, api_key=api_key)
    listing = _every(client.beta.sessions.with_raw_response.list, include_archived=True, limit=PAGE_SIZE)
    while True:
        try:
            session = next(listing)
        except StopIteration:
            return
        except (anthropic.APIError, ValueError) as exc:
            raise ImportFailed(f"{base_url}: cannot list sessions: {_describe(exc)}") from None
        session_id = session.get("id") if isinstance(session, dict) else None
        source = f"{base_url} {session_id}"
        if not isinstance(session_id, str) or not session_id:
            yield SessionImport(source=source, data=None, error="the listed session has no id.")
            continue
        try:
            events = list(_every(client.beta.sessions.events.with_raw_response.list, session_id, limit=PAGE_SIZE))
        except (anthropic.APIError, ValueError) as exc:
            yield SessionImport(source=source, data=None, error=f"cannot read its events: {_describe(exc)}")
            continue
        yield SessionImport(source=source, data={"session": session, "events": events}, agent_name=agent_name)


def _every(list_raw, *args, **params) -> Iterator:
    """Every item of a cursor-paged list, following `next_page` until the server says there is no more."""
    token, seen = None, set()
    while True:
        response = list_raw(*args, **params, **({"page": token} if token else {}))
        body = loads(response.text())
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise ValueError('the server answered a list without a `data` array')
        yield from body["data"]
        token = body.get("next_page")
        if not token or token in seen:
            return
        seen.add(token)


def _describe(exc: Exception) -> str:
    if isinstance(exc, anthropic.APIStatusError):
        return f"{exc.status_code} {getattr(exc, 'message', exc)}"
    return str(exc) or type(exc).__name__
