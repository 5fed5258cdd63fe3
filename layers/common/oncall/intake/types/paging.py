"""Alert groups that people start: direct paging (POST /api/v1/escalation) and manual groups."""

from __future__ import annotations

from oncall.intake.types.base import appearance, behaviour, integration_type

_PAGE = '{%- set page = payload.get("oncall") or {} -%}'
_PAGING_APPEARANCE = appearance(
    title=_PAGE + '{{ page.get("title") or "Page" }}',
    message=_PAGE
    + '{{ page.get("message") or "" }}{% if page.get("author_username") %}\n\nPaged by {{ page.author_username }}'
    "{% endif %}",
    summary=_PAGE
    + '{{ (page.get("message") or "") | string | truncate(600, true, "…", 0) }}'
    + '{% if page.get("author_username") %}\nPaged by {{ page.author_username }}{% endif %}',
)


DIRECT_PAGING = integration_type(
    "direct_paging",
    "Direct paging",
    "Pages created by people, not by monitoring.",
    behaviour(grouping="{{ payload }}", resolve=None, source_link="{{ payload.oncall.permalink }}"),
    _PAGING_APPEARANCE,
    autoresolve_capable=False,
    demo_enabled=False,
    creatable=False,
)

MANUAL = integration_type(
    "manual",
    "Manual",
    "Alert groups created by hand.",
    behaviour(grouping="{{ payload }}", resolve=None, source_link="{{ payload.oncall.permalink }}"),
    _PAGING_APPEARANCE,
    autoresolve_capable=False,
    demo_enabled=False,
    has_ingest_url=False,
    creatable=False,
)
