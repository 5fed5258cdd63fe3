"""Where data is kept: the data-access interfaces the logic depends on, and their DynamoDB implementation
(every DynamoDB key is built here; see docs/storage.md)."""
