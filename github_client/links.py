"""Parsing the HTTP ``Link`` header (RFC 8288) that GitHub uses for paging.

GitHub sends ``<https://api.github.com/...&page=2>; rel="next", <...>; rel="last"``.
The parser is strict: a header it cannot read raises :class:`LinkHeaderError`
rather than silently ending the listing (which would make a snapshot look
complete when it is not).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit


class LinkHeaderError(ValueError):
    """The ``Link`` header does not follow RFC 8288's syntax."""


_SPACE = " \t"


def parse_link_header(value: str) -> dict[str, str]:
    """``{rel: url}`` for every link in ``value``; first link wins per rel.

    A ``rel`` holding several space-separated types (``rel="next last"``) maps
    each type to the link. Relation types are compared case-insensitively and
    returned lower-case. An empty header means no links.
    """
    links: dict[str, str] = {}
    pos = _skip(value, 0, _SPACE + ",")
    while pos < len(value):
        url, pos = _read_target(value, pos)
        params, pos = _read_params(value, pos)
        for rel in params.get("rel", "").lower().split():
            links.setdefault(rel, url)
        pos = _skip(value, pos, _SPACE + ",")
    return links


def _skip(text: str, pos: int, chars: str) -> int:
    while pos < len(text) and text[pos] in chars:
        pos += 1
    return pos


def _read_target(text: str, pos: int) -> tuple[str, int]:
    if text[pos] != "<":
        raise LinkHeaderError(f"expected '<' at offset {pos}")
    end = text.find(">", pos + 1)
    if end == -1:
        raise LinkHeaderError(f"unterminated '<' at offset {pos}")
    url = text[pos + 1 : end].strip()
    if not url or any(c in url for c in '<" \t\r\n'):
        raise LinkHeaderError(f"invalid link target at offset {pos}")
    return url, end + 1


def _read_params(text: str, pos: int) -> tuple[dict[str, str], int]:
    """Parameters after a target, up to the ``,`` separating links (or the end)."""
    params: dict[str, str] = {}
    while True:
        pos = _skip(text, pos, _SPACE)
        if pos >= len(text) or text[pos] == ",":
            return params, pos
        if text[pos] != ";":
            raise LinkHeaderError(f"expected ';' or ',' at offset {pos}")
        pos = _skip(text, pos + 1, _SPACE)
        name, pos = _read_token(text, pos)
        pos = _skip(text, pos, _SPACE)
        param_value = ""
        if pos < len(text) and text[pos] == "=":
            pos = _skip(text, pos + 1, _SPACE)
            param_value, pos = _read_value(text, pos)
        params.setdefault(name.lower(), param_value)


_TOKEN_STOP = set(_SPACE + ';,="<>')


def _read_token(text: str, pos: int) -> tuple[str, int]:
    start = pos
    while pos < len(text) and text[pos] not in _TOKEN_STOP:
        pos += 1
    if pos == start:
        raise LinkHeaderError(f"expected a parameter name at offset {start}")
    return text[start:pos], pos


def _read_value(text: str, pos: int) -> tuple[str, int]:
    if pos < len(text) and text[pos] == '"':
        return _read_quoted(text, pos)
    return _read_token(text, pos)


def _read_quoted(text: str, pos: int) -> tuple[str, int]:
    chars: list[str] = []
    pos += 1
    while pos < len(text):
        char = text[pos]
        if char == "\\" and pos + 1 < len(text):
            chars.append(text[pos + 1])
            pos += 2
        elif char == '"':
            return "".join(chars), pos + 1
        else:
            chars.append(char)
            pos += 1
    raise LinkHeaderError("unterminated quoted string")


def numbered_page_urls(links: dict[str, str]) -> list[str] | None:
    """URLs of pages 2..last of a page-numbered listing, from its first page's links.

    GitHub's page-numbered lists (``/orgs/{org}/repos``, ``/orgs/{org}/members``)
    give ``rel="next"`` and ``rel="last"`` URLs that differ only in ``page``;
    every page between can then be fetched at once. ``None`` when the links do
    not say so (a cursor list, a single page, or URLs that differ otherwise):
    the caller follows ``rel="next"`` one page at a time instead.
    """
    next_url, last_url = links.get("next"), links.get("last")
    if next_url is None or last_url is None:
        return None
    next_parts, last_parts = urlsplit(next_url), urlsplit(last_url)
    next_query = parse_qsl(next_parts.query, keep_blank_values=True)
    last_query = parse_qsl(last_parts.query, keep_blank_values=True)
    next_page, last_page = _page_number(next_query), _page_number(last_query)
    same_place = next_parts._replace(query="") == last_parts._replace(query="")
    others = [pair for pair in next_query if pair[0] != "page"]
    if (
        not same_place
        or next_page != 2  # the first page's next is page 2
        or last_page is None
        or last_page < next_page
        or others != [pair for pair in last_query if pair[0] != "page"]
    ):
        return None
    return [
        urlunsplit(next_parts._replace(query=_with_page(next_query, number)))
        for number in range(2, last_page + 1)
    ]


def _page_number(query: list[tuple[str, str]]) -> int | None:
    values = [value for name, value in query if name == "page"]
    if len(values) != 1 or not values[0].isdigit():
        return None
    return int(values[0])


def _with_page(query: list[tuple[str, str]], number: int) -> str:
    return urlencode([(name, str(number) if name == "page" else value) for name, value in query])
