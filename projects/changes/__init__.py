"""Change requests: raised, priced, decided by the heads and the client, and applied to the budget, the
schedule and a new baseline."""
