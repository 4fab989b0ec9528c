import io

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


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
        return data
