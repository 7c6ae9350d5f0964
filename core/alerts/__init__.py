"""Alerts: decisions per watch, the durable outbox, rendering and delivery."""
