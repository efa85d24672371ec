"""The engine that turns exposures (household, venue, proximity, interview, workplace) into graded contacts. Issue #3."""
