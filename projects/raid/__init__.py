"""The RAID log: risks, issues, assumptions and dependencies; critical issues, their acknowledgement and
escalation."""
