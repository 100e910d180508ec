"""Quality: the standards that apply to a project, reviews of deliverables against them, non-conformances
and their corrective actions."""
