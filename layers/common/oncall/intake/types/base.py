"""What every integration type is made of: the template slots, the `IntegrationType` record, and the builders
the type modules share (every appearance slot from a title, a message and a summary; OnCall's behaviour slots).

Behaviour templates (grouping, resolve, acknowledge, source link) reproduce OnCall's defaults
(docs/oncall-compatibility.md#templates) because a sender switching over must group and resolve exactly as
before. Appearance templates (titles, messages, image URLs for
every surface) are our own, written for our channels:

- every type defines a full title (`web_title`), a detailed Markdown message (`web_message`), a compact
  plain-text summary (chat and push), a short title (SMS, phone) and optionally an image URL;
- chat, e-mail and push titles are `{{ web_title }}`, so a custom web title carries over to every surface
  that is not overridden itself; e-mail messages are the web message plus the alert group link;
- titles carry no group number: the delivery layer prefixes `#<number>`.

Lookup of a slot (OnCall's rule): the integration's override if non-empty, else the type default for that
exact slot, else the type's web default of the same attribute.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Template slots. Behaviour slots first; appearance slots are `<surface>_<attribute>`.
BEHAVIOUR_SLOTS = ("grouping_id", "resolve_condition", "acknowledge_condition", "source_link")
SURFACE_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "web": ("title", "message", "image_url"),
    "slack": ("title", "message", "image_url"),
    "telegram": ("title", "message", "image_url"),
    "msteams": ("title", "message", "image_url"),
    "email": ("title", "message"),
    "mobile_app": ("title", "message"),
    "sms": ("title",),
    "phone_call": ("title",),
}
APPEARANCE_SURFACES = tuple(SURFACE_ATTRIBUTES)
APPEARANCE_ATTRIBUTES = ("title", "message", "image_url")
APPEARANCE_SLOTS = tuple(f"{s}_{a}" for s, attributes in SURFACE_ATTRIBUTES.items() for a in attributes)
ALL_SLOTS = BEHAVIOUR_SLOTS + APPEARANCE_SLOTS


@dataclass(frozen=True)
class IntegrationType:
    slug: str
    title: str
    description: str
    templates: dict[str, str | None]
    example_payload: dict[str, Any] | None = None
    autoresolve_capable: bool = True
    demo_enabled: bool = True
    based_on_alertmanager: bool = False
    heartbeat_available: bool = False
    has_ingest_url: bool = True
    creatable: bool = True
    featured: bool = False
    # Alertmanager-shaped bodies whose whole group notification is one alert ("v2").
    counts_alertmanager_alerts: bool = False
    aliases: tuple[str, ...] = field(default_factory=tuple)

    @property
    def url_slug(self) -> str:
        return self.slug.removeprefix("legacy_")

    def default_template(self, slot: str) -> str | None:
        """The type default for a slot; an appearance slot the type does not define falls back to the
        web template of the same attribute (so SMS, phone and e-mail titles default to the web title)."""
        if slot in self.templates:
            return self.templates[slot]
        _, attribute = split_appearance_slot(slot)
        return self.templates.get(f"web_{attribute}") if attribute else None


def split_appearance_slot(slot: str) -> tuple[str | None, str | None]:
    """`phone_call_title` -> ("phone_call", "title"); behaviour or unknown slots -> (None, None)."""
    for surface in APPEARANCE_SURFACES:
        attribute = slot.removeprefix(f"{surface}_")
        if attribute != slot and attribute in APPEARANCE_ATTRIBUTES:
            return surface, attribute
    return None, None


# ------------------------------------------------------------------------------------------ surfaces
SMS_TITLE_LENGTH = 140
PHONE_TITLE_LENGTH = 200
PUSH_MESSAGE_LENGTH = 240

_WEB_FOOTER = "{%- if source_link %}\n\n[Open in the source]({{ source_link }}){% endif %}"
_GROUP_LINE = "Alert group #{{ grafana_oncall_incident_id }}"
_SLACK_ESCAPE = '{% filter replace("&", "&amp;") | replace("<", "&lt;") | replace(">", "&gt;") %}'


def _links(source: str, group: str) -> str:
    """Source and alert-group links on their own lines, each only when known."""
    return "{%- if source_link %}\n" + source + "{% endif %}{%- if grafana_oncall_link %}\n" + group + "{% endif %}"


def appearance(
    *,
    title: str,
    message: str,
    summary: str,
    image: str | None = None,
    short: str = "{{ web_title }}",
) -> dict[str, str | None]:
    """Every appearance slot from a type's title, Markdown message, plain summary, short title and image."""
    return {
        "web_title": title,
        "web_message": message + _WEB_FOOTER,
        "web_image_url": image,
        "slack_title": "{{ web_title }}",
        "slack_message": _SLACK_ESCAPE
        + summary
        + "{% endfilter %}"
        + _links(
            "<{{ source_link }}|Open in the source>",
            "<{{ grafana_oncall_link }}|" + _GROUP_LINE + ">",
        ),
        "slack_image_url": image,
        "telegram_title": "{{ web_title }}",
        "telegram_message": "{% filter escape %}"
        + summary
        + "{% endfilter %}"
        + _links(
            '<a href="{{ source_link | e }}">Open in the source</a>',
            '<a href="{{ grafana_oncall_link | e }}">' + _GROUP_LINE + "</a>",
        ),
        "telegram_image_url": image,
        "msteams_title": "{{ web_title }}",
        "msteams_message": summary
        + _links("[Open in the source]({{ source_link }})", "[" + _GROUP_LINE + "]({{ grafana_oncall_link }})"),
        "msteams_image_url": image,
        "email_title": "{{ web_title }}",
        "email_message": "{{ web_message }}"
        + "{%- if grafana_oncall_link %}\n\n"
        + _GROUP_LINE
        + ": {{ grafana_oncall_link }}{% endif %}",
        "mobile_app_title": "{{ web_title }}",
        "mobile_app_message": f'{{% filter truncate({PUSH_MESSAGE_LENGTH}, true, "…", 0) %}}'
        + summary
        + "{% endfilter %}",
        "sms_title": f'{{% filter truncate({SMS_TITLE_LENGTH}, true, "…", 0) %}}' + short + "{% endfilter %}",
        "phone_call_title": f'{{% filter truncate({PHONE_TITLE_LENGTH}, true, "", 0) %}}' + short + "{% endfilter %}",
    }


