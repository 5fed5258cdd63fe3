"""OnCall's page-number pagination envelope."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

DEFAULT_PAGE_SIZE = 50


def paginate(
    items: Sequence[dict[str, Any]], *, page: int, perpage: int, url: str, query: dict[str, str]
) -> dict[str, Any]:
    perpage = max(1, perpage)
    total_pages = max(1, math.ceil(len(items) / perpage))
    page = min(max(1, page), total_pages)  # out of range means the last page, as OnCall does
    start = (page - 1) * perpage

    def link(number: int) -> str:
        return f"{url}?{urlencode({**query, 'page': number, 'perpage': perpage})}"

    return {
        "count": len(items),
        "next": link(page + 1) if page < total_pages else None,
        "previous": link(page - 1) if page > 1 else None,
        "results": list(items[start : start + perpage]),
        "page_size": perpage,
        "current_page_number": page,
        "total_pages": total_pages,
    }
