import io
import re

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

_SURROGATE = re.compile("[\ud800-\udfff]")


class LenientJSONParser(JSONParser):
    """JSON bodies, where an empty body means "no body".

    The SDK sends body-less POSTs (archive, redact, cancel) and DELETEs with
    `Content-Type: application/json` and zero bytes; those must not be parse errors.
    Any content type is read as JSON: the API speaks nothing else.
    """

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        if not raw.strip():
            return {}
        data = super().parse(io.BytesIO(raw), "application/json", parser_context)
        if not isinstance(data, dict):
            raise ParseError("The request body must be a JSON object.")
        if _has_surrogate(data):
            # `\ud800` escapes parse into strings no database or UTF-8 encoder accepts.
            raise ParseError("The request body contains a lone surrogate escape; strings must be valid Unicode.")
        return data


def _has_surrogate(value) -> bool:
    if isinstance(value, str):
        return bool(_SURROGATE.search(value))
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    return False
