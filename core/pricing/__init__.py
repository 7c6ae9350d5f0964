"""Pricing: market baselines per product key and currency (and, later, scores)."""
