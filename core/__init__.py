"""The engine: settings, database, marketplace, extraction, pricing, alerts, jobs.

Never imports discord: everything here is testable without Discord.
"""