def integration_type(slug: str, title: str, description: str, behaviour: dict[str, str | None], appearance, **flags):
    """A type from its behaviour and appearance slots and its flags."""
    return IntegrationType(
        slug=slug, title=title, description=description, templates={**behaviour, **appearance}, **flags
    )


def behaviour(grouping: str | None, resolve: str | None, source_link: str | None) -> dict[str, str | None]:
    # OnCall has no default acknowledge condition for any type.
    return {
        "grouping_id": grouping,
        "resolve_condition": resolve,
        "acknowledge_condition": None,
        "source_link": source_link,
    }


STATE_OK = '{{ payload.get("state", "").upper() == "OK" }}'
JSON_MESSAGE = "```\n{{ payload | tojson_pretty }}\n```"
JSON_SUMMARY = (
    '{%- if payload.get("message") is string %}{{ payload.message | truncate(600, true, "…", 0) }}'
    '{%- else %}{{ payload | tojson_pretty | truncate(600, true, "…", 0) }}{% endif %}'
)


def first_of(*keys: str, fallback: str) -> str:
    """A title from the first non-empty of some payload keys (its first line, at most 120 characters)."""
    found = " or ".join(f'payload.get("{key}")' for key in keys)
    return (
        f"{{%- set text = (({found}) or '') | string -%}}"
        '{%- set line = (text.strip().splitlines() or [""])[0] -%}'
        f'{{{{ line | truncate(120, true, "…", 0) if line else "{fallback}" }}}}'
    )


# OnCall routes amazon_sns/{token}/ to its SNS endpoint whatever the integration's type (OSS has no amazon_sns
# type: a webhook integration subscribed to SNS works), so the SNS URL accepts every type that has a URL.
SNS_URL_SLUG = "amazon_sns"
ANY_TYPE_URL_SLUGS = frozenset({SNS_URL_SLUG})
