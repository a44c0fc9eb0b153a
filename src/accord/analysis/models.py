"""Analysis records kept next to the shared store; none of them copies shared content."""
