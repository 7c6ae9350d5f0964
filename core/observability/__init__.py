"""Metrics, service health and logging setup."""
