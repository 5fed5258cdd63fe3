"""The integration types, one module per sender family: their flags, example (demo) payloads and default
templates. `base` says what a type is made of; `catalog` lists them all (import it, not a type module, to look
a type up)."""
