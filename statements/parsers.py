"""Request parsers of the residents' API (DRF's DEFAULT_PARSER_CLASSES)."""

from rest_framework import exceptions, parsers


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, also refusing a body nested too deep to decode (arrays in arrays
    thousands deep fit well under the size limit) with its 400 instead of a RecursionError."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError() from None
