"""Templates by their public API names ("grouping_key", "web.title", …) and the internal slots they fill
("grouping_id", "web_title", …). The domain (configuration changes, previews) and the API both translate with
these, so the mapping lives here, below both."""

from __future__ import annotations

from typing import Any

# Public template names -> internal slots. Nested objects map `<surface>.<attribute>` to `<surface>_<attribute>`.
_BEHAVIOUR_NAMES = {
    "grouping_key": "grouping_id",
    "resolve_signal": "resolve_condition",
    "acknowledge_signal": "acknowledge_condition",
    "source_link": "source_link",
}
# Public template names: the behaviour templates, then each surface and its attributes (the CLI shares them).
BEHAVIOUR_TEMPLATES = tuple(_BEHAVIOUR_NAMES)
SURFACE_TEMPLATES = {
    "slack": ("title", "message", "image_url"),
    "web": ("title", "message", "image_url"),
    "sms": ("title",),
    "phone_call": ("title",),
    "telegram": ("title", "message", "image_url"),
    "email": ("title", "message"),
    "mobile_app": ("title", "message"),
    "msteams": ("title", "message", "image_url"),
}


def public_templates_to_slots(public: dict[str, Any]) -> dict[str, str | None]:
    """Flatten an API `templates` object into slot overrides; a None value means "reset to default"."""
    slots: dict[str, str | None] = {}
    for name, value in public.items():
        if name in _BEHAVIOUR_NAMES:
            slots[_BEHAVIOUR_NAMES[name]] = value
        elif name in SURFACE_TEMPLATES:
            attributes = SURFACE_TEMPLATES[name]
            if value is None:
                slots.update({f"{name}_{attribute}": None for attribute in attributes})
            elif isinstance(value, dict):
                slots.update({f"{name}_{a}": v for a, v in value.items() if a in attributes})
    return slots


def unknown_template_names(public: dict[str, Any]) -> list[str]:
    """Names in an API `templates` object that are no template (reported, never silently ignored)."""
    unknown = []
    for name, value in public.items():
        if name in _BEHAVIOUR_NAMES:
            continue
        if name not in SURFACE_TEMPLATES:
            unknown.append(name)
        elif isinstance(value, dict):
            unknown += [f"{name}.{a}" for a in value if a not in SURFACE_TEMPLATES[name]]
        elif value is not None:
            unknown.append(name)
    return unknown


def public_template_names() -> list[str]:
    """Every template by its public name, surfaces dotted: grouping_key, …, web.title, sms.title, …"""
    names = list(_BEHAVIOUR_NAMES)
    names += [f"{surface}.{attribute}" for surface, attributes in SURFACE_TEMPLATES.items() for attribute in attributes]
    return names


def template_slot(name: str) -> str | None:
    """The slot of a template name: public ("grouping_key", "web.title") or internal ("web_title")."""
    if name in _BEHAVIOUR_NAMES:
        return _BEHAVIOUR_NAMES[name]
    if name in _BEHAVIOUR_NAMES.values():
        return name
    for separator in (".", "_"):
        for surface, attributes in SURFACE_TEMPLATES.items():
            attribute = name.removeprefix(f"{surface}{separator}")
            if attribute != name and attribute in attributes:
                return f"{surface}_{attribute}"
    return None


def public_template_name(slot: str) -> str:
    for name, behaviour_slot in _BEHAVIOUR_NAMES.items():
        if behaviour_slot == slot:
            return name
    for surface, attributes in SURFACE_TEMPLATES.items():
        attribute = slot.removeprefix(f"{surface}_")
        if attribute != slot and attribute in attributes:
            return f"{surface}.{attribute}"
    return slot


def slots_to_public_templates(overrides: dict[str, str]) -> dict[str, Any]:
    public: dict[str, Any] = {name: overrides.get(slot) for name, slot in _BEHAVIOUR_NAMES.items()}
    for surface, attributes in SURFACE_TEMPLATES.items():
        public[surface] = {attribute: overrides.get(f"{surface}_{attribute}") for attribute in attributes}
    return public
