"""Documents in line with the deal: the register with versions, contract clauses and their change proposals,
compliance of obligations."""
