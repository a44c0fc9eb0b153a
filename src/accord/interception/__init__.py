"""Rapid payment interception: requests to stop the money of fraudulent transfers, routed to the
partner bank or exchange that holds the beneficiary account, with their deadlines, outcomes and
the chain of onward transfers (docs/interceptions.md)."""
