"""Health and entry declarations."""
