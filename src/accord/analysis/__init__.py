"""Intelligence analysis over the shared store: correlation, known-benign suppression, campaigns,
scoring, sightings, trends and intelligence reports."""
