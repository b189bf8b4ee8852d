"""Personalisation: profiles, re-ranking, exploration, IPS estimates, the query graph."""
