"""Decision-quality tests: what the engine recommends for the 2013 special measures trusts on real geography."""
