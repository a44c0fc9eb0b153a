"""Joint operations: member-country units and partners acting together against one or more
crime types, with phases, participants, the intelligence linked to them (objects and analysis
campaigns, read through the policy and served in the operation's own TAXII collection) and
their outcomes."""
