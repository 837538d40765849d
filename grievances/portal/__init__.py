"""The resident portal: the public pages and API (submit, look up, rate, ask for a review, the
published statistics), their lookup limits (`throttle`) and the private lookup links."""
