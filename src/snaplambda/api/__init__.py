"""HTTP front doors on one port: Lambda's REST API and the JSON-protocol services."""
