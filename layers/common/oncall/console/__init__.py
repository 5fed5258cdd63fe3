"""The web console: server-rendered pages for people (alert groups, integrations), served by the console
function at `/` and `/console/…`. Same domain code as the API (actions, configuration, preview); this package
only renders, authenticates sessions and protects forms."""
