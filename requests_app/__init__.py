"""The citizen side: channels, districts, the help request and its timeline, intake and lookup."""
