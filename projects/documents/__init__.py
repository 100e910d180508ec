"""Documents in line with the deal: the register, clauses and proposals, compliance, correspondence, letters."""
