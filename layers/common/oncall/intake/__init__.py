"""Where alerts come in: an integration URL accepts a body, stores it and queues it (ingest); the integration
types, the SNS front door, the connection guide and demo alerts."""
