"""The management API (/api/v1/…, OnCall public API v1 shapes): one module per resource, each with its
router and its response model (which builds its bodies and describes them in the OpenAPI document; the write
models it takes are its domain's); `oncall.api.app` puts them together. This file imports nothing, so that
importing one piece of the API (from the console, say) does not load every router."""
