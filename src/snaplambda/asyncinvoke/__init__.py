"""Asynchronous invocation: a durable event queue, retries, event age, destinations
and a dead-letter store."""
