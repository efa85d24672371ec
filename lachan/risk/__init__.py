"""Risk levels per administrative unit under versioned policies; the map layers. Issue #6."""
