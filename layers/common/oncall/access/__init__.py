"""Who may call: API tokens, the cost of failed authentication, and rate limits."""
