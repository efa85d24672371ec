"""Cross-domain use cases (positive result → case → tracing → quarantine → notify). The only place where one domain's services call another's."""
